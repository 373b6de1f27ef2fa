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


def security_header_problems(response, *, signed_in: bool, public: bool = False) -> list[str]:
    """What is wrong with the security headers of ``response`` (see core/headers.py): the
    strict Content-Security-Policy, no framing, no sniffing, a referrer and permissions
    policy, no HSTS outside production, and ``no-store`` on what a signed-in person gets
    unless the route is ``public`` (the same for everyone: static files, the JSON API)."""
    headers = response.headers
    problems = []
    csp = {
        name: value
        for name, _, value in (
            d.strip().partition(" ") for d in headers.get("Content-Security-Policy", "").split(";")
        )
    }
    if csp.get("script-src") != "'self'" or csp.get("default-src") != "'self'":
        problems.append(f"Content-Security-Policy: {headers.get('Content-Security-Policy')!r}")
    if csp.get("style-src") != "'self'" or csp.get("frame-ancestors") != "'none'":
        problems.append(f"Content-Security-Policy: {headers.get('Content-Security-Policy')!r}")
    expected = {"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff"}
    problems += [f"{k}: {headers.get(k)!r}" for k, v in expected.items() if headers.get(k) != v]
    referrer = headers.get("Referrer-Policy")
    if referrer not in {"strict-origin-when-cross-origin", "same-origin", "no-referrer"}:
        problems.append(f"Referrer-Policy: {referrer!r}")
    if "camera=()" not in headers.get("Permissions-Policy", ""):
        problems.append(f"Permissions-Policy: {headers.get('Permissions-Policy')!r}")
    if "Strict-Transport-Security" in headers:
        problems.append("Strict-Transport-Security outside production")
    if signed_in and not public and headers.get("Cache-Control") != "no-store":
        problems.append(f"Cache-Control for a signed-in person: {headers.get('Cache-Control')!r}")
    return problems
