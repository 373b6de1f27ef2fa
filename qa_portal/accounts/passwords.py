"""Signing in and passwords: authentication, changing a password, and password reset by
e-mail. Reset tokens are single use, stored hashed and expire; answers to "forgot password"
never reveal whether an address has an account, neither by their text nor by their time:
the request only schedules the reset, which runs after the response.
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
from qa_portal.core import audit
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
    The caller commits in both cases: a failure must be counted.
    """
    email = (email or "").strip().lower()
    throttle.check_not_locked(email)
    user = queries.user_by_email(email)
    if user is None:
        spend_password_check(password or "")
        throttle.record_failure(email)
        return None
    if not user.check_password(password or "") or not user.is_active:
        throttle.record_failure(email)
        return None
    throttle.forget(email)
    user.last_login_at = utcnow()
    return user


def change_password(user: User, current: str, new: str) -> None:
    """A signed-in person changes their password: other sessions and reset links end."""
    if not user.check_password(current or ""):
        raise FieldError("current_password", "The current password is not correct.")
    check_password_strength(new, user.email, user.name)
    user.set_password(new)
    _retire_reset_tokens(user)
    audit.record(user, "user.change_password", user)


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


def ask_for_password_reset(email: str) -> None:
    """The "forgot password" form: the same work for every address (none), and the reset
    itself (``request_password_reset``) after the response, so that neither the answer nor
    its time tells whether the address has an account."""
    address = (email or "").strip()
    after_response(lambda: request_password_reset(address))


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
    return row.user
