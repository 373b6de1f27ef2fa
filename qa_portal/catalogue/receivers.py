"""What the catalogue does when something happens in a package below it (see
core/signals.py)."""

from __future__ import annotations

import sqlalchemy as sa

from qa_portal.catalogue.models import Listing, ListingState
from qa_portal.catalogue.operations import listing_of, refresh_conditions, revoke_listing
from qa_portal.core import signals
from qa_portal.core.models import utcnow
from qa_portal.core.urls import site_path
from qa_portal.decisions.models import Condition, ConditionFollowUp, FollowUpAction
from qa_portal.extensions import db


@signals.condition_verified.connect
def refresh_the_listing_conditions(condition: Condition, *, actor) -> None:
    """A listing shows "conditions open" or "conditions met" in step with its decision; its
    public record changed (met, or not met and pending), so feed readers see it updated."""
    refresh_conditions(condition.decision.dossier)
    _touch(condition.decision)


def _touch(decision) -> None:
    listing = listing_of(decision.dossier)
    if listing is not None and listing.decision_id == decision.id:
        listing.updated_at = utcnow()


@signals.condition_followed_up.connect
def follow_the_follow_up(follow_up: ConditionFollowUp, *, actor) -> None:
    """A condition extended: the listing's conditions status follows. The approval
    withdrawn: the listing of that decision is revoked, with the QA body's reason (a listing
    the provider withdrew already stays withdrawn)."""
    decision = follow_up.condition.decision
    if follow_up.action != FollowUpAction.WITHDRAW:
        refresh_conditions(decision.dossier)
        _touch(decision)
        return
    listing = listing_of(decision.dossier)
    if listing is None or listing.decision_id != decision.id:
        return
    if listing.state == ListingState.VALID:
        reason = f"Approval withdrawn: a condition was not met. {follow_up.reason}"
        revoke_listing(actor, listing, reason[:2000], tell=False)


@signals.report_publication_asked.connect
def dossier_has_a_listing(report) -> bool:
    """A dossier with a listing (valid, expired, withdrawn or revoked: the public record)
    makes its public reports public."""
    found = db.session.execute(
        sa.select(Listing.id).where(Listing.dossier_id == report.dossier_id).limit(1)
    ).first()
    return found is not None


@signals.report_listing_asked.connect
def listing_of_report(report, *, today) -> dict | None:
    """The listing of a report's dossier as the verification page shows it: its current
    public status (valid, conditions open or overdue, expired, withdrawn, revoked), with a
    link; None when the dossier was never listed."""
    listing = db.session.execute(
        sa.select(Listing).where(Listing.dossier_id == report.dossier_id).limit(1)
    ).scalar()
    if listing is None:
        return None
    return {
        "title": listing.title,
        "provider": listing.provider_name,
        "url": site_path("catalogue.detail", listing_id=listing.id),
        "status": listing.public_status(today),
        "note": listing.follow_up_note(today),
        "valid_from": listing.valid_from,
        "valid_until": listing.valid_until,
        "ended_at": listing.ended_at,
        "ended_reason": listing.ended_reason,
        "of_this_decision": listing.decision_id == report.decision_id,
    }
