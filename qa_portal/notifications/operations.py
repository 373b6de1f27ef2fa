"""Tell people what they must act on: an inbox entry and an e-mail, in the same transaction.

The e-mail goes through the outbox (``core.mail``): stored now, delivered after the commit,
retried on failure. Texts addressed to providers never name a reviewer (anonymity rule):
callers pass only aliases such as "Reviewer 1".
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from qa_portal.accounts.models import AccountStatus, Role, User, UserRole
from qa_portal.core.mail import queue_email
from qa_portal.core.models import utcnow
from qa_portal.core.urls import external_url, site_path
from qa_portal.extensions import db
from qa_portal.notifications.models import Notification


def notify(
    users: User | Iterable[User],
    kind: str,
    title: str,
    body: str,
    endpoint: str | None = None,
    *,
    email: bool = True,
    **url_values,
) -> list[Notification]:
    """Add an inbox entry for each active user and queue the matching e-mail."""
    recipients = [users] if isinstance(users, User) else list(users)
    url = external_url(endpoint, **url_values) if endpoint else ""
    path = site_path(endpoint, **url_values) if endpoint else ""
    created = []
    seen: set[int] = set()
    for user in recipients:
        if user is None or user.id in seen or user.status != AccountStatus.ACTIVE:
            continue
        seen.add(user.id)
        note = Notification(user_id=user.id, kind=kind, title=title, body=body, url=path)
        db.session.add(note)
        created.append(note)
        if email:
            queue_email(
                user.email, title, "notification", user=user, title=title, body=body, url=url
            )
    db.session.flush()
    return created


def officers() -> list[User]:
    return list(
        db.session.execute(
            sa.select(User)
            .join(UserRole)
            .where(UserRole.role == Role.QA_OFFICER, User.status == AccountStatus.ACTIVE)
            .order_by(User.id)
        ).scalars()
    )


def provider_members(organisation_id: int) -> list[User]:
    return list(
        db.session.execute(
            sa.select(User)
            .join(UserRole)
            .where(
                UserRole.role == Role.PROVIDER,
                User.organisation_id == organisation_id,
                User.status == AccountStatus.ACTIVE,
            )
            .order_by(User.id)
        ).scalars()
    )


def unread_count(user: User) -> int:
    return db.session.execute(
        sa.select(sa.func.count())
        .select_from(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
    ).scalar_one()


def mark_read(user: User, notification_ids: Iterable[int] | None = None) -> int:
    """Mark the user's notifications (or all of them) as read; returns how many changed."""
    query = sa.update(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)
    )
    if notification_ids is not None:
        query = query.where(Notification.id.in_(list(notification_ids)))
    return db.session.execute(
        query.values(read_at=utcnow()).execution_options(synchronize_session=False)
    ).rowcount
