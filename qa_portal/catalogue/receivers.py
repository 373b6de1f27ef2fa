"""What the catalogue does when something happens in a package below it (see
core/signals.py)."""

from __future__ import annotations

import sqlalchemy as sa

from qa_portal.catalogue.models import Listing
from qa_portal.catalogue.operations import refresh_conditions
from qa_portal.core import signals
from qa_portal.decisions.models import Condition
from qa_portal.extensions import db


@signals.condition_verified.connect
def refresh_the_listing_conditions(condition: Condition, *, actor) -> None:
    """A listing shows "conditions open" or "conditions met" in step with its decision."""
    refresh_conditions(condition.decision.dossier)


@signals.report_publication_asked.connect
def dossier_has_a_listing(report) -> bool:
    """A dossier with a listing (valid, expired, withdrawn or revoked: the public record)
    makes its public reports public."""
    found = db.session.execute(
        sa.select(Listing.id).where(Listing.dossier_id == report.dossier_id).limit(1)
    ).first()
    return found is not None
