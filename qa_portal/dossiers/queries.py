"""Read-only look-ups for dossiers."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from qa_portal.accounts.models import User
from qa_portal.dossiers.models import AssessmentComponent, Dossier, DossierState, DossierVersion
from qa_portal.extensions import db


def _with_children():
    return (
        selectinload(Dossier.outcomes),
        selectinload(Dossier.assessments).selectinload(AssessmentComponent.outcomes),
        selectinload(Dossier.files),
        selectinload(Dossier.versions),
        selectinload(Dossier.prerequisites),
        selectinload(Dossier.stackability),
        selectinload(Dossier.organisation),
        selectinload(Dossier.updated_by),
    )


def organisation_dossiers(organisation_id: int) -> list[Dossier]:
    return list(
        db.session.execute(
            sa.select(Dossier)
            .where(Dossier.organisation_id == organisation_id)
            .order_by(Dossier.updated_at.desc())
            .options(*_with_children())
        ).scalars()
    )


def submitted_dossiers(state: str | None = None) -> list[Dossier]:
    """Dossiers the QA body can see: those submitted at least once."""
    query = (
        sa.select(Dossier)
        .where(sa.exists().where(DossierVersion.dossier_id == Dossier.id))
        .order_by(Dossier.submitted_at.desc())
        .options(selectinload(Dossier.organisation), selectinload(Dossier.versions))
    )
    if state in {s.value for s in DossierState}:
        query = query.where(Dossier.state == state)
    return list(db.session.execute(query).scalars())


def dossier_for(user: User, dossier_id: int, *, full: bool = False) -> Dossier | None:
    """The dossier if it exists and ``user`` may see it, else None (callers answer 404).

    ``full`` loads every child collection up front (a fixed number of queries), for pages
    that show or check the whole dossier.
    """
    options = _with_children() if full else ()
    dossier = db.session.get(Dossier, dossier_id, options=options)
    if dossier is None or not dossier.can_view(user):
        return None
    return dossier


def version(dossier: Dossier, number: int) -> DossierVersion | None:
    return db.session.execute(
        sa.select(DossierVersion).where(
            DossierVersion.dossier_id == dossier.id, DossierVersion.number == number
        )
    ).scalar()
