"""Sign-in throttling per e-mail address, on top of the limits per visitor address.

Failed sign-ins are counted in the database per address (``SignInThrottle``), so every web
process and host sees the same count, and whether or not an account uses the address: an
unknown address is locked out exactly like a known one, and the answer tells nobody which
addresses have accounts. The first ``FREE_FAILURES`` failures cost nothing; each further
one locks the address for ``FIRST_LOCK``, doubled per failure up to ``LONGEST_LOCK``.
While locked, sign-ins with the address are refused without checking the password. A
successful sign-in or password reset clears the count; a day without failures forgets it.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite

from qa_portal.accounts.models import SignInThrottle
from qa_portal.core.errors import InvalidInput
from qa_portal.core.models import utcnow
from qa_portal.extensions import db

FREE_FAILURES = 5
FIRST_LOCK = timedelta(minutes=1)
LONGEST_LOCK = timedelta(hours=1)
FORGET_AFTER = timedelta(days=1)


class SignInLocked(InvalidInput):
    """Too many failed sign-ins with this address; try again after ``wait``."""

    status_code = 429

    def __init__(self, wait: timedelta):
        minutes = max(1, math.ceil(wait.total_seconds() / 60))
        unit = "minute" if minutes == 1 else "minutes"
        super().__init__(
            "Too many failed sign-ins with this e-mail address. Try again in "
            f"{minutes} {unit}, or choose a new password with “Forgot your password?”."
        )
        self.wait = wait


def address_key(email: str) -> str:
    """The stored form of an address: a hash keyed with the portal's secret key."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, email.strip().lower().encode(), hashlib.sha256).hexdigest()


def lock_duration(failures: int) -> timedelta | None:
    """How long ``failures`` consecutive failures lock the address (None: not at all)."""
    if failures <= FREE_FAILURES:
        return None
    return min(FIRST_LOCK * 2 ** (failures - FREE_FAILURES - 1), LONGEST_LOCK)


def check_not_locked(email: str) -> None:
    """Raise ``SignInLocked`` while the address is locked out."""
    locked_until = db.session.execute(
        sa.select(SignInThrottle.locked_until).where(
            SignInThrottle.address_key == address_key(email)
        )
    ).scalar()
    now = utcnow()
    if locked_until is not None and locked_until > now:
        raise SignInLocked(locked_until - now)


def _upsert(dialect: str):
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(SignInThrottle)


def record_failure(email: str) -> tuple[int, timedelta | None]:
    """Count a failed sign-in with the address (one atomic statement, safe between
    processes) and lock it out when the count calls for it; forget stale counts. Returns
    the count of consecutive failures and the lockout it began (None: none)."""
    now = utcnow()
    key = address_key(email)
    stale = now - FORGET_AFTER
    insert = _upsert(db.session.get_bind().dialect.name).values(
        address_key=key, failures=1, last_failure_at=now
    )
    failures = db.session.execute(
        insert.on_conflict_do_update(
            index_elements=[SignInThrottle.address_key],
            set_={
                "failures": sa.case(
                    (SignInThrottle.last_failure_at < stale, 1),
                    else_=SignInThrottle.failures + 1,
                ),
                "last_failure_at": now,
            },
        ).returning(SignInThrottle.failures)
    ).scalar_one()
    lock = lock_duration(failures)
    if lock is not None:
        _set_lock(key, now + lock)
    db.session.execute(
        sa.delete(SignInThrottle)
        .where(SignInThrottle.last_failure_at < stale)
        .execution_options(synchronize_session=False)
    )
    return failures, lock


def _set_lock(key: str, until: datetime) -> None:
    db.session.execute(
        sa.update(SignInThrottle)
        .where(SignInThrottle.address_key == key)
        .values(locked_until=until)
        .execution_options(synchronize_session=False)
    )


def forget(email: str) -> None:
    """The person proved who they are (signed in, or reset the password): start afresh."""
    db.session.execute(
        sa.delete(SignInThrottle)
        .where(SignInThrottle.address_key == address_key(email))
        .execution_options(synchronize_session=False)
    )
