"""Account actions: organisations, users, roles, self-registration and password reset.

Every action here is audited; password-reset tokens are single use and expire; answers to
"forgot password" never reveal whether an address has an account.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

import pycountry
import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask import current_app, url_for

from qa_portal.accounts import queries
from qa_portal.accounts.models import (
    AccountStatus,
    Organisation,
    OrgKind,
    PasswordResetToken,
    Role,
    User,
    spend_password_check,
)
from qa_portal.core import audit
from qa_portal.core.errors import InvalidInput, TransitionNotAllowed
from qa_portal.core.mail import queue_email
from qa_portal.core.models import utcnow
from qa_portal.extensions import db

MIN_PASSWORD_LENGTH = 10
DOMAIN_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


# -- validation ---------------------------------------------------------------------------
def normalise_email(email: str) -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise InvalidInput(f"“{email}” is not a valid e-mail address: {exc}") from exc


def normalise_domain(domain: str | None) -> str | None:
    if not domain or not domain.strip():
        return None
    value = domain.strip().lower()
    value = re.sub(r"^https?://", "", value).split("/", 1)[0].removeprefix("www.")
    if not DOMAIN_RE.match(value):
        raise InvalidInput(f"“{domain}” is not a web domain (for example: uni-example.eu).")
    return value


def check_country(code: str | None) -> str | None:
    if not code:
        return None
    if pycountry.countries.get(alpha_2=code.upper()) is None:
        raise InvalidInput(f"“{code}” is not an ISO 3166 country code.")
    return code.upper()


def check_password_strength(password: str, email: str | None = None) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"The password must have at least {MIN_PASSWORD_LENGTH} characters.")
    if email and password.lower() == email.lower():
        raise InvalidInput("The password must not be your e-mail address.")


# -- organisations ------------------------------------------------------------------------
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
    """Create a provider organisation or the QA body (names are unique)."""
    name = name.strip()
    if not name:
        raise InvalidInput("An organisation needs a name.")
    if db.session.execute(
        sa.select(Organisation.id).where(sa.func.lower(Organisation.name) == name.lower())
    ).first():
        raise InvalidInput(f"An organisation named “{name}” already exists.")
    if kind == OrgKind.QA_BODY and queries.qa_body() is not None:
        raise InvalidInput("The QA body already exists; there is exactly one.")
    org = Organisation(
        name=name,
        kind=kind,
        domain=normalise_domain(domain),
        country=check_country(country),
        website=(website or "").strip() or None,
        status=status,
    )
    db.session.add(org)
    db.session.flush()
    audit.record(
        actor,
        "organisation.create",
        org,
        name=org.name,
        kind=kind.value,
        domain=org.domain,
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
    name = name.strip()
    clash = db.session.execute(
        sa.select(Organisation.id).where(
            sa.func.lower(Organisation.name) == name.lower(), Organisation.id != org.id
        )
    ).first()
    if not name or clash:
        raise InvalidInput(
            f"An organisation named “{name}” already exists."
            if name
            else "An organisation needs a name."
        )
    before = {
        "name": org.name,
        "domain": org.domain,
        "country": org.country,
        "website": org.website,
    }
    org.name = name
    org.domain = normalise_domain(domain)
    org.country = check_country(country)
    org.website = (website or "").strip() or None
    after = {"name": org.name, "domain": org.domain, "country": org.country, "website": org.website}
    changes = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
    if changes:
        audit.record(actor, "organisation.update", org, changes=changes)
    return org


def set_organisation_status(actor: User, org: Organisation, status: AccountStatus) -> None:
    if org.kind == OrgKind.QA_BODY and status != AccountStatus.ACTIVE:
        raise TransitionNotAllowed("The QA body cannot be disabled.")
    if org.status == status:
        return
    previous = org.status
    org.status = status
    audit.record(
        actor, "organisation.status", org, from_state=previous.value, to_state=status.value
    )


# -- users --------------------------------------------------------------------------------
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
    name = name.strip()
    if not name:
        raise InvalidInput("A user needs a name.")
    if queries.user_by_email(email):
        raise InvalidInput(f"An account for {email} already exists.")
    if Role.PROVIDER in roles and (organisation is None or organisation.kind != OrgKind.PROVIDER):
        raise InvalidInput("A provider member must belong to a provider organisation.")
    user = User(email=email, name=name, organisation=organisation, status=status)
    if password:
        check_password_strength(password, email)
        user.set_password(password)
    for role in roles:
        user.grant(Role(role))
    db.session.add(user)
    db.session.flush()
    audit.record(
        actor,
        "user.create",
        user,
        email=email,
        roles=sorted(r.value for r in roles),
        organisation_id=organisation.id if organisation else None,
        status=status.value,
    )
    if not password and send_invitation and status == AccountStatus.ACTIVE:
        _send_reset(user, template="account_invitation", hours=72, subject="Your QA Portal account")
    return user


def update_user(
    actor: User, user: User, *, name: str, organisation: Organisation | None, roles: list[Role]
) -> None:
    if Role.PROVIDER in roles and (organisation is None or organisation.kind != OrgKind.PROVIDER):
        raise InvalidInput("A provider member must belong to a provider organisation.")
    if user.id == getattr(actor, "id", None) and Role.QA_ADMIN not in roles:
        raise InvalidInput("You cannot remove your own QA admin role.")
    changes: dict = {}
    if name.strip() and name.strip() != user.name:
        changes["name"] = [user.name, name.strip()]
        user.name = name.strip()
    new_org_id = organisation.id if organisation else None
    if new_org_id != user.organisation_id:
        changes["organisation_id"] = [user.organisation_id, new_org_id]
        user.organisation = organisation
    wanted = {Role(r) for r in roles}
    for role in sorted(wanted - user.roles):
        user.grant(role)
    for role in sorted(user.roles - wanted):
        user.revoke(role)
    changes["roles"] = sorted(r.value for r in user.roles)
    audit.record(actor, "user.update", user, **changes)


def grant_role(
    actor: User | None, user: User, role: Role, organisation: Organisation | None = None
) -> bool:
    if role == Role.PROVIDER:
        org = organisation or user.organisation
        if org is None or org.kind != OrgKind.PROVIDER:
            raise InvalidInput("A provider member must belong to a provider organisation.")
        user.organisation = org
    granted = user.grant(role)
    if granted:
        audit.record(
            actor, "user.grant_role", user, role=role.value, organisation_id=user.organisation_id
        )
    return granted


def revoke_role(actor: User | None, user: User, role: Role) -> bool:
    revoked = user.revoke(role)
    if revoked:
        audit.record(actor, "user.revoke_role", user, role=role.value)
    return revoked


def set_user_status(actor: User | None, user: User, status: AccountStatus) -> None:
    """Enable or disable an account; disabling ends its sessions at once."""
    if user.id == getattr(actor, "id", None) and status != AccountStatus.ACTIVE:
        raise InvalidInput("You cannot disable your own account.")
    if user.status == status:
        return
    previous = user.status
    user.status = status
    user.auth_epoch = (user.auth_epoch or 0) + 1
    audit.record(actor, "user.status", user, from_state=previous.value, to_state=status.value)


def authenticate(email: str, password: str) -> User | None:
    """The active user with these credentials, or None (same answer for every failure)."""
    user = queries.user_by_email(email or "")
    if user is None:
        spend_password_check(password or "")
        return None
    if not user.check_password(password or "") or not user.is_active:
        return None
    user.last_login_at = utcnow()
    return user


def change_password(user: User, current: str, new: str) -> None:
    if not user.check_password(current):
        raise InvalidInput("The current password is not correct.")
    check_password_strength(new, user.email)
    user.set_password(new)
    audit.record(user, "user.change_password", user)


# -- self-registration --------------------------------------------------------------------
def register_provider(
    *,
    name: str,
    email: str,
    password: str,
    organisation_name: str,
    domain: str,
    country: str | None,
    website: str | None,
) -> User:
    """A provider asks for an account; a QA admin approves it before the first sign-in.

    If an organisation already uses the domain, the person asks to join it; otherwise a new
    organisation is created in the pending state together with the account.
    """
    email = normalise_email(email)
    check_password_strength(password, email)
    domain_value = normalise_domain(domain)
    if domain_value is None:
        raise InvalidInput("Give your organisation's web domain.")
    if queries.user_by_email(email):
        raise InvalidInput(
            "An account with this e-mail address already exists or is waiting for approval. "
            "Use “Forgot password” if you cannot sign in."
        )
    org = queries.organisation_by_domain(domain_value)
    if org is not None and org.kind != OrgKind.PROVIDER:
        raise InvalidInput("This domain belongs to the QA body; ask a QA admin for an account.")
    if org is None:
        org = create_organisation(
            None,
            name=organisation_name,
            kind=OrgKind.PROVIDER,
            domain=domain_value,
            country=country,
            website=website,
            status=AccountStatus.PENDING,
        )
    user = create_user(
        None,
        email=email,
        name=name,
        roles=[Role.PROVIDER],
        organisation=org,
        password=password,
        status=AccountStatus.PENDING,
        send_invitation=False,
    )
    audit.record(None, "user.register", user, organisation_id=org.id, email=email)
    for admin in queries.users_with_role(Role.QA_ADMIN):
        queue_email(
            admin.email,
            "New provider registration to review",
            "registration_pending",
            admin=admin,
            user=user,
            organisation=org,
            review_url=_external("admin.registrations"),
        )
    return user


def approve_registration(actor: User, user: User) -> None:
    if user.status != AccountStatus.PENDING:
        raise TransitionNotAllowed("This registration has already been handled.")
    if user.organisation and user.organisation.status == AccountStatus.PENDING:
        set_organisation_status(actor, user.organisation, AccountStatus.ACTIVE)
    elif user.organisation and user.organisation.status != AccountStatus.ACTIVE:
        raise TransitionNotAllowed(
            "The organisation of this registration is disabled; enable it first."
        )
    set_user_status(actor, user, AccountStatus.ACTIVE)
    queue_email(
        user.email,
        "Your QA Portal account is approved",
        "registration_approved",
        user=user,
        login_url=_external("accounts.login"),
    )


def reject_registration(actor: User, user: User, reason: str) -> None:
    if user.status != AccountStatus.PENDING:
        raise TransitionNotAllowed("This registration has already been handled.")
    if not reason.strip():
        raise InvalidInput("Give the reason for rejecting the registration.")
    set_user_status(actor, user, AccountStatus.REJECTED)
    org = user.organisation
    if (
        org
        and org.status == AccountStatus.PENDING
        and all(m.status != AccountStatus.ACTIVE for m in org.members)
    ):
        set_organisation_status(actor, org, AccountStatus.REJECTED)
    audit.record(actor, "user.registration_rejected", user, reason=reason.strip())
    queue_email(
        user.email,
        "Your QA Portal registration",
        "registration_rejected",
        user=user,
        reason=reason.strip(),
    )


# -- password reset -----------------------------------------------------------------------
def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _external(endpoint: str, **values) -> str:
    base = current_app.config.get("PUBLIC_BASE_URL")
    if base:
        return base + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


def _send_reset(user: User, *, template: str, hours: int, subject: str) -> str:
    token = secrets.token_urlsafe(32)
    db.session.add(
        PasswordResetToken(
            user_id=user.id,
            token_hash=_hash_token(token),
            expires_at=utcnow() + timedelta(hours=hours),
        )
    )
    queue_email(
        user.email,
        subject,
        template,
        user=user,
        hours=hours,
        reset_url=_external("accounts.reset_password", token=token),
    )
    return token


def request_password_reset(email: str) -> None:
    """E-mail a reset link to an active account; silently do nothing otherwise."""
    user = queries.user_by_email(email or "")
    if user is None or not user.is_active:
        return
    hours = current_app.config["PASSWORD_RESET_HOURS"]
    _send_reset(
        user, template="password_reset", hours=hours, subject="Reset your QA Portal password"
    )
    audit.record(None, "user.password_reset_requested", user)


def token_user(token: str) -> PasswordResetToken | None:
    """The unused, unexpired token row for ``token``, or None."""
    row = db.session.execute(
        sa.select(PasswordResetToken).where(PasswordResetToken.token_hash == _hash_token(token))
    ).scalar()
    if row is None or row.used_at is not None or row.expires_at < utcnow():
        return None
    if not row.user.is_active:
        return None
    return row


def reset_password(token: str, password: str) -> User:
    row = token_user(token)
    if row is None:
        raise InvalidInput("This link has expired or has already been used. Ask for a new one.")
    check_password_strength(password, row.user.email)
    claimed = db.session.execute(
        sa.update(PasswordResetToken)
        .where(PasswordResetToken.id == row.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        raise InvalidInput("This link has already been used. Ask for a new one.")
    # Every other outstanding link for this user stops working too.
    db.session.execute(
        sa.update(PasswordResetToken)
        .where(PasswordResetToken.user_id == row.user_id, PasswordResetToken.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    row.user.set_password(password)
    audit.record(row.user, "user.password_reset", row.user)
    return row.user
