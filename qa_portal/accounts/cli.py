"""``flask users …`` and ``flask orgs …``: the same operations as the admin pages."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from qa_portal.accounts import operations, queries
from qa_portal.accounts.models import AccountStatus, Organisation, OrgKind, Role
from qa_portal.core.db import commit
from qa_portal.core.errors import DomainError
from qa_portal.extensions import db

users_cli = AppGroup("users", help="Manage user accounts.")
orgs_cli = AppGroup("orgs", help="Manage organisations.")

ROLE = click.Choice([r.value for r in Role])


def _org_by_name(name: str | None) -> Organisation | None:
    if not name:
        return None
    org = db.session.execute(
        db.select(Organisation).where(db.func.lower(Organisation.name) == name.lower())
    ).scalar()
    if org is None:
        raise click.ClickException(f"No organisation named “{name}”.")
    return org


def _user(email: str):
    user = queries.user_by_email(email)
    if user is None:
        raise click.ClickException(f"No user with e-mail {email}.")
    return user


def _run(fn):
    try:
        result = fn()
        commit()
        return result
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from exc


@users_cli.command("create")
@click.argument("email")
@click.option("--name", required=True, help="Full name.")
@click.option("--role", "roles", multiple=True, type=ROLE, help="Role; repeat for several.")
@click.option("--org", "org_name", help="Organisation name (required for provider members).")
@click.option("--password", help="Initial password; without it an e-mail invites the user.")
def create_user_command(email, name, roles, org_name, password):
    """Create a user account."""
    user = _run(
        lambda: operations.create_user(
            None,
            email=email,
            name=name,
            roles=[Role(r) for r in roles],
            organisation=_org_by_name(org_name),
            password=password,
        )
    )
    click.echo(
        f"Created {user.email} (id {user.id}) with roles: "
        f"{', '.join(sorted(r.value for r in user.roles)) or 'none'}."
    )


@users_cli.command("grant-role")
@click.argument("email")
@click.argument("role", type=ROLE)
@click.option("--org", "org_name", help="Organisation for the provider role.")
def grant_role_command(email, role, org_name):
    """Give a role to a user."""
    user = _user(email)
    granted = _run(lambda: operations.grant_role(None, user, Role(role), _org_by_name(org_name)))
    click.echo(f"{email} {'now has' if granted else 'already had'} the role {role}.")


@users_cli.command("revoke-role")
@click.argument("email")
@click.argument("role", type=ROLE)
def revoke_role_command(email, role):
    """Take a role away from a user."""
    user = _user(email)
    revoked = _run(lambda: operations.revoke_role(None, user, Role(role)))
    click.echo(f"{email} {'no longer has' if revoked else 'did not have'} the role {role}.")


@users_cli.command("disable")
@click.argument("email")
def disable_command(email):
    """Disable an account (its sessions end at once)."""
    user = _user(email)
    _run(lambda: operations.set_user_status(None, user, AccountStatus.DISABLED))
    click.echo(f"{email} is disabled.")


@users_cli.command("enable")
@click.argument("email")
def enable_command(email):
    """Enable an account."""
    user = _user(email)
    _run(lambda: operations.set_user_status(None, user, AccountStatus.ACTIVE))
    click.echo(f"{email} is active.")


@users_cli.command("list")
def list_command():
    """List users with their roles."""
    for user in db.session.execute(db.select(operations.User).order_by("email")).scalars():
        roles = ",".join(sorted(r.value for r in user.roles)) or "-"
        org = user.organisation.name if user.organisation else "-"
        click.echo(f"{user.email}\t{user.status.value}\t{roles}\t{org}")


@orgs_cli.command("create")
@click.argument("name")
@click.option("--kind", type=click.Choice([k.value for k in OrgKind]), default="provider")
@click.option("--domain")
@click.option("--country", help="ISO 3166 alpha-2 code.")
@click.option("--website")
def create_org_command(name, kind, domain, country, website):
    """Create an organisation."""
    org = _run(
        lambda: operations.create_organisation(
            None,
            name=name,
            kind=OrgKind(kind),
            domain=domain,
            country=country,
            website=website,
        )
    )
    click.echo(f"Created organisation {org.name} (id {org.id}).")
