"""The account and organisation state machines.

A person or organisation is created ``active`` (by a QA admin or on the command line) or
``pending`` (a provider's self-registration, waiting for a QA admin). A QA admin approves or
rejects a registration; a person whose registration was rejected may register again, which
opens it (and a rejected organisation) for review once more. QA admins enable and disable
accounts and organisations; ``flask users enable|disable`` does the same for accounts as the
system (no signed-in actor). Every change is audited as ``user.status`` or
``organisation.status`` by the operations.
"""

from __future__ import annotations

from qa_portal.accounts.models import AccountStatus as A
from qa_portal.core.states import SYSTEM, StateMachine, Transition

ADMIN = "qa_admin"
APPLICANT = "applicant"  # a person registering on the public form (not signed in)

USER_MACHINE = StateMachine(
    "account",
    [
        Transition("approve", (A.PENDING,), A.ACTIVE, (ADMIN,), "Approve the registration"),
        Transition("reject", (A.PENDING,), A.REJECTED, (ADMIN,), "Reject the registration"),
        Transition("register_again", (A.REJECTED,), A.PENDING, (APPLICANT,), "Register again"),
        Transition("disable", (A.ACTIVE,), A.DISABLED, (ADMIN, SYSTEM), "Disable the account"),
        Transition("enable", (A.DISABLED,), A.ACTIVE, (ADMIN, SYSTEM), "Enable the account"),
    ],
    state_attr="status",
    phrases={A.PENDING: "a registration waiting for approval"},
)

ORGANISATION_MACHINE = StateMachine(
    "organisation",
    [
        # a registration's approval, or "Enable organisation" on a pending one
        Transition("approve", (A.PENDING,), A.ACTIVE, (ADMIN,), "Approve the organisation"),
        Transition("reject", (A.PENDING,), A.REJECTED, (ADMIN,), "Reject the organisation"),
        Transition("reopen", (A.REJECTED,), A.PENDING, (APPLICANT,), "Register again"),
        # disabling a pending or rejected organisation keeps its domain from registering
        Transition(
            "disable",
            (A.ACTIVE, A.PENDING, A.REJECTED),
            A.DISABLED,
            (ADMIN,),
            "Disable the organisation",
        ),
        Transition(
            "enable", (A.DISABLED, A.REJECTED), A.ACTIVE, (ADMIN,), "Enable the organisation"
        ),
    ],
    state_attr="status",
    phrases={A.PENDING: "waiting for approval"},
)
