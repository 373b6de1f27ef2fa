"""Background jobs (Celery): in-process without a broker, a worker with ``CELERY_BROKER_URL``.

Without a broker (the embedded default) a job runs in the process that queued it, right
away, in an application context of its own; no broker connection is made. With
``CELERY_BROKER_URL`` (Redis) jobs go to the broker and a worker runs them:

    celery -A qa_portal.worker worker            # every queue (``celery`` and ``mail``)
    celery -A qa_portal.worker worker -Q mail    # a worker only for e-mail and reminders
    celery -A qa_portal.worker beat              # the schedule below (one per deployment)

Delivery is safe to repeat (messages are claimed before they are sent, reminders claim a
unique key), so the settings favour never losing a job over never running it twice: a job
is acknowledged after it ran, and given back to the broker when its worker dies.
"""

from __future__ import annotations

import json
import random

from celery import Task
from celery.utils import uuid
from flask import Flask, current_app, has_app_context
from kombu import Queue

from qa_portal.core import job_runner, mail
from qa_portal.extensions import celery

# instance/config.py may set CELERY_MAIL_QUEUE (another queue name) and MAIL_RETRY_SECONDS.
MAIL_QUEUE = "mail"
# E-mail retries: 30 s (MAIL_RETRY_SECONDS), 1 min, 2 min … up to an hour between attempts;
# after the last one the retry sweep (every 5 minutes, its own delay per message) takes over.
MAIL_MAX_RETRIES = 8
MAIL_RETRY_CAP = 3600
# Redis gives an unacknowledged job to another worker after this long. It must exceed the
# longest retry delay (a job waiting for its retry time is unacknowledged) and any job's run.
VISIBILITY_TIMEOUT = 3 * 3600


class FlaskTask(Task):
    """Runs in an application context of its own (its own database session)."""

    def __call__(self, *args, **kwargs):
        # In-process, the app that queued the job; in a worker, the one built by qa_portal.worker.
        app = current_app._get_current_object() if has_app_context() else self.app.flask_app
        with app.app_context():
            return self.run(*args, **kwargs)

    def apply_async(self, args=None, kwargs=None, task_id=None, producer=None, **options):
        if not self.app.conf.task_always_eager:
            return super().apply_async(args, kwargs, task_id, producer, **options)
        # In-process: run now. Celery's own eager path would still build a broker connection
        # (only to pick a serializer) and kombu would log "No hostname was supplied".
        # The arguments make the same JSON round trip as through a broker.
        args, kwargs = json.loads(json.dumps([list(args or ()), dict(kwargs or {})]))
        for name in ("countdown", "eta", "expires", "queue", "routing_key", "retry_policy"):
            options.pop(name, None)
        return self.apply(args, kwargs, task_id=task_id or uuid(), **options)


