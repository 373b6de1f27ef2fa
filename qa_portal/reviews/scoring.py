"""Reviews and scores: drafts (a draft saved from a second window is refused, 409), submission
(every criterion scored, a recommendation), reopening; a reviewer sees the other reviews of
the round only after submitting theirs.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm.exc import StaleDataError

from qa_portal.accounts.models import User
from qa_portal.core.errors import InvalidInput, StaleObject, TransitionNotAllowed
from qa_portal.core.models import utcnow
from qa_portal.dossiers.locks import lock_dossier
from qa_portal.dossiers.models import DossierState
from qa_portal.dossiers.notices import tell_case_officer
from qa_portal.extensions import db
from qa_portal.notifications.operations import notify
from qa_portal.reviews.invitations import require_own
from qa_portal.reviews.models import (
    AssignmentState,
    CriterionScore,
    Recommendation,
    Review,
    ReviewAssignment,
)
from qa_portal.reviews.rounds import (
    REVIEWABLE_STATES,
    _all_reviews_in,
    close_round,
    require_officer,
)
from qa_portal.reviews.workflow import ASSIGNMENT_MACHINE


def review_of(assignment: ReviewAssignment) -> Review:
    if assignment.review is None:
        assignment.review = Review()
        db.session.flush()
    return assignment.review


def _require_scoring(reviewer: User, assignment: ReviewAssignment) -> None:
    require_own(reviewer, assignment)
    dossier = assignment.round.dossier
    if dossier.state not in REVIEWABLE_STATES:
        raise TransitionNotAllowed(
            f"Scores can be given while the dossier is in review; it is "
            f"{dossier.state.label.lower()}."
        )
    if assignment.state != AssignmentState.ACCEPTED:
        raise TransitionNotAllowed(
            f"This review is {assignment.state.value}; it cannot be changed now."
        )


def save_review(
    reviewer: User,
    assignment: ReviewAssignment,
    *,
    scores: dict[int, dict[str, Any]],
    recommendation: str | None,
    comments_to_provider: str,
    confidential_comments: str,
    lock_version: Any = None,
) -> Review:
    """Save a draft: scores 1–4 and a comment per criterion, comments, recommendation.

    ``lock_version`` is the version the form was opened with (``0``: no draft existed yet);
    a draft saved meanwhile from another window is never overwritten silently."""
    _require_scoring(reviewer, assignment)
    lock_dossier(assignment.round.dossier)  # two first drafts at once: the second is stale
    if lock_version not in (None, ""):
        saved = assignment.review.lock_version if assignment.review else 0
        if str(lock_version) != str(saved):
            raise StaleObject(
                "This review was saved from another window after you opened it; "
                "reload the page to see the saved version, then make your changes again."
            )
    review = review_of(assignment)
    criteria = {c.id: c for c in assignment.round.rubric.criteria}
    existing = {s.criterion_id: s for s in review.scores}
    for criterion_id, values in scores.items():
        if criterion_id not in criteria:
            raise InvalidInput("A score refers to a criterion of another rubric.")
        value = values.get("score")
        if value in ("", None):
            value = None
        else:
            try:
                value = int(value)
            except (TypeError, ValueError):
                raise InvalidInput("Scores are whole numbers from 1 to 4.") from None
            if not 1 <= value <= 4:
                raise InvalidInput("Scores go from 1 (does not meet) to 4 (exceeds).")
        row = existing.get(criterion_id)
        if row is None:
            row = CriterionScore(criterion_id=criterion_id)
            review.scores.append(row)
        row.score = value
        row.comment = (values.get("comment") or "").strip()
    if recommendation in (None, ""):
        review.recommendation = None
    else:
        try:
            review.recommendation = Recommendation(recommendation)
        except ValueError:
            raise InvalidInput("Choose one of the recommendations offered.") from None
    review.comments_to_provider = comments_to_provider.strip()
    review.confidential_comments = confidential_comments.strip()
    review.updated_at = utcnow()
    try:
        db.session.flush()
    except StaleDataError:
        raise StaleObject(
            "This review was saved from another window a moment ago; reload the page."
        ) from None
    return review


def missing_for_submission(assignment: ReviewAssignment) -> list[str]:
    review = assignment.review
    problems = []
    scored = {s.criterion_id for s in (review.scores if review else []) if s.score}
    for criterion in assignment.round.rubric.criteria:
        if criterion.id not in scored:
            problems.append(f"Criterion {criterion.position} has no score.")
    if review is None or review.recommendation is None:
        problems.append("Choose an overall recommendation.")
    if review is None or not review.comments_to_provider:
        problems.append("Write your comments to the provider.")
    return problems


class IncompleteReview(InvalidInput):
    """A submission that lacks scores, the recommendation or the comments to the provider."""

    def __init__(self, problems: list[str]):
        super().__init__("The review is not complete: " + " ".join(problems))
        self.problems = problems


def submit_review(reviewer: User, assignment: ReviewAssignment, **draft: Any) -> Review:
    """Save and make the review final; the round closes when the last review is in."""
    dossier = assignment.round.dossier
    lock_dossier(dossier)
    db.session.refresh(assignment, attribute_names=["state"])
    if assignment.state == AssignmentState.SUBMITTED:
        raise TransitionNotAllowed("This review has already been submitted.")
    if draft:
        save_review(reviewer, assignment, **draft)
    _require_scoring(reviewer, assignment)
    problems = missing_for_submission(assignment)
    if problems:
        raise IncompleteReview(problems)
    review = assignment.review
    assignment.submitted_at = utcnow()
    ASSIGNMENT_MACHINE.fire(
        assignment,
        "submit",
        actor=reviewer,
        role="reviewer",
        dossier_id=dossier.id,
        scores={s.criterion.position: s.score for s in review.scores},
        recommendation=review.recommendation.value,
    )
    tell_case_officer(
        dossier,
        "review_submitted",
        f"{assignment.alias} submitted a review",
        f"{assignment.alias} ({reviewer.name}) submitted the review of {dossier.reference}.",
    )
    db.session.flush()
    if dossier.state == DossierState.IN_REVIEW and _all_reviews_in(assignment.round):
        close_round(None, dossier, automatic=True)
    return review


def reopen_review(actor: User, assignment: ReviewAssignment, reason: str) -> None:
    """QA sends a submitted review back to its author (before the decision)."""
    require_officer(actor)
    dossier = assignment.round.dossier
    if dossier.state not in REVIEWABLE_STATES:
        raise TransitionNotAllowed("Reviews can be reopened only before the decision.")
    ASSIGNMENT_MACHINE.check(assignment, "reopen", "qa_officer")
    if not reason.strip():
        raise InvalidInput("Say why the review is reopened; the reviewer reads it.")
    assignment.submitted_at = None
    ASSIGNMENT_MACHINE.fire(
        assignment, "reopen", actor=actor, role="qa_officer", reason=reason.strip()
    )
    notify(
        assignment.reviewer,
        "review_reopened",
        f"Your review of {dossier.reference} was reopened",
        f"The QA body reopened your review: {reason.strip()}",
        "reviews.review",
        assignment_id=assignment.id,
    )


def can_see_other_reviews(user: User, assignment: ReviewAssignment) -> bool:
    """A reviewer sees the round's other reviews only after submitting their own."""
    return assignment.reviewer_id == user.id and assignment.state == AssignmentState.SUBMITTED
