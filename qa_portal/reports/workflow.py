"""The review-report state machine.

A report is created ``queued`` (each request or regeneration is a new revision: a new row,
never a transition). The rendering job claims it (``start``: only one job renders a
report, even when two run at once), then stores the PDF (``render``) or records the error
(``fail``); the QA body may queue a failed report again (``retry``), or a retried job may
claim it directly. A rendered report never changes. The job's claim and failure are the
system's own bookkeeping and leave no audit entry; the request, the retry and the rendering
are audited (``report.request``, ``report.retry``, ``report.render``).
"""

from __future__ import annotations

from qa_portal.core.states import SYSTEM, StateMachine, Transition
from qa_portal.reports.models import ReportStatus as R

OFFICER = "qa_officer"
ADMIN = "qa_admin"

REPORT_MACHINE = StateMachine(
    "report",
    [
        Transition("start", (R.QUEUED, R.FAILED), R.RENDERING, (SYSTEM,), "Start rendering"),
        Transition("render", (R.RENDERING,), R.READY, (SYSTEM,), "Store the rendered report"),
        Transition("fail", (R.RENDERING,), R.FAILED, (SYSTEM,), "Record the failure"),
        Transition("retry", (R.FAILED,), R.QUEUED, (OFFICER, ADMIN), "Try again"),
    ],
    state_attr="status",
    phrases={R.QUEUED: "queued", R.RENDERING: "being rendered", R.FAILED: "failed to render"},
)
