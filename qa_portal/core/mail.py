"""E-mail through a transactional outbox.

``queue_email`` stores the message in the ``outbox_message`` table in the same transaction
as the change that caused it; after the commit one job delivers the transaction's messages
(in-process without a broker, a Celery worker with one) over one SMTP connection. Delivery
claims the rows first and marks each message sent right after the server accepted it, so a
message is sent once, even when two deliveries of it run at the same time (only a process
killed between the server's acceptance and that mark leaves a message to be sent again,
after ``CLAIM_TIMEOUT``: never lost, at worst twice).

Failures lose nothing and break no request:
- the server unreachable or the connection lost: the messages not yet sent are released with
  the error recorded and the job fails, so that Celery retries it with a growing delay;
- the server refusing one message (a recipient it does not know, a message it rejects): that
  message keeps the error and the others of the batch are still sent;
- whatever is still unsent is picked up by the retry sweep (the ``qa_portal.retry_email``
  job on the beat schedule, with a growing delay per message, or ``flask mail retry`` run by
  an operator or by cron when there is no worker), however many attempts failed before.
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
from qa_portal.extensions import celery, db

# A delivery that has held its messages this long without finishing is taken to have died
# (a killed worker); its messages may be claimed again. Each sent message renews the claim.
CLAIM_TIMEOUT = timedelta(minutes=10)
# The retry sweep waits this long after a failed attempt, doubling per attempt up to the cap.
RETRY_FIRST_DELAY = timedelta(minutes=1)
RETRY_MAX_DELAY = timedelta(hours=1)
# The sweep gives up on messages older than this; ``flask mail retry`` still sends them.
RETRY_WINDOW = timedelta(days=7)
SWEEP_BATCH = 500
# Refusals that concern one message; the SMTP session stays usable for the next one.
MESSAGE_REFUSALS = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError)


class DeliveryFailed(Exception):
    """Some messages could not be delivered now; they stay queued with their error."""

    def __init__(self, sent: int, failed: int, error: str):
        super().__init__(f"{failed} message(s) not delivered ({sent} sent): {error}")
        self.sent, self.failed, self.error = sent, failed, error


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
    # The job is defined in core/jobs.py (which imports this module); found by its name.
    celery.tasks["qa_portal.deliver_email"].delay(message_ids)


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

        def write(email: EmailMessage, name: str) -> None:
            (folder / name).write_bytes(bytes(email))

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
        yield lambda email, name: smtp.send_message(email)


def _file_name(message: OutboxMessage) -> str:
    """The message's file in the outbox folder (without SMTP)."""
    return f"{message.created_at.strftime('%Y%m%dT%H%M%S')}-{message.id:06d}.eml"


def _error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:2000]


def _claimable(now: datetime):
    """Unsent, and nobody is delivering it (or its delivery died)."""
    return sa.and_(
        OutboxMessage.sent_at.is_(None),
        sa.or_(
            OutboxMessage.claim_token.is_(None),
            OutboxMessage.claimed_at < now - CLAIM_TIMEOUT,
        ),
    )