def init_celery(app: Flask) -> None:
    """Configure the (module-level) Celery app for ``app``: eager without a broker."""
    broker = app.config.get("CELERY_BROKER_URL")
    mail_queue = app.config.get("CELERY_MAIL_QUEUE") or MAIL_QUEUE
    # Redis that does not answer fails a connection, a publish or a read within this many
    # seconds instead of holding a request (or a worker) indefinitely.
    redis_timeout = app.config.get("REDIS_TIMEOUT", 5.0)
    _forget_broker_connections()
    celery.conf.update(
        # No fake broker URL when there is no broker: jobs then never touch one.
        broker_url=broker,
        result_backend=app.config.get("CELERY_RESULT_BACKEND"),
        task_always_eager=broker is None,
        task_eager_propagates=False,
        task_ignore_result=True,
        task_serializer="json",
        accept_content=["json"],
        # Acknowledge after the job ran; a worker that dies mid-job gives it back.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=redis_timeout,
        broker_transport_options={
            "visibility_timeout": VISIBILITY_TIMEOUT,
            "socket_connect_timeout": redis_timeout,
            "socket_timeout": redis_timeout,
        },
        redis_socket_connect_timeout=redis_timeout,
        redis_socket_timeout=redis_timeout,
        # E-mail has its own queue so that a backlog of reports never delays it; a worker
        # started without -Q consumes both.
        task_default_queue="celery",
        task_queues=(Queue("celery"), Queue(mail_queue)),
        task_routes={
            "qa_portal.deliver_email": {"queue": mail_queue},
            "qa_portal.retry_email": {"queue": mail_queue},
            "qa_portal.send_reminders": {"queue": mail_queue},
        },
        enable_utc=True,
        beat_schedule={
            # A run that could not start before the next one is due is dropped (expires).
            "retry-unsent-email": {
                "task": "qa_portal.retry_email",
                "schedule": 300.0,
                "options": {"expires": 280},
            },
            # Hourly: a reminder is sent at most once (reminder_log), so repeating is free
            # and a missed run (beat or workers down) is made up within the hour.
            # Every minute: jobs whose dispatch was lost (the broker was down) or whose
            # runner died (an expired lease) are handed to the workers again.
            "sweep-jobs": {
                "task": "qa_portal.sweep_jobs",
                "schedule": 60.0,
                "options": {"expires": 55},
            },
            "send-reminders": {
                "task": "qa_portal.send_reminders",
                "schedule": 3600.0,
                "options": {"expires": 3300},
            },
            # Hourly: stray upload and report files (core/file_sweep.py).
            "sweep-files": {
                "task": "qa_portal.sweep_files",
                "schedule": 3600.0,
                "options": {"expires": 3300},
            },
            # Every 10 minutes: sign the audit trail's length and head (core/audit_jobs.py).
            "audit-checkpoint": {
                "task": "qa_portal.audit_checkpoint",
                "schedule": 600.0,
                "options": {"expires": 580},
            },
        },
    )
    celery.Task = FlaskTask
    celery.flask_app = app
    app.extensions["celery"] = celery


def _forget_broker_connections() -> None:
    """Forget the pools Celery cached for a broker configured before (another app in the
    same process, as in tests): the next job takes them from kombu for the current URL."""
    celery._pool = None
    amqp = celery.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None


def mail_retry_delay(retries: int, first: float = 30) -> float:
    """Seconds before retry number ``retries + 1``: doubling, capped, with a little jitter."""
    delay = min(first * 2**retries, MAIL_RETRY_CAP)
    return delay + random.uniform(0, delay / 10)


@celery.task(name="qa_portal.deliver_email", bind=True, base=FlaskTask, max_retries=None)
def deliver_email(self, message_ids: list[int]) -> int:
    """Deliver one committed transaction's messages; retried with a growing delay."""
    try:
        return mail.deliver(message_ids)
    except mail.DeliveryFailed as exc:
        if self.app.conf.task_always_eager:
            # In-process: leave the messages queued for the retry sweep rather than block.
            current_app.logger.warning("e-mail not delivered, left for retry: %s", exc.error)
            return exc.sent
        if self.request.retries >= MAIL_MAX_RETRIES:
            current_app.logger.warning("e-mail retries exhausted, left for the sweep: %s", exc)
            return exc.sent
        first = current_app.config.get("MAIL_RETRY_SECONDS") or 30
        raise self.retry(countdown=mail_retry_delay(self.request.retries, first)) from exc


@celery.task(name="qa_portal.retry_email", base=FlaskTask)
def retry_email() -> tuple[int, int]:
    """The periodic sweep: deliver what is unsent and due for another attempt."""
    return mail.retry_pending(due_only=True)


@celery.task(name="qa_portal.run_job", bind=True, base=FlaskTask, max_retries=5)
def run_job(self, job_id: int) -> str:
    """Run one durable job (``core.job_queue``). A job still held by a runner that may have
    died (a redelivery after a worker was lost) is tried again once its lease has expired,
    so the re-run really runs it."""
    outcome = job_runner.run(job_id)
    if outcome == "busy" and not self.app.conf.task_always_eager:
        raise self.retry(countdown=job_runner.job_queue.lease_seconds() + 1)
    return outcome


@celery.task(name="qa_portal.sweep_jobs", base=FlaskTask)
def sweep_jobs() -> int:
    """The periodic sweep: dispatch again every job that is due and nobody runs."""
    return job_runner.redispatch_due()
