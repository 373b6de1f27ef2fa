"""Fixtures for the review tests: a dossier in screening, and a record of what a refused
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
from tests.builders import Workflow
from tests.helpers import count


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
def screening(people):
    """``screening(**overrides)``: a submitted dossier of provider A, taken up by the officer
    (by the workflow builder; no panel is made)."""
    return Workflow(officer=people.officer, provider=people.provider_a, reviewers=[]).screening
