"""The dossier state machine (product spec section 3): the only transitions that exist.

One refinement of the spec's diagram: overturning a *desk rejection* on appeal sends the
dossier back to screening (``overturn_desk_rejection``), not to ``decision_pending``. A desk
rejection was decided without a review, so "decision pending" would leave the new officer
nothing to decide on (a decision needs submitted reviews); overturning it means the dossier
deserves the review it was refused. Every other overturned decision goes back to
``decision_pending`` for a new officer, as the spec says.
"""

from __future__ import annotations

from datetime import date

from qa_portal.core.states import SYSTEM, StateMachine, Transition
from qa_portal.dossiers.models import DossierState as S

PROVIDER = "provider"
OFFICER = "qa_officer"

BEFORE_DECISION = (S.DRAFT, S.SUBMITTED, S.SCREENING, S.RETURNED, S.IN_REVIEW, S.DECISION_PENDING)
# "Approved with conditions" is appealable (against its conditions); the approval stands,
# and its listing stays published, while the appeal is heard.
APPEALABLE = (S.REJECTED, S.DESK_REJECTED, S.REVISE_AND_RESUBMIT, S.APPROVED_WITH_CONDITIONS)
APPEALS_COMMITTEE = "appeals_committee"
APPROVED = (S.APPROVED, S.APPROVED_WITH_CONDITIONS)
DECIDED = APPROVED + (S.REVISE_AND_RESUBMIT, S.REJECTED)

DOSSIER_MACHINE = StateMachine(
    "dossier",
    [
        Transition("submit", (S.DRAFT,), S.SUBMITTED, (PROVIDER,), "Submit"),
        Transition("resubmit", (S.RETURNED,), S.SUBMITTED, (PROVIDER,), "Resubmit"),
        Transition("take_up", (S.SUBMITTED,), S.SCREENING, (OFFICER,), "Take up"),
        Transition("return", (S.SCREENING,), S.RETURNED, (OFFICER,), "Return to provider"),
        Transition("desk_reject", (S.SCREENING,), S.DESK_REJECTED, (OFFICER,), "Desk-reject"),
        Transition("open_review", (S.SCREENING,), S.IN_REVIEW, (OFFICER,), "Open review"),
        Transition(
            "close_round", (S.IN_REVIEW,), S.DECISION_PENDING, (OFFICER, SYSTEM), "Close the round"
        ),
        Transition("approve", (S.DECISION_PENDING,), S.APPROVED, (OFFICER,), "Approve"),
        Transition(
            "approve_with_conditions",
            (S.DECISION_PENDING,),
            S.APPROVED_WITH_CONDITIONS,
            (OFFICER,),
            "Approve with conditions",
        ),
        Transition(
            "revise",
            (S.DECISION_PENDING,),
            S.REVISE_AND_RESUBMIT,
            (OFFICER,),
            "Revise and resubmit",
        ),
        Transition("reject", (S.DECISION_PENDING,), S.REJECTED, (OFFICER,), "Reject"),
        Transition(
            "start_revision",
            (S.REVISE_AND_RESUBMIT,),
            S.DRAFT,
            (PROVIDER,),
            "Start the revised version",
        ),
        Transition("start_renewal", APPROVED, S.DRAFT, (PROVIDER,), "Start a renewal"),
        Transition("appeal", APPEALABLE, S.APPEAL, (PROVIDER,), "Appeal"),
        Transition(
            "overturn_appeal",
            (S.APPEAL,),
            S.DECISION_PENDING,
            (APPEALS_COMMITTEE,),
            "Overturn the decision",
        ),
        Transition(
            "overturn_desk_rejection",
            (S.APPEAL,),
            S.SCREENING,
            (APPEALS_COMMITTEE,),
            "Overturn the desk rejection",
        ),
        Transition(
            "uphold_appeal_rejected",
            (S.APPEAL,),
            S.REJECTED,
            (APPEALS_COMMITTEE,),
            "Uphold the decision",
        ),
        Transition(
            "uphold_appeal_desk_rejected",
            (S.APPEAL,),
            S.DESK_REJECTED,
            (APPEALS_COMMITTEE,),
            "Uphold the decision",
        ),
        Transition(
            "uphold_appeal_revise",
            (S.APPEAL,),
            S.REVISE_AND_RESUBMIT,
            (APPEALS_COMMITTEE,),
            "Uphold the decision",
        ),
        Transition(
            "uphold_appeal_conditions",
            (S.APPEAL,),
            S.APPROVED_WITH_CONDITIONS,
            (APPEALS_COMMITTEE,),
            "Uphold the decision",
        ),
        Transition("withdraw", BEFORE_DECISION, S.WITHDRAWN, (PROVIDER,), "Withdraw"),
        # A condition not met: the QA body withdraws the approval (decisions/follow_up.py).
        # The dossier ends "withdrawn", the final state it shares with a provider's
        # withdrawal; the audit trail and the follow-up record say who withdrew what. (Only
        # an approval with conditions can have a condition not met.)
        Transition(
            "withdraw_approval",
            (S.APPROVED_WITH_CONDITIONS,),
            S.WITHDRAWN,
            (OFFICER,),
            "Withdraw the approval",
        ),
    ],
    phrases={
        S.IN_REVIEW: "in review",
        S.DECISION_PENDING: "waiting for a decision",
        S.DESK_REJECTED: "desk-rejected",
        S.REVISE_AND_RESUBMIT: "to be revised and resubmitted",
        S.APPROVED_WITH_CONDITIONS: "approved with conditions",
        S.APPEAL: "under appeal",
    },
)

NEXT_ACTION = {
    S.DRAFT: "Complete the dossier and submit it",
    S.SUBMITTED: "Waiting for a QA officer to take it up",
    S.SCREENING: "Being screened by the QA body",
    S.RETURNED: "Answer the return note and resubmit",
    S.DESK_REJECTED: "Desk-rejected",
    S.IN_REVIEW: "Under review by the panel",
    S.DECISION_PENDING: "Waiting for the decision",
    S.APPROVED: "Approved",
    S.APPROVED_WITH_CONDITIONS: "Approved with conditions: fulfil the conditions",
    S.REVISE_AND_RESUBMIT: "Revise the dossier and resubmit it",
    S.REJECTED: "Rejected",
    S.APPEAL: "Appeal under consideration",
    S.WITHDRAWN: "Withdrawn",
}
# States whose next step is an appeal, while the decision's appeal period runs.
APPEAL_NEXT = (S.DESK_REJECTED, S.REJECTED)


def next_action(state: S, appeal_until: date | None = None) -> str:
    """What the provider does next. After a rejection that is an appeal, until the decision's
    appeal deadline (set from the review policy's appeal period when it was decided), which
    the caller passes while it has not passed and no appeal was lodged."""
    text = NEXT_ACTION[state]
    if state in APPEAL_NEXT and appeal_until is not None:
        return f"{text}: you may appeal until {appeal_until:%d %b %Y}"
    return text
