"""E-mail through a transactional outbox.

``queue_email`` stores the message in the ``outbox_message`` table in the same transaction
as the change that caused it; after the commit one job delivers the transaction's messages
(in-process without a broker, a Celery worker with one) over one SMTP connection. Delivery
claims the rows first and marks each message sent right after the server accepted it, so a
message is sent once; an SMTP failure releases the rest for the retry (Celery's, or the
``flask mail retry`` sweep, also run periodically): nothing is lost and no request breaks.
Without ``MAIL_SERVER`` messages are written as ``.eml`` files to the instance outbox folder.
"""

from __future__ import annotations

import smtplib
import ssl
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

import sqlalchemy as sa
from flask import current_app, render_template
from sqlalchemy.orm import Mapped, mapped_column

from qa_portal.core.db import after_commit, per_transaction
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
    claim_token: Mapped[str | None] = mapped_column(sa.String(32), nullable=True)
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
    batch = per_transaction("qa_mail_batch", list)
    if not batch:
        after_commit(lambda: _dispatch(list(batch)))
    batch.append(message.id)
    return message


def _dispatch(message_ids: list[int]) -> None:
    from qa_portal.core.jobs import deliver_email

    deliver_email.delay(message_ids)


def build_message(message: OutboxMessage) -> EmailMessage:
    email = EmailMessage()
    email["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email["Date"] = formatdate(localtime=False)
    email["Message-ID"] = message.message_id
    email.set_content(message.body_text)
    return email


@contextmanager
def _transport() -> Iterator:
    """A function that sends one message: to the outbox folder, or over one SMTP session."""
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        folder = Path(config["MAIL_OUTBOX_DIR"])
        folder.mkdir(parents=True, exist_ok=True)

        def write(email: EmailMessage, message: OutboxMessage) -> None:
            stamp = message.created_at.strftime("%Y%m%dT%H%M%S")
            (folder / f"{stamp}-{message.id:06d}.eml").write_bytes(bytes(email))

        yield write
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
        yield lambda email, message: smtp.send_message(email)


def _claim(message_ids: list[int]) -> tuple[str, list[int]]:
    """Claim the unsent messages nobody else is delivering; returns (token, claimed ids)."""
    token = uuid.uuid4().hex
    now = utcnow()
    db.session.execute(
        sa.update(OutboxMessage)
        .where(
            OutboxMessage.id.in_(message_ids),
            OutboxMessage.sent_at.is_(None),
            sa.or_(
                OutboxMessage.claimed_at.is_(None),
                OutboxMessage.claimed_at < now - CLAIM_TIMEOUT,
            ),
        )
        .values(claimed_at=now, claim_token=token, attempts=OutboxMessage.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    claimed = (
        db.session.execute(
            sa.select(OutboxMessage.id)
            .where(OutboxMessage.claim_token == token)
            .order_by(OutboxMessage.id)
        )
        .scalars()
        .all()
    )
    return token, list(claimed)


def deliver(message_ids: int | list[int]) -> int:
    """Send the given queued messages that nobody else holds; returns how many were sent.

    On a transport error the messages not yet sent are released with the error recorded,
    and the error is raised so that a worker can retry later.
    """
    ids = [message_ids] if isinstance(message_ids, int) else list(message_ids)
    if not ids:
        return 0
    token, claimed = _claim(ids)
    sent = 0
    remaining = list(claimed)
    try:
        if claimed:
            with _transport() as send:
                for message_id in claimed:
                    message = db.session.get(OutboxMessage, message_id, populate_existing=True)
                    send(build_message(message), message)
                    db.session.execute(
                        sa.update(OutboxMessage)
                        .where(OutboxMessage.id == message_id, OutboxMessage.claim_token == token)
                        .values(sent_at=utcnow(), last_error=None, claim_token=None)
                        .execution_options(synchronize_session=False)
                    )
                    db.session.commit()
                    remaining.remove(message_id)
                    sent += 1
    except Exception as exc:
        db.session.rollback()
        db.session.execute(
            sa.update(OutboxMessage)
            .where(OutboxMessage.id.in_(remaining), OutboxMessage.claim_token == token)
            .values(
                claimed_at=None, claim_token=None, last_error=f"{type(exc).__name__}: {exc}"[:2000]
            )
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        raise
    return sent


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
    """Try every pending message once more; return (sent, still failing)."""
    ids = pending_ids()
    try:
        sent = deliver(ids)
    except Exception:
        current_app.logger.warning("e-mail delivery still failing", exc_info=True)
        sent = len(ids) - len(pending_ids())
    return sent, len(pending_ids())
