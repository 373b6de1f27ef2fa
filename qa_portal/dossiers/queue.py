"""The QA officer's queue: dossiers to act on, filtered in SQL (state, age, case officer,
overdue), with the flags that say what each one needs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from qa_portal.decisions.models import Appeal, AppealState, Condition, ConditionState, Decision
from qa_portal.dossiers.models import Dossier, DossierState, DossierVersion
from qa_portal.extensions import db
from qa_portal.reviews.models import AssignmentState, ReviewAssignment, ReviewRound

ACTIVE_STATES = (
    DossierState.SUBMITTED,
    DossierState.SCREENING,
    DossierState.IN_REVIEW,
    DossierState.DECISION_PENDING,
    DossierState.APPEAL,
    DossierState.APPROVED_WITH_CONDITIONS,
)


def _overdue_assignment(today: date):
    return sa.exists().where(
        ReviewAssignment.round_id == ReviewRound.id,
        ReviewRound.dossier_id == Dossier.id,
        sa.or_(
            sa.and_(
                ReviewAssignment.state == AssignmentState.INVITED,
                ReviewAssignment.response_due < today,
            ),
            sa.and_(
                ReviewAssignment.state == AssignmentState.ACCEPTED,
                ReviewAssignment.review_due < today,
                Dossier.state == DossierState.IN_REVIEW,
            ),
        ),
    )


def _overdue_condition(today: date):
    return sa.exists().where(
        Condition.decision_id == Decision.id,
        Decision.dossier_id == Dossier.id,
        Decision.superseded_at.is_(None),
        Condition.state == ConditionState.OPEN,
        Condition.due_date < today,
    )


def _evidence_to_verify():
    return sa.exists().where(
        Condition.decision_id == Decision.id,
        Decision.dossier_id == Dossier.id,
        Decision.superseded_at.is_(None),
        Condition.state == ConditionState.EVIDENCE_SUBMITTED,
    )


@dataclass
class QueueFilters:
    state: str = ""
    officer: str = ""  # "", "me", "none" or a user id
    min_age: int | None = None
    overdue: bool = False


def queue_query(filters: QueueFilters, user_id: int, today: date) -> sa.Select:
    query = (
        sa.select(Dossier)
        .where(sa.exists().where(DossierVersion.dossier_id == Dossier.id))
        .options(selectinload(Dossier.organisation), selectinload(Dossier.case_officer))
    )
    if filters.state in {s.value for s in DossierState}:
        query = query.where(Dossier.state == filters.state)
    else:
        query = query.where(Dossier.state.in_(ACTIVE_STATES))
    if filters.officer == "me":
        query = query.where(Dossier.case_officer_id == user_id)
    elif filters.officer == "none":
        query = query.where(Dossier.case_officer_id.is_(None))
    elif filters.officer.isdigit():
        query = query.where(Dossier.case_officer_id == int(filters.officer))
    if filters.min_age:
        cutoff = today - timedelta(days=filters.min_age)
        query = query.where(Dossier.submitted_at < cutoff)
    if filters.overdue:
        query = query.where(sa.or_(_overdue_assignment(today), _overdue_condition(today)))
    return query.order_by(Dossier.submitted_at.asc(), Dossier.id)


def flags_for(dossiers: list[Dossier], today: date) -> dict[int, list[str]]:
    """What each dossier on the page needs, in three queries for the whole page."""
    ids = [d.id for d in dossiers]
    flags: dict[int, list[str]] = {i: [] for i in ids}
    if not ids:
        return flags
    rows = db.session.execute(
        sa.select(
            ReviewRound.dossier_id,
            ReviewAssignment.state,
            ReviewAssignment.response_due,
            ReviewAssignment.review_due,
            ReviewRound.id,
        )
        .join(ReviewAssignment, ReviewAssignment.round_id == ReviewRound.id)
        .where(ReviewRound.dossier_id.in_(ids))
    ).all()
    current_round = dict(
        db.session.execute(
            sa.select(ReviewRound.dossier_id, sa.func.max(ReviewRound.id))
            .where(ReviewRound.dossier_id.in_(ids))
            .group_by(ReviewRound.dossier_id)
        ).all()
    )
    by_id = {d.id: d for d in dossiers}
    counts: dict[int, dict[str, int]] = {}
    for dossier_id, state, response_due, review_due, round_id in rows:
        if round_id != current_round.get(dossier_id):
            continue
        c = counts.setdefault(dossier_id, {"accepted": 0, "submitted": 0, "overdue": 0})
        if state in (AssignmentState.ACCEPTED, AssignmentState.SUBMITTED):
            c["accepted"] += 1
        if state == AssignmentState.SUBMITTED:
            c["submitted"] += 1
        in_review = by_id[dossier_id].state == DossierState.IN_REVIEW
        if (state == AssignmentState.INVITED and response_due < today) or (
            state == AssignmentState.ACCEPTED and in_review and review_due < today
        ):
            c["overdue"] += 1
    for dossier_id, c in counts.items():
        d = by_id[dossier_id]
        if d.state in (DossierState.SCREENING, DossierState.IN_REVIEW):
            flags[dossier_id].append(f"panel {c['accepted']} accepted, {c['submitted']} in")
        if c["overdue"]:
            flags[dossier_id].append(f"{c['overdue']} overdue")
    evidence = db.session.execute(
        sa.select(Decision.dossier_id, Condition.state, Condition.due_date)
        .join(Condition, Condition.decision_id == Decision.id)
        .where(Decision.dossier_id.in_(ids), Decision.superseded_at.is_(None))
    ).all()
    for dossier_id, state, due in evidence:
        if state == ConditionState.EVIDENCE_SUBMITTED:
            flags[dossier_id].append("evidence to verify")
        elif state == ConditionState.OPEN and due < today:
            flags[dossier_id].append("condition overdue")
    appeals = db.session.execute(
        sa.select(Appeal.dossier_id).where(
            Appeal.dossier_id.in_(ids), Appeal.state == AppealState.LODGED
        )
    ).scalars()
    for dossier_id in appeals:
        flags[dossier_id].append("appeal to decide")
    for d in dossiers:
        flags[d.id] = sorted(set(flags[d.id]))
    return flags


def action_counts(user_id: int, today: date) -> dict[str, int]:
    """Headline numbers for the officer's dashboard."""

    def count(query) -> int:
        return db.session.execute(
            sa.select(sa.func.count()).select_from(query.subquery())
        ).scalar_one()

    base = sa.select(Dossier.id)
    return {
        "to_take_up": count(base.where(Dossier.state == DossierState.SUBMITTED)),
        "my_screening": count(
            base.where(Dossier.state == DossierState.SCREENING, Dossier.case_officer_id == user_id)
        ),
        "to_decide": count(base.where(Dossier.state == DossierState.DECISION_PENDING)),
        "overdue": count(
            base.where(
                Dossier.state.in_(ACTIVE_STATES),
                sa.or_(_overdue_assignment(today), _overdue_condition(today)),
            )
        ),
        "evidence": count(base.where(_evidence_to_verify())),
        "appeals": count(base.where(Dossier.state == DossierState.APPEAL)),
    }
