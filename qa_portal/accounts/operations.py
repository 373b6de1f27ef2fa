"""Account actions: organisations, users and roles (each audited; status changes through
the tables in accounts/workflow.py). Registration, passwords and input checks have modules
of their own beside this one. Accounts created, roles granted or revoked and status changes
of accounts and organisations are written to the security log once committed.
"""

from __future__ import annotations

import sqlalchemy as sa

from qa_portal.accounts import queries
from qa_portal.accounts.models import (
    AccountStatus,
    Organisation,
    OrgKind,
    Role,
    User,
)
from qa_portal.accounts.passwords import _retire_reset_tokens, _send_reset
from qa_portal.accounts.validation import (
    FieldError,
    check_country,
    check_password_strength,
    flush_unique,
    normalise_domain,
    normalise_email,
    normalise_website,
)
from qa_portal.accounts.workflow import ADMIN, ORGANISATION_MACHINE, USER_MACHINE
from qa_portal.core import audit, security_log
from qa_portal.core.errors import InvalidInput, NotPermitted, TransitionNotAllowed
from qa_portal.core.states import SYSTEM
from qa_portal.extensions import db


# -- organisations ------------------------------------------------------------------------
def _check_organisation_unique(name: str, domain: str | None, org_id: int | None) -> None:
    others = sa.select(Organisation).where(Organisation.id != (org_id or 0))
    if db.session.execute(
        others.where(sa.func.lower(Organisation.name) == name.lower()).limit(1)
    ).scalar():
        raise FieldError("name", f"An organisation named “{name}” already exists.")
    if domain:
        owner = db.session.execute(
            others.where(sa.func.lower(Organisation.domain) == domain).limit(1)
        ).scalar()
        if owner is not None:
            raise FieldError("domain", f"{domain} is already the domain of “{owner.name}”.")


def create_organisation(
    actor: User | None,
    *,
    name: str,
    kind: OrgKind,
    domain: str | None = None,
    country: str | None = None,
    website: str | None = None,
    status: AccountStatus = AccountStatus.ACTIVE,
) -> Organisation:
    """Create a provider organisation or the QA body (names and domains are unique)."""
    name = (name or "").strip()
    if not name:
        raise FieldError("name", "An organisation needs a name.")
    domain_value = normalise_domain(domain)
    country_value = check_country(country)
    website_value = normalise_website(website)
    _check_organisation_unique(name, domain_value, None)
    if kind == OrgKind.QA_BODY and queries.qa_body() is not None:
        raise InvalidInput("The QA body already exists; there is exactly one.")
    org = Organisation(
        name=name,
        kind=kind,
        domain=domain_value,
        country=country_value,
        website=website_value,
        status=status,
    )
    db.session.add(org)
    flush_unique("name", f"An organisation named “{name}” already exists.")
    audit.record(
        actor,
        "organisation.create",
        org,
        name=org.name,
        kind=kind.value,
        domain=org.domain,
        country=org.country,
        status=status.value,
    )
    return org


def update_organisation(
    actor: User,
    org: Organisation,
    *,
    name: str,
    domain: str | None,
    country: str | None,
    website: str | None,
) -> Organisation:
    """Change an organisation's name, domain, country and website (audited)."""
    name = (name or "").strip()
    if not name:
        raise FieldError("name", "An organisation needs a name.")
    after = {
        "name": name,
        "domain": normalise_domain(domain),
        "country": check_country(country),
        "website": normalise_website(website),
    }
    _check_organisation_unique(name, after["domain"], org.id)
    before = {
        "name": org.name,
        "domain": org.domain,
        "country": org.country,
        "website": org.website,
    }
    for key, value in after.items():
        setattr(org, key, value)
    changes = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
    if changes:
        audit.record(actor, "organisation.update", org, changes=changes)
    return org


def _actor_id(actor: User | None) -> int | None:
    """Who made a change, for the security log (None: the system or an applicant)."""
    return getattr(actor, "id", None)


def _role(actor: User | None) -> str:
    """The role an account action is taken in: a QA admin's, or the system's (no actor: the
    command line)."""
    if actor is None:
        return SYSTEM
    if not actor.has_role(Role.QA_ADMIN):
        raise NotPermitted("Only QA admins manage accounts and organisations.")
    return ADMIN


