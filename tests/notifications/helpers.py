"""Readers for the notification tests: the outbox table and the inbox."""

from __future__ import annotations

import sqlalchemy as sa

from qa_portal.core.mail import OutboxMessage
from qa_portal.extensions import db
from qa_portal.notifications.models import Notification


def outbox(to: str | None = None) -> list[OutboxMessage]:
    """The rows of the outbox table (fresh from the database), oldest first."""
    db.session.expire_all()
    query = sa.select(OutboxMessage).order_by(OutboxMessage.id)
    if to is not None:
        query = query.where(OutboxMessage.recipient == to)
    return list(db.session.execute(query).scalars())


def inbox(user) -> list[Notification]:
    db.session.expire_all()
    return list(
        db.session.execute(
            sa.select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
        ).scalars()
    )
