"""Plain helpers shared by tests of several folders (imported, never fixtures): test files,
what a person reads on a page, what the audit trail, the inbox and the outbox hold."""

from __future__ import annotations

import html
import io

import sqlalchemy as sa

from qa_portal.core.audit import AuditEntry
from qa_portal.core.mail import OutboxMessage
from qa_portal.extensions import db
from qa_portal.notifications.models import Notification


def pdf_bytes(text: str = "Evidence", pages: int = 1) -> bytes:
    """A small, valid PDF (pypdf), fast enough to make in every test."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": text})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def page_text(response) -> str:
    """The response body as a person reads it (entities decoded)."""
    return html.unescape(response.get_data(as_text=True))


def count(model) -> int:
    """The number of rows of ``model``'s table."""
    return db.session.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()


def audit_actions() -> list[str]:
    """The actions of the audit trail, oldest first."""
    return list(db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)))


def last_transition(obj, action: str) -> dict:
    """The payload of the newest audit entry ``<table>.<action>`` about ``obj``."""
    entry = db.session.execute(
        sa.select(AuditEntry)
        .where(
            AuditEntry.action == f"{obj.__tablename__}.{action}",
            AuditEntry.object_id == obj.id,
        )
        .order_by(AuditEntry.id.desc())
        .limit(1)
    ).scalar()
    assert entry is not None, f"no audit entry {obj.__tablename__}.{action} for {obj.id}"
    return entry.payload


def notified(user, since: int = 0) -> list[Notification]:
    """``user``'s inbox entries after the one numbered ``since``, oldest first."""
    return list(
        db.session.execute(
            sa.select(Notification)
            .where(Notification.user_id == user.id, Notification.id > since)
            .order_by(Notification.id)
        ).scalars()
    )


def outbox_to(user) -> list[OutboxMessage]:
    """The rows of the outbox addressed to ``user``, oldest first."""
    return list(
        db.session.execute(
            sa.select(OutboxMessage)
            .where(OutboxMessage.recipient == user.email)
            .order_by(OutboxMessage.id)
        ).scalars()
    )


def end_transaction_keeping_loaded() -> None:
    """End the test's transaction but keep what it loaded: a request that read something
    before another request committed a change to it. Needed before that other change: on
    SQLite a transaction reads one snapshot and may not write once another transaction has
    committed since its first read. Read what the other change needs (ids too) before: a
    read of this session afterwards would begin its next snapshot too early."""
    session = db.session()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True
