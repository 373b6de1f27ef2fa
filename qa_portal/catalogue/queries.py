"""What the dossier page shows about the dossier's publication in the catalogue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from qa_portal.catalogue import search_conditions
from qa_portal.catalogue.models import Listing, ListingState
from qa_portal.catalogue.operations import listing_of, publishable_decision
from qa_portal.decisions.models import Decision
from qa_portal.extensions import db


@dataclass
class PublicationView:
    listing: Listing | None
    publishable: Decision | None

    @property
    def can_publish(self) -> bool:
        return self.publishable is not None and (
            self.listing is None or self.listing.decision_id != self.publishable.id
        )


def publication_view(dossier, user) -> PublicationView:
    return PublicationView(listing=listing_of(dossier), publishable=publishable_decision(dossier))


FEED_SIZE = 50  # entries in the Atom feed, and tombstones


def ended_approvals(day: date, limit: int = FEED_SIZE) -> list[Listing]:
    """The latest approvals to end, newest first: withdrawn or revoked (by when), and
    expired (by their last valid day); ``limit`` of them."""
    early = (
        sa.select(Listing)
        .where(
            Listing.state.in_((ListingState.WITHDRAWN, ListingState.REVOKED)),
            Listing.ended_at.is_not(None),
        )
        .order_by(Listing.ended_at.desc())
        .limit(limit)
    )
    expired = (
        sa.select(Listing)
        .where(search_conditions.status_condition("expired", day))
        .order_by(Listing.valid_until.desc())
        .limit(limit)
    )
    found = [*db.session.scalars(early), *db.session.scalars(expired)]

    def ended_on(listing: Listing):
        return listing.ended_at.date() if listing.ended_at else listing.valid_until

    return sorted(found, key=ended_on, reverse=True)[:limit]
