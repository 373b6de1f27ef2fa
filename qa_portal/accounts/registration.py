"""Self-registration of providers: a person asks for an account (and, for a new domain, an
organisation); a QA admin approves or rejects it before the first sign-in. Audited; the QA
admins are told by e-mail, the person by e-mail once decided.

The registration page never tells whether an address has an account: the form's answer
depends only on what was typed (``ask_to_register`` checks it and nothing else), and the
registration itself runs after the response. For an address that already has an account,
its owner is told by e-mail that someone tried to register with it.
"""

from __future__ import annotations

from qa_portal.accounts import queries
from qa_portal.accounts.models import (
    AccountStatus,
    Organisation,
    OrgKind,
    Role,
    User,
)
from qa_portal.accounts.operations import (
    _check_organisation_unique,
    _role,
    change_user_status,
    create_organisation,
    create_user,
    log_role_change,
    set_organisation_status,
)
from qa_portal.accounts.validation import (
    FieldError,
    check_country,
    check_password_strength,
    normalise_domain,
    normalise_email,
    normalise_website,
)
from qa_portal.accounts.workflow import APPLICANT
from qa_portal.core import audit
from qa_portal.core.db import after_response
from qa_portal.core.errors import TransitionNotAllowed
from qa_portal.core.mail import queue_email
from qa_portal.core.urls import external_url


def ask_to_register(
    *,
    name: str,
    email: str,
    password: str,
    organisation_name: str,
    domain: str,
    country: str | None,
    website: str | None,
) -> None:
    """The registration form: check what was typed, then register after the response.

    Every check here reads only the input and the organisations, never the accounts, so the
    answer and its time are the same whether or not the address has an account; the
    registration (``register_provider``, with its password hashing and e-mails) runs after
    the response has been sent.
    """
    details = {
        "name": (name or "").strip(),
        "email": normalise_email(email),
        "password": password,
        "organisation_name": organisation_name,
        "domain": normalise_domain(domain),
        "country": country,
        "website": website,
    }
    _check_details(**details)
    after_response(lambda: register_provider(**details))


def _check_details(
    *,
    name: str,
    email: str,
    password: str,
    organisation_name: str,
    domain: str | None,
    country: str | None,
    website: str | None,
) -> None:
    if not name:
        raise FieldError("name", "Give your name.")
    check_password_strength(password, email, name)
    if domain is None:
        raise FieldError("domain", "Give your organisation's web domain.")
    org = queries.organisation_by_domain(domain)
    if org is not None:
        _check_joinable(org, domain)
        return
    name_value = (organisation_name or "").strip()
    if not name_value:
        raise FieldError("organisation_name", "Give your organisation's name.")
    try:
        check_country(country)
        normalise_website(website)
        _check_organisation_unique(name_value, domain, None)
    except FieldError as exc:
        field = "organisation_name" if exc.field == "name" else exc.field
        raise FieldError(field, exc.message) from exc


def register_provider(
    *,
    name: str,
    email: str,
    password: str,
    organisation_name: str,
    domain: str,
    country: str | None,
    website: str | None,
) -> User | None:
    """A provider asks for an account; a QA admin approves it before the first sign-in.

    If an organisation already uses the domain, the person asks to join it (a rejected one
    is opened again for review; a disabled one cannot be joined); otherwise a new
    organisation is created in the pending state together with the account. A person whose
    earlier registration was rejected may register again with the same address. For an
    address whose account exists (active, pending or disabled) nothing is registered: its
    owner is e-mailed instead, and None is returned.
    """
    email = normalise_email(email)
    name = (name or "").strip()
    if not name:
        raise FieldError("name", "Give your name.")
    check_password_strength(password, email, name)
    domain_value = normalise_domain(domain)
    if domain_value is None:
        raise FieldError("domain", "Give your organisation's web domain.")
    existing = queries.user_by_email(email)
    if existing is not None and existing.status != AccountStatus.REJECTED:
        _tell_the_owner(existing)
        return None
    org = _organisation_to_join(domain_value, organisation_name, country, website)
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
    else:
        user = _register_again(existing, name, org, password)
    audit.record(None, "user.register", user, organisation_id=org.id, email=email)
    _tell_the_admins(user, org)
    return user


def _tell_the_owner(user: User) -> None:
    """Someone registered with the address of an existing account: tell its owner."""
    queue_email(
        user.email,
        "Someone tried to register with your address",
        "registration_existing",
        user=user,
        login_url=external_url("accounts.login"),
        reset_url=external_url("accounts.forgot_password"),
    )
    audit.record(None, "user.register_existing", user)


def _organisation_to_join(
    domain: str, organisation_name: str, country: str | None, website: str | None
) -> Organisation:
    """The provider organisation using ``domain`` (a rejected one opened again for review),
    or a new pending one; the QA body's domain and a disabled organisation are refused."""
    org = queries.organisation_by_domain(domain)
    if org is not None:
        _check_joinable(org, domain)
    if org is None:
        try:
            return create_organisation(
                None,
                name=organisation_name,
                kind=OrgKind.PROVIDER,
                domain=domain,
                country=country,
                website=website,
                status=AccountStatus.PENDING,
            )
        except FieldError as exc:
            field = "organisation_name" if exc.field == "name" else exc.field
            raise FieldError(field, exc.message) from exc
    if org.status == AccountStatus.REJECTED:
        set_organisation_status(None, org, AccountStatus.PENDING, role=APPLICANT)
    return org


def _check_joinable(org: Organisation, domain: str) -> None:
    """The QA body's domain and a disabled organisation are refused."""
    if org.kind != OrgKind.PROVIDER:
        raise FieldError(
            "domain", "This domain belongs to the QA body; ask a QA admin for an account."
        )
    if org.status == AccountStatus.DISABLED:
        raise FieldError(
            "domain",
            f"The organisation using {domain} is disabled; please contact the QA body.",
        )


def _register_again(user: User, name: str, org: Organisation, password: str) -> User:
    """A person whose registration was rejected asks again: the same account, pending."""
    user.name = name
    user.organisation = org
    user.set_password(password)
    for role in sorted(user.roles - {Role.PROVIDER}):
        if user.revoke(role):
            log_role_change(None, user, role, granted=False)
    if user.grant(Role.PROVIDER):
        log_role_change(None, user, Role.PROVIDER, granted=True)
    change_user_status(None, user, "register_again", APPLICANT)
    return user


def _tell_the_admins(user: User, org: Organisation) -> None:
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
    change_user_status(actor, user, "approve", _role(actor))
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
    change_user_status(actor, user, "reject", _role(actor))
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
