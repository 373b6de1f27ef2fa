"""Signing in and passwords: authentication, changing a password, and password reset by
e-mail. Reset tokens are single use, stored hashed and expire; answers to "forgot password"
never reveal whether an address has an account, neither by their text nor by their time:
the request only schedules the reset, which runs after the response. An e-mailed link is
exchanged at once for a step held in the person's session (``open_reset_link``), so the
token leaves the address bar; the form then works from that step (``pending_reset``).

Every sign-in attempt, lockout, password change and reset is written to the security log
(``core/security_log.py``); a typed address only as its keyed hash.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from qa_portal.accounts import queries, throttle
from qa_portal.accounts.models import (
    PasswordResetToken,
    User,
    spend_password_check,
)
from qa_portal.accounts.validation import FieldError, check_password_strength
from qa_portal.core import audit, security_log
from qa_portal.core.db import after_response
from qa_portal.core.errors import InvalidInput
from qa_portal.core.mail import queue_email
from qa_portal.core.models import utcnow
from qa_portal.core.urls import external_url
from qa_portal.extensions import db


def authenticate(email: str, password: str) -> User | None:
    """The active user with these credentials, or None (same answer for every failure).

    Failures are counted per address, known or not, and lock it out for a growing time
    (``throttle.SignInLocked``, raised before any password check); success clears them.
    The caller commits in both cases: a failure must be counted. Each attempt is in the
    security log: ``auth.login.success`` or ``auth.login.failure`` (with the reason), and
    ``auth.lockout`` when a failure locks the address.
    """
    email = (email or "").strip().lower()
    try:
        throttle.check_not_locked(email)
    except throttle.SignInLocked:
        security_log.record(
            "auth.login.failure", address_hash=throttle.address_key(email), reason="locked"
        )
        raise
    user = queries.user_by_email(email)
    if user is None:
        spend_password_check(password or "")
        _sign_in_failed(email, None, "unknown_address")
        return None
    if not user.check_password(password or ""):
        _sign_in_failed(email, user, "wrong_password")
        return None
    if not user.is_active:
        _sign_in_failed(email, user, f"account_{user.status.value}")
        return None
    throttle.forget(email)
    user.last_login_at = utcnow()
    security_log.record("auth.login.success", user)
    return user


def _sign_in_failed(email: str, user: User | None, reason: str) -> None:
    """Count the failure against the address and log it (and the lockout it may begin)."""
    failures, lock = throttle.record_failure(email)
    address = throttle.address_key(email)
    security_log.record(
        "auth.login.failure", user, address_hash=address, reason=reason, failures=failures
    )
    if lock is not None:
        security_log.record(
            "auth.lockout",
            user,
            address_hash=address,
            failures=failures,
            lock_seconds=int(lock.total_seconds()),
        )


def change_password(user: User, current: str, new: str) -> None:
    """A signed-in person changes their password: other sessions and reset links end."""
    if not user.check_password(current or ""):
        raise FieldError("current_password", "The current password is not correct.")
    check_password_strength(new, user.email, user.name)
    user.set_password(new)
    _retire_reset_tokens(user)
    audit.record(user, "user.change_password", user)
    security_log.record("password.changed", user, on_commit=True)


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
        reset_url=external_url("accounts.reset_link", token=token),
    )
    return token


def ask_for_password_reset(email: str) -> None:
    """The "forgot password" form: the same work for every address (none), and the reset
    itself (``request_password_reset``) after the response, so that neither the answer nor
    its time tells whether the address has an account."""
    address = (email or "").strip()
    asked_by = security_log.request_details()  # the request is over when the reset runs
    after_response(lambda: request_password_reset(address, asked_by=asked_by))


def request_password_reset(email: str, *, asked_by: dict | None = None) -> None:
    """E-mail a reset link to an active account; silently do nothing otherwise. Logged
    either way (``password.reset.requested``, ``sent`` saying which), with the request
    details ``asked_by`` when it runs after that request."""
    user = queries.user_by_email(email or "")
    logged = {"context": asked_by, "address_hash": throttle.address_key(email or "")}
    if user is None or not user.is_active:
        security_log.record("password.reset.requested", user, sent=False, **logged)
        return
    hours = current_app.config["PASSWORD_RESET_HOURS"]
    _send_reset(
        user, template="password_reset", hours=hours, subject="Reset your QA Portal password"
    )
    audit.record(None, "user.password_reset_requested", user)
    security_log.record("password.reset.requested", user, sent=True, on_commit=True, **logged)


def _usable(row: PasswordResetToken | None) -> PasswordResetToken | None:
    if row is None or row.used_at is not None or row.expires_at < utcnow():
        return None
    if not row.user.is_active:
        return None
    return row


def token_user(token: str) -> PasswordResetToken | None:
    """The unused, unexpired token row for ``token``, or None."""
    return _usable(
        db.session.execute(
            sa.select(PasswordResetToken).where(PasswordResetToken.token_hash == _hash_token(token))
        ).scalar()
    )


def open_reset_link(token: str) -> PasswordResetToken | None:
    """Someone opens an e-mailed link: its usable token row, whose id the caller keeps in
    the session instead of the token, or None. Logged either way
    (``password.reset.opened`` or ``password.reset.rejected``); the link stays usable."""
    row = token_user(token)
    if row is None:
        security_log.record("password.reset.rejected", reason="invalid_used_or_expired")
    else:
        security_log.record("password.reset.opened", row.user, reset_id=row.id)
    return row


def pending_reset(reset_id: int | None) -> PasswordResetToken | None:
    """The token row of a link opened earlier (its id, from the session) while it is still
    usable, or None."""
    if not isinstance(reset_id, int):
        return None
    return _usable(db.session.get(PasswordResetToken, reset_id))


def complete_reset(row: PasswordResetToken | None, password: str) -> User:
    """Set a new password through an e-mailed link (``row``: its token, from
    ``token_user`` or ``pending_reset``): the link is used up, every other outstanding link
    and every session of the person end."""
    if row is None:
        raise InvalidInput("This link has expired or has already been used. Ask for a new one.")
    check_password_strength(password, row.user.email, row.user.name)
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
    throttle.forget(row.user.email)
    audit.record(row.user, "user.password_reset", row.user)
    security_log.record("password.reset.completed", row.user, reset_id=row.id, on_commit=True)
    return row.user
