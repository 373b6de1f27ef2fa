"""The listing state machine (product spec section 3, "Listings").

A listing is created ``valid`` on first publication. Expiry is computed from the validity
date, never stored. Publishing a renewal decision (or a new approval after a withdrawal)
republishes the same listing; a revoked listing is never published again.
"""

from __future__ import annotations

from qa_portal.catalogue.models import ListingState as L
from qa_portal.core.states import StateMachine, Transition

PROVIDER = "provider"
OFFICER = "qa_officer"

LISTING_MACHINE = StateMachine(
    "listing",
    [
        Transition("withdraw", (L.VALID,), L.WITHDRAWN, (PROVIDER,), "Withdraw"),
        Transition("revoke", (L.VALID,), L.REVOKED, (OFFICER,), "Revoke"),
        Transition("republish", (L.VALID, L.WITHDRAWN), L.VALID, (OFFICER,), "Publish again"),
    ],
)
