"""E-mail through a transactional outbox.

``queue_email`` stores the message in the ``outbox_message`` table in the same transaction
as the change that caused it; after the commit a job delivers it (in-process without a
broker, a Celery worker with one). Delivery claims the row first, so a message is sent at
most once per claim, and an SMTP failure leaves it queued for the retry sweep
(``flask mail retry``, also run periodically): nothing is lost and no request breaks.
Without ``MAIL_SERVER`` messages are written as ``.eml`` files to the instance outbox folder.
"""

from __future__ import annotations

import smtplib
import ssl
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

import sqlalchemy as sa
from flask import current_app, render_template
from sqlalchemy.orm import Mapped, mapped_column

from qa_portal.core.db import after_commit
from qa_portal.core.models import Base, utcnow
from qa_portal.extensions import db

CLAIM_TIMEOUT = timedelta(minutes=5)
MAX_ATTEMPTS = 12


class OutboxMessage(Base):
    __tablename__ = "outbox_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)
    recipient: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    subject: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    body_text: Mapped[str] = mapped_column(sa.Text, nullable=False)
    message_id: Mapped[str] = mapped_column(sa.String(255), nullable=False, unique=True)
    attempts: Mapped[int] = mapped_column(nullable=False, default=0)
    claimed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(nullable=True, index=True)
    last_error: Mapped[str | None] = mapped_column(sa.Text, nullable=True)


def queue_email(recipient: str, subject: str, template: str, **context) -> OutboxMessage:
    """Store an e-mail for delivery after the current transaction commits.

    ``template`` names a plain-text Jinja template under ``templates/email/``.
    """
    body = render_template(f"email/{template}.txt", **context)
    message = OutboxMessage(
        recipient=recipient,
        subject=subject,
        body_text=body,
        message_id=make_msgid(domain="qa-portal.local"),
    )
    db.session.add(message)
    db.session.flush()
    message_id = message.id
    after_commit(lambda: _dispatch(message_id))
    return message


def _dispatch(message_id: int) -> None:
    from qa_portal.core.jobs import deliver_email

    deliver_email.delay(message_id)


def build_message(message: OutboxMessage) -> EmailMessage:
    email = EmailMessage()
    email["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email["Date"] = formatdate(localtime=False)
    email["Message-ID"] = message.message_id
    email.set_content(message.body_text)
    return email


def _transport(email: EmailMessage, message: OutboxMessage) -> None:
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        folder = Path(config["MAIL_OUTBOX_DIR"])
        folder.mkdir(parents=True, exist_ok=True)
        stamp = message.created_at.strftime("%Y%m%dT%H%M%S")
        (folder / f"{stamp}-{message.id:06d}.eml").write_bytes(bytes(email))
        return
    host, port, timeout = config["MAIL_SERVER"], config["MAIL_PORT"], config["MAIL_TIMEOUT"]
    if config.get("MAIL_USE_SSL"):
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(
            host, port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
    with smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls(context=ssl.create_default_context())
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        smtp.send_message(email)


def deliver(message_id: int) -> bool:
    """Send one queued message if nobody else holds it; True when it is (now) sent.

    Raises the transport error after recording it, so a worker can retry later.
    """
    now = utcnow()
    claimed = db.session.execute(
        sa.update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            OutboxMessage.sent_at.is_(None),
            sa.or_(
                OutboxMessage.claimed_at.is_(None),
                OutboxMessage.claimed_at < now - CLAIM_TIMEOUT,
            ),
        )
        .values(claimed_at=now, attempts=OutboxMessage.attempts + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    if claimed != 1:  # already sent, unknown, or being delivered by another worker
        sent_at = db.session.execute(
            sa.select(OutboxMessage.sent_at).where(OutboxMessage.id == message_id)
        ).scalar()
        return sent_at is not None
    message = db.session.get(OutboxMessage, message_id, populate_existing=True)
    try:
        _transport(build_message(message), message)
    except Exception as exc:
        db.session.execute(
            sa.update(OutboxMessage)
            .where(OutboxMessage.id == message_id)
            .values(claimed_at=None, last_error=f"{type(exc).__name__}: {exc}"[:2000])
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        raise
    db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(sent_at=utcnow(), last_error=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return True


def pending_ids(limit: int = 500) -> list[int]:
    """Unsent messages that nobody is delivering right now (for the retry sweep)."""
    now = utcnow()
    return list(
        db.session.execute(
            sa.select(OutboxMessage.id)
            .where(
                OutboxMessage.sent_at.is_(None),
                OutboxMessage.attempts < MAX_ATTEMPTS,
                sa.or_(
                    OutboxMessage.claimed_at.is_(None),
                    OutboxMessage.claimed_at < now - CLAIM_TIMEOUT,
                ),
            )
            .order_by(OutboxMessage.id)
            .limit(limit)
        ).scalars()
    )


def retry_pending() -> tuple[int, int]:
    """Try every pending message once; return (sent, failed)."""
    sent = failed = 0
    for message_id in pending_ids():
        try:
            if deliver(message_id):
                sent += 1
        except Exception:
            failed += 1
    return sent, failed
