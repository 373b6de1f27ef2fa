"""State machines for conditions, appeals and complaints (product spec section 3).

Appeals are decided by members of the appeals committee (ESG 2.7), not by QA officers.
Complaints: lodged → acknowledged (a QA admin takes it as handler) → resolved (with an
outcome and a response); the complainant may withdraw it before it is resolved.
"""

from __future__ import annotations

from qa_portal.core.states import StateMachine, Transition
from qa_portal.decisions.models import AppealState as P
from qa_portal.decisions.models import ComplaintState as K
from qa_portal.decisions.models import ConditionState as C

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
        Transition(
            "mark_not_met", (C.EVIDENCE_SUBMITTED,), C.NOT_MET, (OFFICER,), "Mark as not met"
        ),
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

COMPLAINT_MACHINE = StateMachine(
    "complaint",
    [
        Transition("acknowledge", (K.LODGED,), K.ACKNOWLEDGED, (ADMIN,), "Acknowledge"),
        Transition("resolve", (K.ACKNOWLEDGED,), K.RESOLVED, (ADMIN,), "Resolve"),
        Transition("withdraw", (K.LODGED, K.ACKNOWLEDGED), K.WITHDRAWN, (COMPLAINANT,), "Withdraw"),
    ],
    phrases={K.LODGED: "lodged, waiting for acknowledgement"},
)
