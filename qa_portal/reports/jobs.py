"""The durable job that renders a queued review report (``core.job_runner``): in a process
of its own, stopped past ``REPORT_TIME_LIMIT`` seconds or ``REPORT_MEMORY_LIMIT`` MB.
``reports.operations`` submits it with the report, in the same transaction."""

from __future__ import annotations

from typing import Any

from qa_portal.core.job_runner import job_handler
from qa_portal.reports import operations


def _record_failure(payload: dict[str, Any], reason: str, will_retry: bool) -> None:
    operations.record_failure(payload["report_id"], reason)


@job_handler(
    operations.RENDER_JOB,
    isolated=True,
    time_limit_key="REPORT_TIME_LIMIT",
    memory_limit_key="REPORT_MEMORY_LIMIT",
    on_failure=_record_failure,
)
def render_report(report_id: int) -> None:
    """Render the report; a failure is recorded on it (the page offers to try again)."""
    operations.render(report_id, resume=True)
