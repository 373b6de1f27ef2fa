"""The review-assignment state machine (product spec section 3, "Review assignments")."""

from __future__ import annotations

from qa_portal.core.states import SYSTEM, StateMachine, Transition
from qa_portal.reviews.models import AssignmentState as A

REVIEWER = "reviewer"
OFFICER = "qa_officer"

ASSIGNMENT_MACHINE = StateMachine(
    "review assignment",
    [
        Transition("accept", (A.INVITED,), A.ACCEPTED, (REVIEWER,), "Accept"),
        Transition("decline", (A.INVITED,), A.DECLINED, (REVIEWER,), "Decline"),
        Transition("expire", (A.INVITED,), A.EXPIRED, (SYSTEM,), "Expire"),
        # the system cancels the open assignments of a dossier its provider withdraws
        Transition("cancel", (A.INVITED, A.ACCEPTED), A.CANCELLED, (OFFICER, SYSTEM), "Cancel"),
        Transition(
            "reinstate", (A.DECLINED, A.EXPIRED, A.CANCELLED), A.INVITED, (OFFICER,), "Reinstate"
        ),
        Transition("submit", (A.ACCEPTED,), A.SUBMITTED, (REVIEWER,), "Submit the review"),
        Transition("reopen", (A.SUBMITTED,), A.ACCEPTED, (OFFICER,), "Reopen the review"),
    ],
)
