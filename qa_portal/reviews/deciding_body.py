"""Who takes the QA body's decisions, a setting of the review policy (migration 0015).

``officer``: a QA officer decides alone (the behaviour before the setting). ``committee``:
the officer proposes and the decision committee (users with the committee role) decides, by
a quorum of votes or at a meeting; the policy then names the committee, as every decision
and report will.
"""

from __future__ import annotations

from typing import Any

from qa_portal.core.errors import InvalidInput
from qa_portal.reviews.models import ReviewPolicy

OFFICER = "officer"
COMMITTEE = "committee"
DECISION_BODIES = {
    OFFICER: "A QA officer decides alone",
    COMMITTEE: "The decision committee decides on the QA officer's proposal",
}


def decides_in_committee(policy: ReviewPolicy) -> bool:
    return policy.decision_body == COMMITTEE


def apply_settings(policy: ReviewPolicy, values: dict[str, Any], changes: dict) -> None:
    """Set the deciding body and the committee's name from ``values`` (a name is required
    when the committee decides); record what changed in ``changes``. Checks come first."""
    body = values.get("decision_body") or policy.decision_body
    if body not in DECISION_BODIES:
        raise InvalidInput("Choose who decides: a QA officer or the decision committee.")
    name = values.get("committee_name")
    name = policy.committee_name if name is None else str(name).strip()
    if len(name) > 200:
        raise InvalidInput("The committee's name is at most 200 characters.")
    if body == COMMITTEE and not name:
        raise InvalidInput("Name the decision committee (e.g. “Accreditation Committee”).")
    for attr, value in (("decision_body", body), ("committee_name", name)):
        if getattr(policy, attr) != value:
            changes[attr] = [getattr(policy, attr), value]
            setattr(policy, attr, value)
