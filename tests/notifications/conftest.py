"""Fixtures for the notification tests: a real SMTP server on loopback, the workflow helpers,
and readers for the outbox table and the inbox."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from qa_portal.core.mail import OutboxMessage
from qa_portal.extensions import db
from qa_portal.notifications.models import Notification
from tests.notifications.smtp import SmtpServer
from tests.workflow.conftest import panel, workflow  # noqa: F401  (shared fixtures)


@pytest.fixture
def smtp(app, monkeypatch):
    """A real SMTP server on 127.0.0.1 (a free port); the app delivers to it for this test."""
    server = SmtpServer().up()
    monkeypatch.setitem(app.config, "MAIL_SERVER", server.host)
    monkeypatch.setitem(app.config, "MAIL_PORT", server.port)
    monkeypatch.setitem(app.config, "MAIL_TIMEOUT", 5.0)
    yield server
    server.down()


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
