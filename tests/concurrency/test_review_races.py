"""Races at the end of a review round, on PostgreSQL (where requests really run in parallel)
and on SQLite (where writers queue for the write lock, and each must read what the one
before it committed).

Each actor runs in its own thread with its own application context, database session and
connection, and commits for real; a barrier releases them at the same instant. Every
scenario is repeated a few times so that the interleavings vary.

- Two reviewers submit their reviews while the officer closes the round — through the
  operations and through HTTP requests: the dossier moves ``in_review → decision_pending``
  exactly once (one audit entry), both reviews are stored and submitted, and each actor
  gets success or a clear refusal (409), never a 500.
- The same review form is posted twice at the same instant: one review, one transition;
  the second request gets a 409 page saying that the review was already submitted.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from qa_portal.accounts.models import User
from qa_portal.core.audit import AuditEntry
from qa_portal.core.db import commit
from qa_portal.core.errors import TransitionNotAllowed
from qa_portal.dossiers.models import Dossier, DossierState
from qa_portal.dossiers.workflow import DOSSIER_MACHINE
from qa_portal.extensions import db
from qa_portal.reviews import rounds, scoring
from qa_portal.reviews.models import AssignmentState, Review, ReviewAssignment
from tests.builders import full_scores
from tests.concurrency.helpers import Prepare, race

REPEAT = 4


def transitions(dossier_id: int, action: str) -> int:
    return db.session.execute(
        sa.select(sa.func.count()).where(
            AuditEntry.object_type == "dossier",
            AuditEntry.object_id == dossier_id,
            AuditEntry.action == f"dossier.{action}",
        )
    ).scalar_one()


def review_form(assignment: ReviewAssignment) -> dict[str, str]:
    """What the review page's form sends when the reviewer presses "Submit"."""
    data = {
        "lock_version": "",
        "recommendation": "approve",
        "comments_to_provider": "Clear outcomes; the assessment is well aligned.",
        "confidential_comments": "",
        "submit": "1",
    }
    for i, criterion in enumerate(assignment.round.rubric.criteria):
        data[f"scores-{i}-criterion_id"] = str(criterion.id)
        data[f"scores-{i}-score"] = "3"
        data[f"scores-{i}-comment"] = f"Comment on criterion {criterion.position}."
    return data


# -- actors -------------------------------------------------------------------------------
def submit_through_operation(assignment_id: int) -> Prepare:
    def prepare():
        a = db.session.get(ReviewAssignment, assignment_id)
        draft, reviewer = full_scores(a), a.reviewer

        def act():
            scoring.submit_review(reviewer, a, **draft)
            commit()
            return "done"

        return act

    return prepare


def close_through_operation(officer_id: int, dossier_id: int) -> Prepare:
    def prepare():
        officer = db.session.get(User, officer_id)
        dossier = db.session.get(Dossier, dossier_id)

        def act():
            rounds.close_round(officer, dossier)
            commit()
            return "done"

        return act

    return prepare


def post(client, url: str, data: dict | None = None) -> Prepare:
    def prepare():
        return lambda: client.post(url, data=data or {})

    return prepare


# What the officer may be told when the round closed a moment before, or no review is in yet.
REFUSALS = (
    # the state machine's own words ("This dossier is waiting for a decision; “Close the
    # round” is not possible in that state.")
    f"This dossier is {DOSSIER_MACHINE.describe(DossierState.DECISION_PENDING)}; "
    f"“{DOSSIER_MACHINE.label_of('close_round')}” is not possible in that state.",
    "No review has been submitted yet; the round cannot close.",
)


def _outcome(result: object) -> str:
    """Success ("done") or the message of a clear refusal (409); anything else — a 500, a
    deadlock, an error nobody expected — fails the test."""
    if result == "done" or getattr(result, "status_code", None) == 302:
        return "done"
    if isinstance(result, TransitionNotAllowed) and result.message in REFUSALS:
        return result.message
    if getattr(result, "status_code", None) == 409:
        message = next((m for m in REFUSALS if m in result.text), None)
        if message:
            return message
    raise AssertionError(f"neither a success nor a clear refusal: {result!r}")


