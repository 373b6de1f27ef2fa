"""Account actions: organisations, users, roles, self-registration and password reset.

Every action here is audited; password-reset tokens are single use and expire; answers to
"forgot password" never reveal whether an address has an account. Bad input raises
``FieldError`` naming the field it belongs to, so forms show the message next to it.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta
from urllib.parse import urlsplit

import pycountry
import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask import current_app

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
from qa_portal.accounts.workflow import ADMIN, APPLICANT, ORGANISATION_MACHINE, USER_MACHINE
from qa_portal.core import audit
from qa_portal.core.errors import InvalidInput, NotPermitted, TransitionNotAllowed
from qa_portal.core.mail import queue_email
from qa_portal.core.models import utcnow
from qa_portal.core.states import SYSTEM
from qa_portal.core.urls import external_url
from qa_portal.extensions import db

MIN_PASSWORD_LENGTH = 10
DOMAIN_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


class FieldError(InvalidInput):
    """Bad input that belongs to one field (``email``, ``domain``, ``password``…)."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


# -- validation ---------------------------------------------------------------------------
def normalise_email(email: str) -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise FieldError("email", f"“{email}” is not a valid e-mail address: {exc}") from exc


def normalise_domain(domain: str | None) -> str | None:
    if not domain or not domain.strip():
        return None
    value = domain.strip().lower()
    value = re.sub(r"^https?://", "", value).split("/", 1)[0].removeprefix("www.")
    if not DOMAIN_RE.match(value):
        raise FieldError("domain", f"“{domain}” is not a web domain (for example: uni-example.eu).")
    return value


def check_country(code: str | None) -> str | None:
    if not code:
        return None
    if pycountry.countries.get(alpha_2=code.upper()) is None:
        raise FieldError("country", f"“{code}” is not an ISO 3166 country code.")
    return code.upper()


def normalise_website(url: str | None) -> str | None:
    """An http(s) address (``https://`` is added when the scheme is missing), or None."""
    value = (url or "").strip()
    if not value:
        return None
    if "://" not in value:
        value = "https://" + value
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.hostname or " " in value:
        raise FieldError("website", f"“{url}” is not a web address (https://…).")
    try:
        normalise_domain(parts.hostname)
    except FieldError:
        raise FieldError("website", f"“{url}” is not a web address (https://…).") from None
    return value


def check_password_strength(password: str, email: str | None = None) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise FieldError(
            "password", f"The password must have at least {MIN_PASSWORD_LENGTH} characters."
        )
    if email and password.strip().lower() == email.lower():
        raise FieldError("password", "The password must not be your e-mail address.")


