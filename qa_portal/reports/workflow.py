"""The review-report state machine.

A report is created ``queued`` (each request or regeneration is a new revision: a new row,
never a transition). The rendering job claims it (``start``: only one job renders a
report, even when two run at once), then stores the PDF (``render``) or records the error
(``fail``; also when the job was stopped before it could start, by a time or memory limit
or a crash). A job that took over the report's job from a runner that died claims a report
left ``rendering`` (``resume``). The QA body may queue a failed report again (``retry``),
or one left ``rendering`` by a runner nobody replaced (the operation checks it is stuck);
a retried job may also claim a failed report directly. A rendered report never changes.
The job's claim and failure are the system's own bookkeeping and leave no audit entry; the
request, the retry and the rendering are audited (``report.request``, ``report.retry``,
``report.render``).
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
        Transition("resume", (R.RENDERING,), R.RENDERING, (SYSTEM,), "Render again"),
        Transition("render", (R.RENDERING,), R.READY, (SYSTEM,), "Store the rendered report"),
        Transition("fail", (R.QUEUED, R.RENDERING), R.FAILED, (SYSTEM,), "Record the failure"),
        Transition("retry", (R.FAILED, R.RENDERING), R.QUEUED, (OFFICER, ADMIN), "Try again"),
    ],
    state_attr="status",
    phrases={R.QUEUED: "queued", R.RENDERING: "being rendered", R.FAILED: "failed to render"},
)