# -- scenarios ----------------------------------------------------------------------------
@pytest.mark.parametrize("through", ["operations", "requests"])
def test_two_reviews_and_the_officer_closing_the_round_at_once(
    app, login, people, panel, workflow, audit_ok, through
):
    seen = set()
    for repetition in range(REPEAT + 1):
        # In turn: a panel of two with no review in yet (the officer may be told that
        # nothing is in); a panel of three whose third review is in (the officer's close
        # always has something to close, and races the last review's automatic close); and
        # the two last reviews alone (whichever comes second closes the round).
        kind = repetition % 3
        if kind == 1:
            dossier, assignments = workflow.in_review(reviewers=panel)
            third = assignments.pop()
            scoring.submit_review(third.reviewer, third, **full_scores(third))
            commit()
        else:
            dossier, assignments = workflow.in_review()
        dossier_id = dossier.id
        if through == "operations":
            actors = [submit_through_operation(a.id) for a in assignments] + [
                close_through_operation(people.officer.id, dossier_id)
            ]
        else:
            actors = []
            for a in assignments:
                client = login(app.test_client(), a.reviewer)
                actors.append(post(client, f"/reviews/assignments/{a.id}/review", review_form(a)))
            officer = login(app.test_client(), people.officer)
            actors.append(post(officer, f"/dossiers/{dossier_id}/panel/close"))
        if kind == 2:
            actors.pop()  # no officer this time
        assignment_ids = [a.id for a in assignments]
        db.session.rollback()  # the test's own session holds nothing while they race

        results = race(app, actors)

        outcomes = [_outcome(r) for r in results]
        assert outcomes[:2] == ["done", "done"], results  # both reviews go in, always
        if kind != 2:
            seen.add(outcomes[2])  # closed, or already closed, or no review in yet (409)
        dossier = db.session.get(Dossier, dossier_id)
        assert dossier.state == DossierState.DECISION_PENDING
        assert transitions(dossier_id, "close_round") == 1
        assert dossier.current_round.closed_at is not None
        for assignment_id in assignment_ids:
            a = db.session.get(ReviewAssignment, assignment_id)
            assert a.state == AssignmentState.SUBMITTED and a.submitted_at is not None
            assert a.review is not None and len(a.review.scores) == 8
        db.session.rollback()
    audit_ok()
    print(f"\nthe officer's close through {through}: {sorted(seen)}")


def test_the_same_review_posted_twice_at_once(app, login, people, workflow, audit_ok):
    for repetition in range(REPEAT):
        dossier, (first, last) = workflow.in_review()
        # the double post is the round's last review (which closes it) on odd repetitions,
        # and leaves the round open on even ones
        closes = bool(repetition % 2)
        if closes:
            scoring.submit_review(first.reviewer, first, **full_scores(first))
            commit()
        url = f"/reviews/assignments/{last.id}/review"
        form = review_form(last)
        clients = [login(app.test_client(), last.reviewer) for _ in range(2)]
        dossier_id, assignment_id = dossier.id, last.id
        db.session.rollback()

        responses = race(app, [post(c, url, form) for c in clients])

        assert not [r for r in responses if isinstance(r, BaseException)], responses
        assert sorted(r.status_code for r in responses) == [302, 409]
        accepted = next(r for r in responses if r.status_code == 302)
        assert accepted.headers["Location"].endswith(url)
        refused = next(r for r in responses if r.status_code == 409)
        assert "This review has already been submitted." in refused.text
        stored = db.session.execute(
            sa.select(sa.func.count())
            .select_from(Review)
            .where(Review.assignment_id == assignment_id)
        ).scalar_one()
        assert stored == 1
        submits = db.session.execute(
            sa.select(sa.func.count()).where(
                AuditEntry.object_type == "review_assignment",
                AuditEntry.object_id == assignment_id,
                AuditEntry.action == "review_assignment.submit",
            )
        ).scalar_one()
        assert submits == 1
        dossier = db.session.get(Dossier, dossier_id)
        if closes:
            assert dossier.state == DossierState.DECISION_PENDING
            assert transitions(dossier_id, "close_round") == 1
        else:
            assert dossier.state == DossierState.IN_REVIEW
            assert transitions(dossier_id, "close_round") == 0
        db.session.rollback()
    audit_ok()
