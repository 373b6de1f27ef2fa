"""The review policy: reviewers per dossier, due dates, validity, appeal and reminder periods
(one row, inserted by migration 0007 from ``reviews/defaults.py``; each change audited).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from qa_portal.accounts.models import User
from qa_portal.core import audit
from qa_portal.core.errors import InvalidInput
from qa_portal.core.models import utcnow
from qa_portal.extensions import db
from qa_portal.reviews import deciding_body
from qa_portal.reviews.defaults import MissingDefaults
from qa_portal.reviews.models import (
    ReviewPolicy,
)
from qa_portal.reviews.panel_policy import apply_panel_policy

POLICY_LIMITS = {
    "reviewers_per_dossier": (1, 10),
    "response_days": (1, 60),
    "review_days": (1, 180),
    "reminder_days": (1, 30),
    "validity_years": (1, 10),
    "condition_days": (7, 730),
    "appeal_days": (1, 120),
    "renewal_notice_days": (7, 730),
    "factual_accuracy_days": (0, 60),
    "committee_quorum": (1, 20),
    "complaint_ack_days": (1, 60),
    "complaint_days": (5, 365),
    "appeals_committee_size": (1, 9),
}


def current_policy() -> ReviewPolicy:
    """The review policy. Only reads: the migrations guarantee the row (a GET never writes)."""
    policy = db.session.execute(sa.select(ReviewPolicy).order_by(ReviewPolicy.id).limit(1)).scalar()
    if policy is None:
        raise MissingDefaults(
            "The review policy is missing from the database; bring it up to date with "
            "'flask db upgrade' (migration 0007 inserts the default policy)."
        )
    return policy


def update_policy(actor: User, values: dict[str, Any]) -> ReviewPolicy:
    """QA admin sets reviewers per dossier, default due dates and validity period (and the
    panel-composition and site-visit settings: ``reviews/panel_policy.py``)."""
    policy = current_policy()
    changes = {}
    deciding_body.apply_settings(policy, values, changes)
    for name, (low, high) in POLICY_LIMITS.items():
        if name not in values or values[name] in (None, ""):
            continue
        try:
            value = int(values[name])
        except (TypeError, ValueError):
            raise InvalidInput(
                f"{name.replace('_', ' ').capitalize()} must be a whole number."
            ) from None
        if not low <= value <= high:
            raise InvalidInput(
                f"{name.replace('_', ' ').capitalize()} must be between {low} and {high}."
            )
        if getattr(policy, name) != value:
            changes[name] = [getattr(policy, name), value]
            setattr(policy, name, value)
    changes.update(apply_panel_policy(policy, values))
    if changes:
        policy.updated_at = utcnow()
        audit.record(actor, "policy.update", policy, changes=changes)
    return policy
