"""Fixtures for the review tests: the workflow helpers, and a record of what a refused
action must leave untouched (assignment, audit trail, inbox, outbox)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa

from qa_portal.core.audit import AuditEntry
from qa_portal.core.db import commit
from qa_portal.core.mail import OutboxMessage
from qa_portal.extensions import db
from qa_portal.notifications.models import Notification
from qa_portal.reviews.models import ReviewAssignment
from tests.workflow.conftest import full_scores, panel, workflow  # noqa: F401  (fixtures)

JSON = {"Accept": "application/json"}


def count(model) -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()


def audit_actions() -> list[str]:
    return list(db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)))


@dataclass
class Trace:
    """What a refused action must not change."""

    assignments: dict[int, tuple[Any, ...]]
    audit: int
    notifications: int
    emails: int
    assignment_count: int

    @staticmethod
    def _row(a: ReviewAssignment) -> tuple[Any, ...]:
        return (
            a.state,
            a.responded_at,
            a.submitted_at,
            a.response_due,
            a.review_due,
            a.decline_reason,
            a.conflict_declaration,
        )

    @classmethod
    def take(cls) -> Trace:
        db.session.expire_all()
        rows = db.session.scalars(sa.select(ReviewAssignment)).all()
        return cls(
            assignments={a.id: cls._row(a) for a in rows},
            audit=count(AuditEntry),
            notifications=count(Notification),
            emails=count(OutboxMessage),
            assignment_count=len(rows),
        )


@pytest.fixture
def unchanged():
    """``check = unchanged()`` before a refused action, ``check()`` after it."""

    def start():
        commit()
        before = Trace.take()

        def check():
            # No rollback first: whatever the refused action added or flushed is seen.
            after = Trace.take()
            assert after == before

        return check

    return start


@pytest.fixture
def screening(people, make_dossier):
    """``screening(**overrides)``: a submitted dossier of provider A, taken up by the officer."""
    from qa_portal.cases import screening as screening_ops

    def make(**overrides):
        dossier = make_dossier(people.provider_a, submit=True, **overrides)
        screening_ops.take_up(people.officer, dossier)
        commit()
        return dossier

    return make


def open_panel(people, dossier, reviewers):
    """Invite and accept ``reviewers``, then open the review; returns the assignments."""
    from qa_portal.reviews import invitations, rounds

    assignments = []
    for reviewer in reviewers:
        a = invitations.invite_reviewer(people.officer, dossier, reviewer)
        invitations.accept_invitation(reviewer, a, no_conflict=True)
        assignments.append(a)
    rounds.open_review(people.officer, dossier)
    commit()
    return assignments
