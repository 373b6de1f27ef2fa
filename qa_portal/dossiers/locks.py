"""Serialising work on one dossier."""

from __future__ import annotations

import sqlalchemy as sa

from qa_portal.dossiers.models import Dossier
from qa_portal.extensions import db


def lock_dossier(dossier: Dossier) -> Dossier:
    """Serialise work on one dossier (row lock on PostgreSQL; SQLite serialises writers)."""
    db.session.execute(sa.select(Dossier.id).where(Dossier.id == dossier.id).with_for_update())
    db.session.refresh(dossier, attribute_names=["state"])
    return dossier