def set_organisation_status(
    actor: User | None, org: Organisation, status: AccountStatus, *, role: str | None = None
) -> None:
    """Enable or disable an organisation, or move it along a registration, as the
    organisation table allows (``role``: who acts; by default the actor's role, see
    ``_role``); the QA body is always active."""
    if org.kind == OrgKind.QA_BODY and status != AccountStatus.ACTIVE:
        raise TransitionNotAllowed("The QA body cannot be disabled.")
    if org.status == status:
        return
    previous = org.status
    transition = ORGANISATION_MACHINE.leading_to(previous, status)
    if transition is None:
        raise TransitionNotAllowed(
            f"This organisation is {ORGANISATION_MACHINE.describe(previous)}; "
            f"it cannot be made {ORGANISATION_MACHINE.describe(status)}."
        )
    acting_as = role or _role(actor)
    ORGANISATION_MACHINE.fire(org, transition.action, actor=actor, role=acting_as, audited=False)
    audit.record(
        actor, "organisation.status", org, from_state=previous.value, to_state=status.value
    )
    security_log.record(
        "organisation.status_changed",
        on_commit=True,
        organisation_id=org.id,
        from_status=previous.value,
        to_status=status.value,
        actor_id=_actor_id(actor),
        acting_as=acting_as,
    )


# -- users --------------------------------------------------------------------------------
def _check_provider_organisation(roles, organisation: Organisation | None) -> None:
    if Role.PROVIDER in roles and (organisation is None or organisation.kind != OrgKind.PROVIDER):
        raise FieldError(
            "organisation_id", "A provider member must belong to a provider organisation."
        )


def create_user(
    actor: User | None,
    *,
    email: str,
    name: str,
    roles: list[Role] | tuple[Role, ...] = (),
    organisation: Organisation | None = None,
    password: str | None = None,
    status: AccountStatus = AccountStatus.ACTIVE,
    send_invitation: bool = True,
) -> User:
    """Create an account. Without a password the user is e-mailed a link to set one."""
    email = normalise_email(email)
    name = (name or "").strip()
    if not name:
        raise FieldError("name", "A user needs a name.")
    roles = [Role(r) for r in roles]
    if queries.user_by_email(email):
        raise FieldError("email", f"An account for {email} already exists.")
    _check_provider_organisation(roles, organisation)
    if password:
        check_password_strength(password, email, name)
    user = User(email=email, name=name, organisation=organisation, status=status)
    if password:
        user.set_password(password)
    for role in roles:
        user.grant(role)
    db.session.add(user)
    flush_unique("email", f"An account for {email} already exists.")
    audit.record(
        actor,
        "user.create",
        user,
        email=email,
        roles=sorted(r.value for r in roles),
        organisation_id=organisation.id if organisation else None,
        status=status.value,
    )
    security_log.record(
        "account.created",
        user,
        on_commit=True,
        roles=sorted(r.value for r in roles),
        status=status.value,
        actor_id=_actor_id(actor),
    )
    if not password and send_invitation and status == AccountStatus.ACTIVE:
        _send_reset(user, template="account_invitation", hours=72, subject="Your QA Portal account")
        audit.record(actor, "user.invitation_sent", user)
    return user


def update_user(
    actor: User, user: User, *, name: str, organisation: Organisation | None, roles: list[Role]
) -> None:
    """Change name, organisation and roles. Each role change is its own audit entry; a QA
    admin cannot take away their own admin role (so the portal never loses its last one)."""
    wanted = {Role(r) for r in roles}
    _check_provider_organisation(wanted, organisation)
    if user.id == getattr(actor, "id", None) and Role.QA_ADMIN not in wanted:
        raise FieldError("roles", "You cannot remove your own QA admin role.")
    name = (name or "").strip()
    if not name:
        raise FieldError("name", "A user needs a name.")
    changes: dict = {}
    if name != user.name:
        changes["name"] = [user.name, name]
        user.name = name
    new_org_id = organisation.id if organisation else None
    if new_org_id != user.organisation_id:
        changes["organisation_id"] = [user.organisation_id, new_org_id]
        user.organisation = organisation
    if changes:
        audit.record(actor, "user.update", user, **changes)
    for role in sorted(wanted - user.roles):
        grant_role(actor, user, role)
    for role in sorted(user.roles - wanted):
        revoke_role(actor, user, role)


