"""Flask-Login glue: sessions carry ``id:epoch`` so a password change or disabling ends them."""

from __future__ import annotations

from qa_portal.accounts.models import User
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
