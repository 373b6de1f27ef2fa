"""The background job that renders a queued review report (Celery; in-process without a
broker). ``reports.operations`` queues it by name after the request's commit."""

from __future__ import annotations

from qa_portal.core.jobs import FlaskTask
from qa_portal.extensions import celery
from qa_portal.reports import operations


@celery.task(name="qa_portal.render_report", base=FlaskTask, bind=True, max_retries=3)
def render_report(self, report_id: int) -> None:
    """Render a queued review report; a failure is recorded on the report and retried."""
    try:
        operations.render(report_id)
    except Exception as exc:
        if self.app.conf.task_always_eager:
            return  # recorded as failed; the page offers to try again
        raise self.retry(exc=exc, countdown=30 * 2**self.request.retries) from exc
