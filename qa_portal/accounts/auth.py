"""Sessions: Flask-Login's user loader and ending sessions.

A session or remember-me cookie carries ``id:epoch`` (``User.get_id``). The loader accepts
it only while the epoch is the user's current one, so bumping the epoch ends, on the
server, every session and remember-me cookie issued before: a copied cookie no longer opens
anything. Signing out, "sign out everywhere", a password change or reset and disabling an
account bump it. Signing out and "sign out everywhere" are written to the security log.
"""

from __future__ import annotations

from qa_portal.accounts.models import User
from qa_portal.core import audit, security_log
from qa_portal.extensions import db


def load_user(user_id: str) -> User | None:
    try:
        ident, epoch = user_id.split(":", 1)
        user = db.session.get(User, int(ident))
        epoch_value = int(epoch)
    except (ValueError, TypeError):
        return None
    if user is None or (user.auth_epoch or 0) != epoch_value or not user.is_active:
        return None
    return user


def sign_out(user: User) -> None:
    """The person signs out: the session key changes, so the cookies of this browser stop
    working even if a copy of them was kept. The key is per person, so every other session
    of theirs ends as well."""
    user.end_sessions()
    security_log.record("auth.logout", user)


def sign_out_everywhere(user: User) -> None:
    """The person ends every session of theirs, on every device, this one included."""
    user.end_sessions()
    audit.record(user, "user.sign_out_everywhere", user)
    security_log.record("auth.logout_everywhere", user)
