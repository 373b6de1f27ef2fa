"""Whether a report's decision is published in the public catalogue: a dossier with a
listing (valid, expired, withdrawn or revoked — the public record) makes its public reports
public."""

from __future__ import annotations

import sqlalchemy as sa

from qa_portal.extensions import db


def is_published(report) -> bool:
    from qa_portal.catalogue.models import Listing

    return (
        db.session.execute(
            sa.select(Listing.id).where(Listing.dossier_id == report.dossier_id).limit(1)
        ).first()
        is not None
    )