def _claim(message_ids: list[int]) -> tuple[str, list[int]]:
    """Claim the unsent messages nobody else is delivering; returns (token, claimed ids).

    One conditional UPDATE, committed before anything is sent: of two deliveries racing for
    a message, exactly one gets it.
    """
    token = uuid.uuid4().hex
    now = utcnow()
    db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id.in_(message_ids), _claimable(now))
        .values(claimed_at=now, claim_token=token, attempts=OutboxMessage.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    claimed = (
        db.session.execute(
            sa.select(OutboxMessage.id)
            .where(OutboxMessage.claim_token == token)
            .order_by(OutboxMessage.id)
        )
        .scalars()
        .all()
    )
    db.session.commit()  # before connecting to the server: no transaction is open meanwhile
    return token, list(claimed)


def _release(token: str, message_ids: list[int], error: str) -> None:
    """Give claimed messages back with the error; ``claimed_at`` stays as the last attempt."""
    if not message_ids:
        return
    db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id.in_(message_ids), OutboxMessage.claim_token == token)
        .values(claim_token=None, last_error=error)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def deliver(message_ids: int | list[int]) -> int:
    """Send the given queued messages that nobody else holds; returns how many were sent.

    Raises ``DeliveryFailed`` when some could not be sent (they keep their error and are
    released for a retry), so that a worker retries later.
    """
    ids = [message_ids] if isinstance(message_ids, int) else list(message_ids)
    if not ids:
        return 0
    token, claimed = _claim(ids)
    if not claimed:
        return 0
    sent = 0
    refused: dict[int, str] = {}
    remaining = list(claimed)
    try:
        with _transport() as send:
            for message_id in claimed:
                message = db.session.get(OutboxMessage, message_id, populate_existing=True)
                email, name = build_message(message), _file_name(message)
                # No transaction (nor SQLite's write lock) is held while the server answers.
                db.session.rollback()
                try:
                    send(email, name)
                except MESSAGE_REFUSALS as exc:
                    refused[message_id] = _error_text(exc)
                    remaining.remove(message_id)
                    continue
                now = utcnow()
                db.session.execute(
                    sa.update(OutboxMessage)
                    .where(OutboxMessage.id == message_id, OutboxMessage.claim_token == token)
                    .values(sent_at=now, last_error=None, claim_token=None)
                    .execution_options(synchronize_session=False)
                )
                # Still working: keep the rest of the batch ours.
                db.session.execute(
                    sa.update(OutboxMessage)
                    .where(OutboxMessage.claim_token == token)
                    .values(claimed_at=now)
                    .execution_options(synchronize_session=False)
                )
                db.session.commit()
                remaining.remove(message_id)
                sent += 1
    except Exception as exc:
        db.session.rollback()
        error = _error_text(exc)
        _release(token, remaining, error)
        for message_id, reason in refused.items():
            _release(token, [message_id], reason)
        raise DeliveryFailed(sent, len(remaining) + len(refused), error) from exc
    for message_id, reason in refused.items():
        _release(token, [message_id], reason)
    if refused:
        raise DeliveryFailed(sent, len(refused), next(iter(refused.values())))
    return sent


def _retry_delay(attempts: int) -> timedelta:
    return min(RETRY_FIRST_DELAY * 2 ** max(attempts - 1, 0), RETRY_MAX_DELAY)


def pending_ids(*, due_only: bool = False, limit: int = SWEEP_BATCH) -> list[int]:
    """Unsent messages that nobody is delivering right now, oldest first.

    ``due_only`` (the periodic sweep): only those whose last attempt is long enough ago
    (the delay doubles with each failed attempt) and that are younger than a week.
    """
    now = utcnow()
    query = sa.select(OutboxMessage.id, OutboxMessage.attempts, OutboxMessage.claimed_at).where(
        _claimable(now)
    )
    if due_only:
        query = query.where(OutboxMessage.created_at >= now - RETRY_WINDOW)
        query = query.order_by(
            sa.func.coalesce(OutboxMessage.claimed_at, OutboxMessage.created_at),
            OutboxMessage.id,
        ).limit(limit * 4)
    else:
        query = query.order_by(OutboxMessage.id).limit(limit)
    ids = []
    for message_id, attempts, last_attempt in db.session.execute(query):
        if due_only and last_attempt is not None and now - last_attempt < _retry_delay(attempts):
            continue
        ids.append(message_id)
    return sorted(ids[:limit])


def retry_pending(*, due_only: bool = False) -> tuple[int, int]:
    """Try the pending messages once more; return (sent, still failing).

    Without ``due_only`` (``flask mail retry``) every unsent message is tried, whatever its
    age and number of failed attempts; the periodic sweep passes ``due_only=True``.
    """
    ids = pending_ids(due_only=due_only)
    try:
        sent = deliver(ids)
    except DeliveryFailed as exc:
        current_app.logger.warning("e-mail delivery still failing: %s", exc.error)
        sent = exc.sent
    failed = db.session.execute(
        sa.select(sa.func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.id.in_(ids), OutboxMessage.sent_at.is_(None))
    ).scalar_one()
    return sent, failed