def _flush_unique(field: str, message: str) -> None:
    """Flush; a unique constraint hit by a concurrent request (a double click) becomes the
    same message as the check before it. The caller must roll back, as for any error."""
    try:
        db.session.flush()
    except sa.exc.IntegrityError as exc:
        raise FieldError(field, message) from exc


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
    _flush_unique("name", f"An organisation named “{name}” already exists.")
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
    ORGANISATION_MACHINE.fire(
        org, transition.action, actor=actor, role=role or _role(actor), audited=False
    )
    audit.record(
        actor, "organisation.status", org, from_state=previous.value, to_state=status.value
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
        check_password_strength(password, email)
    user = User(email=email, name=name, organisation=organisation, status=status)
    if password:
        user.set_password(password)
    for role in roles:
        user.grant(role)
    db.session.add(user)
    _flush_unique("email", f"An account for {email} already exists.")
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
    return True


def revoke_role(actor: User | None, user: User, role: Role) -> bool:
    """Take ``role`` away from ``user``; False when they did not have it."""
    role = Role(role)
    if user.id == getattr(actor, "id", None) and role == Role.QA_ADMIN:
        raise FieldError("roles", "You cannot remove your own QA admin role.")
    revoked = user.revoke(role)
    if revoked:
        audit.record(actor, "user.revoke_role", user, role=role.value)
    return revoked


def _change_user_status(actor: User | None, user: User, action: str, role: str) -> None:
    """Fire ``action`` of the account table; every session and e-mailed link of the
    person ends."""
    previous = user.status
    transition = USER_MACHINE.fire(user, action, actor=actor, role=role, audited=False)
    user.auth_epoch = (user.auth_epoch or 0) + 1  # every existing session ends
    _retire_reset_tokens(user)
    audit.record(
        actor, "user.status", user, from_state=previous.value, to_state=transition.target.value
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
    _change_user_status(actor, user, action, _role(actor))


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
    """A signed-in person changes their password: other sessions and reset links end."""
    if not user.check_password(current or ""):
        raise FieldError("current_password", "The current password is not correct.")
    check_password_strength(new, user.email)
    user.set_password(new)
    _retire_reset_tokens(user)
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

    If an organisation already uses the domain, the person asks to join it (a rejected one
    is opened again for review; a disabled one cannot be joined); otherwise a new
    organisation is created in the pending state together with the account. A person whose
    earlier registration was rejected may register again with the same address.
    """
    email = normalise_email(email)
    name = (name or "").strip()
    if not name:
        raise FieldError("name", "Give your name.")
    check_password_strength(password, email)
    domain_value = normalise_domain(domain)
    if domain_value is None:
        raise FieldError("domain", "Give your organisation's web domain.")
    existing = queries.user_by_email(email)
    if existing is not None and existing.status != AccountStatus.REJECTED:
        raise FieldError(
            "email",
            "An account with this e-mail address already exists or is waiting for approval. "
            "Use “Forgot password” if you cannot sign in.",
        )
    org = queries.organisation_by_domain(domain_value)
    if org is not None and org.kind != OrgKind.PROVIDER:
        raise FieldError(
            "domain", "This domain belongs to the QA body; ask a QA admin for an account."
        )
    if org is not None and org.status == AccountStatus.DISABLED:
        raise FieldError(
            "domain",
            f"The organisation using {domain_value} is disabled; please contact the QA body.",
        )
    if org is None:
        try:
            org = create_organisation(
                None,
                name=organisation_name,
                kind=OrgKind.PROVIDER,
                domain=domain_value,
                country=country,
                website=website,
                status=AccountStatus.PENDING,
            )
        except FieldError as exc:
            field = "organisation_name" if exc.field == "name" else exc.field
            raise FieldError(field, exc.message) from exc
    elif org.status == AccountStatus.REJECTED:
        set_organisation_status(None, org, AccountStatus.PENDING, role=APPLICANT)

    if existing is None:
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
    else:  # registering again after a rejection
        user = existing
        user.name = name
        user.organisation = org
        user.set_password(password)
        for role in user.roles - {Role.PROVIDER}:
            user.revoke(role)
        user.grant(Role.PROVIDER)
        _change_user_status(None, user, "register_again", APPLICANT)
    audit.record(None, "user.register", user, organisation_id=org.id, email=email)
    for admin in queries.users_with_role(Role.QA_ADMIN):
        queue_email(
            admin.email,
            "New provider registration to review",
            "registration_pending",
            admin=admin,
            user=user,
            organisation=org,
            review_url=external_url("admin.registrations"),
        )
    return user


def approve_registration(actor: User, user: User) -> None:
    """Let a pending applicant sign in; a new organisation becomes active with them."""
    if user.status != AccountStatus.PENDING:
        raise TransitionNotAllowed("This registration has already been handled.")
    org = user.organisation
    if org is not None and org.status == AccountStatus.DISABLED:
        raise TransitionNotAllowed(
            f"{org.name} is disabled; enable the organisation first, then approve."
        )
    if org is not None and org.status != AccountStatus.ACTIVE:
        set_organisation_status(actor, org, AccountStatus.ACTIVE)
    _change_user_status(actor, user, "approve", _role(actor))
    audit.record(actor, "user.registration_approved", user)
    queue_email(
        user.email,
        "Your QA Portal account is approved",
        "registration_approved",
        user=user,
        login_url=external_url("accounts.login"),
    )


def reject_registration(actor: User, user: User, reason: str) -> None:
    """Refuse a pending applicant, with a reason that is e-mailed to them. A new
    organisation nobody else belongs to (or waits to join) is rejected with them."""
    if user.status != AccountStatus.PENDING:
        raise TransitionNotAllowed("This registration has already been handled.")
    reason = (reason or "").strip()
    if not reason:
        raise FieldError("reason", "Give the reason for rejecting the registration.")
    _change_user_status(actor, user, "reject", _role(actor))
    org = user.organisation
    if (
        org
        and org.status == AccountStatus.PENDING
        and all(
            m.status not in {AccountStatus.ACTIVE, AccountStatus.PENDING}
            for m in org.members
            if m.id != user.id
        )
    ):
        set_organisation_status(actor, org, AccountStatus.REJECTED)
    audit.record(actor, "user.registration_rejected", user, reason=reason)
    queue_email(
        user.email,
        "Your QA Portal registration",
        "registration_rejected",
        user=user,
        reason=reason,
    )


# -- password reset -----------------------------------------------------------------------
def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _retire_reset_tokens(user: User) -> None:
    """Every outstanding e-mailed link of ``user`` stops working."""
    db.session.execute(
        sa.update(PasswordResetToken)
        .where(PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )


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
        reset_url=external_url("accounts.reset_password", token=token),
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
    """Set a new password through an e-mailed link: the link is used up, every other
    outstanding link and every session of the person end."""
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
    _retire_reset_tokens(row.user)
    row.user.set_password(password)
    audit.record(row.user, "user.password_reset", row.user)
    return row.user
