"""What the dossier page shows about the dossier's publication in the catalogue."""

from __future__ import annotations

from dataclasses import dataclass

from qa_portal.catalogue.models import Listing
from qa_portal.catalogue.operations import listing_of, publishable_decision
from qa_portal.decisions.models import Decision


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
