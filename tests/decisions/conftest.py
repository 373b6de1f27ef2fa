"""Fixtures for the decision tests: a second QA officer, and a dossier of provider A in any
state of the workflow, reached through the workflow builder."""

from __future__ import annotations

import pytest

from qa_portal.accounts.models import Role
from qa_portal.dossiers.models import Dossier, DossierState

from .helpers import GROUNDS, future

S = DossierState
# The stage of the workflow builder at which a dossier is in each of these states.
STAGE = {
    S.SUBMITTED: "submitted",
    S.SCREENING: "screening",
    S.IN_REVIEW: "in_review",
    S.DECISION_PENDING: "reviewed",
}


@pytest.fixture
def officer2(make_user, qa_body):
    """A second QA officer (appeals are decided by an officer other than the decider)."""
    return make_user(Role.QA_OFFICER, org=qa_body, name="Olga Second-Officer")


@pytest.fixture
def reach(workflow, officer2):
    """``reach(state, via=None)``: a dossier of provider A in ``state``, by the real
    operations. ``via`` picks the decision an appeal is lodged against (``rejected``,
    ``desk_rejected``, ``revise_and_resubmit``). (The second officer exists before
    anything is decided, as in the appeal tests.)"""

    def build(state: DossierState, via: str | None = None) -> Dossier:
        if state == S.DRAFT:
            return workflow.case().dossier
        if state == S.APPEAL:
            return workflow.case(build(S(via or "rejected"))).lodge_appeal(GROUNDS).dossier
        case = workflow.case(submit=True)
        if state in STAGE:
            case.to(STAGE[state])
        elif state == S.RETURNED:
            case.return_to_provider("Add the staff profiles.")
        elif state == S.DESK_REJECTED:
            case.desk_reject("Not a microcredential: 90 ECTS.")
        elif state == S.APPROVED_WITH_CONDITIONS:
            conditions = [{"text": "Publish the grading scheme.", "due_date": future()}]
            case.decide(state.value, conditions=conditions)
        elif state in (S.APPROVED, S.REVISE_AND_RESUBMIT, S.REJECTED):
            case.decide(state.value)
        elif state == S.WITHDRAWN:
            case.withdraw("We merged it into another course.")
        else:  # pragma: no cover - a new state needs a way to reach it
            raise AssertionError(f"no way to reach {state}")
        return case.dossier

    return build
