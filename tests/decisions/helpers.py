"""Helpers of the decision tests: appeal grounds, a due date, and a snapshot of everything
a refused action must leave alone."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from qa_portal.core import clock
from qa_portal.core.audit import AuditEntry
from qa_portal.core.mail import OutboxMessage
from qa_portal.decisions.models import Appeal, Condition, ConditionFile, Decision
from qa_portal.dossiers.models import Dossier, DossierVersion, ScreeningNote
from qa_portal.extensions import db
from qa_portal.notifications.models import Notification
from qa_portal.reviews.models import ModerationNote, ReviewAssignment, ReviewRound

GROUNDS = "The panel overlooked the assessment sample we provided with version 1."


def future(days: int = 60):
    return clock.today() + timedelta(days=days)


def world(dossier: Dossier) -> dict:
    """Everything an action on ``dossier`` could change: refused actions leave it equal.
    (Column queries read the database, not the objects the session holds.)"""
    d = dossier.id
    rounds = sa.select(ReviewRound.id).where(ReviewRound.dossier_id == d)
    decisions_ = sa.select(Decision.id).where(Decision.dossier_id == d)

    def count(model, *where):
        return sa.select(sa.func.count()).select_from(model).where(*where).scalar_subquery()

    counts = db.session.execute(
        sa.select(
            count(AuditEntry),
            count(Notification),
            count(OutboxMessage),
            count(Decision, Decision.dossier_id == d),
            count(Decision, Decision.dossier_id == d, Decision.superseded_at.is_not(None)),
            count(Appeal, Appeal.dossier_id == d),
            count(ScreeningNote, ScreeningNote.dossier_id == d),
            count(DossierVersion, DossierVersion.dossier_id == d),
            count(ReviewRound, ReviewRound.dossier_id == d),
            count(ModerationNote, ModerationNote.round_id.in_(rounds)),
            count(ConditionFile),
        )
    ).one()
    row = db.session.execute(
        sa.select(Dossier.state, Dossier.lock_version, Dossier.case_officer_id).where(
            Dossier.id == d
        )
    ).one()
    return {
        "dossier": tuple(row),
        "counts": tuple(counts),
        "assignments": db.session.execute(
            sa.select(ReviewAssignment.id, ReviewAssignment.state)
            .where(ReviewAssignment.round_id.in_(rounds))
            .order_by(ReviewAssignment.id)
        ).all(),
        "conditions": db.session.execute(
            sa.select(Condition.id, Condition.state, Condition.evidence_note)
            .where(Condition.decision_id.in_(decisions_))
            .order_by(Condition.id)
        ).all(),
        "appeals": db.session.execute(
            sa.select(Appeal.id, Appeal.state, Appeal.rationale)
            .where(Appeal.dossier_id == d)
            .order_by(Appeal.id)
        ).all(),
        "rounds": db.session.execute(
            sa.select(ReviewRound.id, ReviewRound.opened_at, ReviewRound.decided_at)
            .where(ReviewRound.dossier_id == d)
            .order_by(ReviewRound.id)
        ).all(),
        "files": sorted(p.name for p in Path(current_app.config["UPLOAD_DIR"]).glob("*")),
    }