def update_profile(user: User, *, name: str) -> None:
    """A person changes their own name."""
    name = (name or "").strip()
    if not name:
        raise FieldError("name", "Give your name.")
    if name != user.name:
        audit.record(user, "user.update", user, name=[user.name, name])
        user.name = name


def grant_role(
    actor: User | None, user: User, role: Role, organisation: Organisation | None = None
) -> bool:
    """Give ``role`` to ``user``; the provider role needs a provider organisation."""
    role = Role(role)
    if role in user.roles:
        if organisation is not None and organisation.id != user.organisation_id:
            raise FieldError(
                "organisation_id",
                f"{user.email} already has the role {role.value} in another organisation; "
                "change the organisation on the user's page.",
            )
        return False
    if role == Role.PROVIDER:
        org = organisation or user.organisation
        _check_provider_organisation([role], org)
        user.organisation = org
    elif organisation is not None and organisation.id != user.organisation_id:
        if Role.PROVIDER in user.roles:
            raise FieldError(
                "organisation_id",
                f"{user.email} is a provider member of “{user.organisation.name}”; change the "
                "organisation on the user's page.",
            )
        user.organisation = organisation
    user.grant(role)
    audit.record(
        actor,
        "user.grant_role",
        user,
        role=role.value,
        organisation_id=user.organisation.id if user.organisation else None,
    )
    log_role_change(actor, user, role, granted=True)
    return True


def log_role_change(actor: User | None, user: User, role: Role, *, granted: bool) -> None:
    """``account.role_changed`` in the security log, once the change is committed."""
    security_log.record(
        "account.role_changed",
        user,
        on_commit=True,
        role=Role(role).value,
        change="granted" if granted else "revoked",
        actor_id=_actor_id(actor),
    )


def revoke_role(actor: User | None, user: User, role: Role) -> bool:
    """Take ``role`` away from ``user``; False when they did not have it."""
    role = Role(role)
    if user.id == getattr(actor, "id", None) and role == Role.QA_ADMIN:
        raise FieldError("roles", "You cannot remove your own QA admin role.")
    revoked = user.revoke(role)
    if revoked:
        audit.record(actor, "user.revoke_role", user, role=role.value)
        log_role_change(actor, user, role, granted=False)
    return revoked


def change_user_status(actor: User | None, user: User, action: str, role: str) -> None:
    """Fire ``action`` of the account table; every session and e-mailed link of the
    person ends."""
    previous = user.status
    transition = USER_MACHINE.fire(user, action, actor=actor, role=role, audited=False)
    user.end_sessions()
    _retire_reset_tokens(user)
    audit.record(
        actor, "user.status", user, from_state=previous.value, to_state=transition.target.value
    )
    security_log.record(
        "account.status_changed",
        user,
        on_commit=True,
        from_status=previous.value,
        to_status=transition.target.value,
        action=action,
        actor_id=_actor_id(actor),
        acting_as=role,
    )


def set_user_status(actor: User | None, user: User, status: AccountStatus) -> None:
    """Enable or disable an account; disabling ends its sessions and e-mailed links at once.

    Registrations (pending or rejected accounts) are handled by ``approve_registration`` and
    ``reject_registration``, never here; nobody can disable their own account.
    """
    if status not in {AccountStatus.ACTIVE, AccountStatus.DISABLED}:
        raise InvalidInput("An account can only be enabled or disabled here.")
    if user.id == getattr(actor, "id", None) and status != AccountStatus.ACTIVE:
        raise InvalidInput("You cannot disable your own account.")
    if user.status == status:
        return
    if user.status == AccountStatus.PENDING:
        raise TransitionNotAllowed(
            f"{user.email} is a registration waiting for approval; approve or reject it on "
            "the Registrations page."
        )
    if user.status == AccountStatus.REJECTED:
        raise TransitionNotAllowed(
            f"The registration of {user.email} was rejected; the person can register again."
        )
    action = "enable" if status == AccountStatus.ACTIVE else "disable"
    change_user_status(actor, user, action, _role(actor))
