"""Background jobs (Celery): in-process without a broker, a worker with ``CELERY_BROKER_URL``.

Run a worker with ``celery -A qa_portal.worker worker``; the beat schedule sends reminders
and retries unsent e-mail.
"""

from __future__ import annotations

from celery import Task
from flask import Flask

from qa_portal.extensions import celery


def init_celery(app: Flask) -> None:
    broker = app.config.get("CELERY_BROKER_URL")

    class FlaskTask(Task):
        def __call__(self, *args, **kwargs):
            with app.app_context():
                return self.run(*args, **kwargs)

    celery.conf.update(
        broker_url=broker or "memory://",
        result_backend=app.config.get("CELERY_RESULT_BACKEND"),
        task_always_eager=broker is None,
        task_eager_propagates=False,
        task_ignore_result=True,
        task_acks_late=True,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        beat_schedule={
            "retry-unsent-email": {"task": "qa_portal.retry_email", "schedule": 300.0},
            "send-reminders": {"task": "qa_portal.send_reminders", "schedule": 3600.0},
        },
    )
    celery.Task = FlaskTask
    app.extensions["celery"] = celery


@celery.task(name="qa_portal.deliver_email", bind=True, max_retries=8)
def deliver_email(self, message_ids: list[int]) -> None:
    from qa_portal.core import mail

    try:
        mail.deliver(message_ids)
    except Exception as exc:
        if self.app.conf.task_always_eager:
            # In-process: leave the message queued for the retry sweep rather than block.
            return
        raise self.retry(exc=exc, countdown=min(30 * 2**self.request.retries, 3600)) from exc


@celery.task(name="qa_portal.retry_email")
def retry_email() -> None:
    from qa_portal.core import mail

    mail.retry_pending()


@celery.task(name="qa_portal.send_reminders")
def send_reminders() -> None:
    from qa_portal.core.db import commit
    from qa_portal.notifications.reminders import send_reminders as run

    run(commit=commit)


@celery.task(name="qa_portal.render_report", bind=True, max_retries=3)
def render_report(self, report_id: int) -> None:
    from qa_portal.reports import operations

    try:
        operations.render(report_id)
    except Exception as exc:
        if self.app.conf.task_always_eager:
            return  # recorded as failed; the page offers to try again
        raise self.retry(exc=exc, countdown=30 * 2**self.request.retries) from exc
