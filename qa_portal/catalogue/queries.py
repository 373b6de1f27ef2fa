"""What the dossier page shows about reports and publication."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from qa_portal.catalogue.models import Listing
from qa_portal.catalogue.operations import listing_of, publishable_decision
from qa_portal.decisions.models import Decision
from qa_portal.extensions import db
from qa_portal.reports.models import Report, ReportVariant


@dataclass
class PublicationView:
    listing: Listing | None
    publishable: Decision | None
    reports: list[Report] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)

    @property
    def can_publish(self) -> bool:
        return self.publishable is not None and (
            self.listing is None or self.listing.decision_id != self.publishable.id
        )


def publication_view(dossier, user) -> PublicationView:
    staff = user.is_authenticated and user.is_staff
    member = dossier.is_member(user)
    decisions = list(
        db.session.execute(
            sa.select(Decision)
            .where(Decision.dossier_id == dossier.id)
            .order_by(Decision.decided_at.desc(), Decision.id.desc())
        ).scalars()
    )
    query = sa.select(Report).where(Report.dossier_id == dossier.id)
    if not staff:
        query = query.where(Report.variant == ReportVariant.PUBLIC)
    reports = (
        list(
            db.session.execute(
                query.order_by(Report.decision_id.desc(), Report.variant, Report.revision.desc())
            ).scalars()
        )
        if (staff or member)
        else []
    )
    return PublicationView(
        listing=listing_of(dossier),
        publishable=publishable_decision(dossier),
        reports=reports,
        decisions=decisions,
    )
