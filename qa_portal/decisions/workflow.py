"""State machines for conditions, appeals, decision proposals and complaints (product spec
section 3).

Follow-up (ESG 2.3): an open condition may be marked not met once its due date is reached,
without evidence; a condition not met is either extended (open again, with a new due date)
or the approval is withdrawn (``withdraw_approval`` in the dossier table).

Appeals are decided by members of the appeals committee (ESG 2.7), not by QA officers.
Complaints: lodged → acknowledged (a QA admin takes it as handler) → resolved (with an
outcome and a response); the complainant may withdraw it before it is resolved.
"""

from __future__ import annotations

from qa_portal.core.states import StateMachine, Transition
from qa_portal.decisions.models import AppealState as P
from qa_portal.decisions.models import ComplaintState as K
from qa_portal.decisions.models import ConditionState as C
from qa_portal.decisions.models import ProposalState as R

PROVIDER = "provider"
OFFICER = "qa_officer"
APPEALS_COMMITTEE = "appeals_committee"
ADMIN = "qa_admin"
COMPLAINANT = "complainant"

CONDITION_MACHINE = StateMachine(
    "condition",
    [
        Transition(
            "submit_evidence", (C.OPEN,), C.EVIDENCE_SUBMITTED, (PROVIDER,), "Submit evidence"
        ),
        Transition("mark_met", (C.EVIDENCE_SUBMITTED,), C.MET, (OFFICER,), "Mark as met"),
        # From "open" too: at or after the due date, without evidence (verify_condition
        # refuses it before the due date).
        Transition(
            "mark_not_met", (C.EVIDENCE_SUBMITTED, C.OPEN), C.NOT_MET, (OFFICER,), "Mark as not met"
        ),
        # The QA body's follow-up decision on a condition not met: a new due date
        # (decisions/follow_up.py); the other answer, withdrawing the approval, is a dossier
        # transition.
        Transition("extend", (C.NOT_MET,), C.OPEN, (OFFICER,), "Extend the condition"),
    ],
    phrases={
        C.EVIDENCE_SUBMITTED: "waiting for the QA body to verify the evidence",
        C.NOT_MET: "marked not met",
        C.MET: "marked met",
    },
)

APPEAL_MACHINE = StateMachine(
    "appeal",
    [
        Transition("uphold", (P.LODGED,), P.UPHELD, (APPEALS_COMMITTEE,), "Uphold the decision"),
        Transition(
            "overturn", (P.LODGED,), P.OVERTURNED, (APPEALS_COMMITTEE,), "Overturn the decision"
        ),
    ],
)

# The decision committee (migration 0015): the officer proposes, the committee decides (by
# its members' votes or at a meeting, recorded by a member or by the officer), or the
# officer withdraws the proposal to revise it.
COMMITTEE = "committee"
PROPOSAL_MACHINE = StateMachine(
    "proposal",
    [
        Transition("decide", (R.OPEN,), R.DECIDED, (COMMITTEE, OFFICER), "Record the decision"),
        Transition("withdraw", (R.OPEN,), R.WITHDRAWN, (OFFICER,), "Withdraw the proposal"),
    ],
    phrases={R.OPEN: "open for the committee", R.DECIDED: "decided by the committee"},
)

COMPLAINT_MACHINE = StateMachine(
    "complaint",
    [
        Transition("acknowledge", (K.LODGED,), K.ACKNOWLEDGED, (ADMIN,), "Acknowledge"),
        Transition("resolve", (K.ACKNOWLEDGED,), K.RESOLVED, (ADMIN,), "Resolve"),
        Transition("withdraw", (K.LODGED, K.ACKNOWLEDGED), K.WITHDRAWN, (COMPLAINANT,), "Withdraw"),
    ],
    phrases={K.LODGED: "lodged, waiting for acknowledgement"},
)
