"""Reminder of the follow-up (ESG 2.3): a condition still open without evidence
``FOLLOW_UP_AFTER_DAYS`` days after its due date is put to the case officer once, to mark
it not met and decide the follow-up (extend it or withdraw the approval)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import sqlalchemy as sa

from qa_portal.decisions.models import Condition, ConditionState, Decision
from qa_portal.dossiers.models import Dossier
from qa_portal.dossiers.workflow import APPROVED
from qa_portal.extensions import db
from qa_portal.notifications.operations import notify, officers

FOLLOW_UP_AFTER_DAYS = 14


def follow_up_due(on: date, send: Callable) -> None:
    """Tell the case officer (every QA officer while the dossier has none), once per
    condition and due date, of each condition overdue by ``FOLLOW_UP_AFTER_DAYS`` days or
    more without evidence, on an approval in force."""
    rows = (
        db.session.execute(
            sa.select(Condition)
            .join(Decision, Decision.id == Condition.decision_id)
            .join(Dossier, Dossier.id == Decision.dossier_id)
            .where(
                Condition.state == ConditionState.OPEN,
                Condition.due_date <= on - timedelta(days=FOLLOW_UP_AFTER_DAYS),
                Decision.superseded_at.is_(None),
                Dossier.state.in_(APPROVED),
            )
        )
        .scalars()
        .all()
    )
    for c in rows:
        d = c.decision.dossier
        send(
            f"condition-follow-up:{c.id}:{c.due_date}",
            lambda c=c, d=d: notify(
                [d.case_officer] if d.case_officer else officers(),
                "condition_follow_up",
                f"Follow-up needed: condition {c.position} of {d.reference}",
                f"Condition {c.position} of {d.reference} (“{c.text}”) was due on "
                f"{c.due_date:%d %B %Y} and no evidence has been submitted. Mark it not met "
                "and decide the follow-up: extend it or withdraw the approval.",
                "cases.show",
                dossier_id=d.id,
            ),
            "condition_follow_up",
        )
