"""What reports does when something happens in a package below it (see core/signals.py)."""

from __future__ import annotations

from flask import current_app

from qa_portal.core import signals
from qa_portal.decisions.models import Condition, ConditionFollowUp, Decision
from qa_portal.reports.operations import request_both


@signals.decision_recorded.connect
def queue_the_round_reports(decision: Decision, *, actor) -> None:
    """Both reports of a decided round are queued, and rendered by a job once the decision is
    committed (``REPORTS_ON_DECISION = False`` turns this off, for tests that need no PDF)."""
    if current_app.config.get("REPORTS_ON_DECISION", True):
        request_both(actor, decision)


@signals.condition_verified.connect
def reissue_on_verification(condition: Condition, *, actor) -> None:
    """A condition met or not met: a new revision of both reports, so the PDF shows the
    conditions' current state (the catalogue shows it at once)."""
    if current_app.config.get("REPORTS_ON_DECISION", True):
        request_both(actor, condition.decision)


@signals.condition_followed_up.connect
def reissue_on_follow_up(follow_up: ConditionFollowUp, *, actor) -> None:
    """A condition extended or the approval withdrawn: a new revision of both reports."""
    if current_app.config.get("REPORTS_ON_DECISION", True):
        request_both(actor, follow_up.condition.decision)
