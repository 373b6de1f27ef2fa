"""Fixtures for the decision tests: a dossier of provider A in any state of the workflow,
reached through the real operations, and a snapshot of everything a refused action must
leave alone."""

from __future__ import annotations

import html
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import current_app

from qa_portal.accounts.models import Role
from qa_portal.cases import screening, withdrawal
from qa_portal.core import clock
from qa_portal.core.audit import AuditEntry
from qa_portal.core.db import commit
from qa_portal.core.mail import OutboxMessage
from qa_portal.decisions import operations as decisions
from qa_portal.decisions.models import Appeal, Condition, ConditionFile, Decision
from qa_portal.dossiers.models import Dossier, DossierState, DossierVersion, ScreeningNote
from qa_portal.extensions import db
from qa_portal.notifications.models import Notification
from qa_portal.reviews.models import ModerationNote, ReviewAssignment, ReviewRound
from tests.workflow import conftest as workflow_fixtures

# The review-workflow fixtures (a panel of reviewers, a dossier moved along the workflow).
panel = workflow_fixtures.panel
workflow = workflow_fixtures.workflow
full_scores = workflow_fixtures.full_scores

S = DossierState
GROUNDS = "The panel overlooked the assessment sample we provided with version 1."


def future(days: int = 60):
    return clock.today() + timedelta(days=days)


@pytest.fixture
def officer2(make_user, qa_body):
    """A second QA officer (appeals are decided by an officer other than the decider)."""
    return make_user(Role.QA_OFFICER, org=qa_body, name="Olga Second-Officer")


@pytest.fixture
def reach(workflow, people, officer2, make_dossier, panel):
    """``reach(state, via=None)``: a dossier of provider A in ``state``, by the real
    operations. ``via`` picks the decision an appeal is lodged against (``rejected``,
    ``desk_rejected``, ``revise_and_resubmit``)."""

    def decided(outcome: str) -> Dossier:
        kwargs = {}
        if outcome == "approved_with_conditions":
            kwargs["conditions"] = [{"text": "Publish the grading scheme.", "due_date": future()}]
        dossier, _ = workflow.decided(outcome, **kwargs)
        return dossier

    def build(state: DossierState, via: str | None = None) -> Dossier:
        officer, provider = people.officer, people.provider_a
        if state == S.DRAFT:
            return make_dossier(provider)
        if state == S.SUBMITTED:
            return workflow.submitted()
        if state == S.SCREENING:
            return workflow.screening()
        if state == S.RETURNED:
            dossier = workflow.screening()
            screening.return_to_provider(officer, dossier, "Add the staff profiles.")
        elif state == S.DESK_REJECTED:
            dossier = workflow.screening()
            screening.desk_reject(officer, dossier, "Not a microcredential: 90 ECTS.")
        elif state == S.IN_REVIEW:
            return workflow.in_review()[0]
        elif state == S.DECISION_PENDING:
            return workflow.decision_pending()[0]
        elif state in (S.APPROVED, S.APPROVED_WITH_CONDITIONS, S.REVISE_AND_RESUBMIT, S.REJECTED):
            return decided(state.value)
        elif state == S.APPEAL:
            dossier = build(S(via or "rejected"))
            decisions.lodge_appeal(provider, dossier, GROUNDS)
        elif state == S.WITHDRAWN:
            dossier = workflow.submitted()
            withdrawal.withdraw_dossier(provider, dossier, "We merged it into another course.")
        else:  # pragma: no cover - a new state needs a way to reach it
            raise AssertionError(f"no way to reach {state}")
        commit()
        return dossier

    return build


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


def last_transition(obj, action: str) -> dict:
    """The payload of the newest audit entry ``<table>.<action>`` about ``obj``."""
    entry = db.session.execute(
        sa.select(AuditEntry)
        .where(
            AuditEntry.action == f"{obj.__tablename__}.{action}",
            AuditEntry.object_id == obj.id,
        )
        .order_by(AuditEntry.id.desc())
        .limit(1)
    ).scalar()
    assert entry is not None, f"no audit entry {obj.__tablename__}.{action} for {obj.id}"
    return entry.payload


def page_text(response) -> str:
    """The response body as a person reads it (entities decoded)."""
    return html.unescape(response.get_data(as_text=True))


def notified(user, since: int = 0) -> list[Notification]:
    return list(
        db.session.execute(
            sa.select(Notification)
            .where(Notification.user_id == user.id, Notification.id > since)
            .order_by(Notification.id)
        ).scalars()
    )


def outbox_to(user) -> list[OutboxMessage]:
    return list(
        db.session.execute(
            sa.select(OutboxMessage)
            .where(OutboxMessage.recipient == user.email)
            .order_by(OutboxMessage.id)
        ).scalars()
    )


__all__ = [
    "GROUNDS",
    "full_scores",
    "future",
    "last_transition",
    "notified",
    "outbox_to",
    "page_text",
    "world",
]
