"""Review rounds: a submitted version joins its round; the review opens only with the policy's
number of accepted reviewers (none with a conflict); the round closes once, by the officer or
when the last review is in.
"""

from __future__ import annotations

from qa_portal.accounts.models import Role, User
from qa_portal.core.errors import NotPermitted, TransitionNotAllowed
from qa_portal.core.models import utcnow
from qa_portal.core.states import SYSTEM
from qa_portal.dossiers.locks import lock_dossier
from qa_portal.dossiers.models import Dossier, DossierState, DossierVersion
from qa_portal.dossiers.notices import tell_case_officer
from qa_portal.dossiers.workflow import DOSSIER_MACHINE
from qa_portal.extensions import db
from qa_portal.notifications.operations import notify
from qa_portal.reviews.conflicts import conflict_reasons
from qa_portal.reviews.models import (
    AssignmentState,
    ReviewAssignment,
    ReviewRound,
)
from qa_portal.reviews.panel_rules import check_composition, rules_as_opened
from qa_portal.reviews.policy import current_policy
from qa_portal.reviews.rubric import current_rubric
from qa_portal.reviews.workflow import ASSIGNMENT_MACHINE, OFFICER

# Reviewers are invited, and assignments reinstated, while the dossier is screened or in review.
PANEL_STATES = (DossierState.SCREENING, DossierState.IN_REVIEW)
# Scores, moderation notes and reopened reviews: in review or waiting for the decision.
REVIEWABLE_STATES = (DossierState.IN_REVIEW, DossierState.DECISION_PENDING)


def panel_open(dossier: Dossier) -> bool:
    """Whether the panel can be built: reviewers invited, assignments reinstated."""
    return dossier.state in PANEL_STATES


def under_review(dossier: Dossier) -> bool:
    """Whether the round's reviews can still change: scores, moderation notes, reopening."""
    return dossier.state in REVIEWABLE_STATES


def officer_actions(assignment: ReviewAssignment) -> set[str]:
    """What a QA officer may do with this assignment now: the officer's transitions of the
    assignment table from its state, where the dossier's state allows them too."""
    actions = {t.action for t in ASSIGNMENT_MACHINE.available(assignment.state, [OFFICER])}
    dossier = assignment.round.dossier
    if not panel_open(dossier):
        actions.discard("reinstate")
    if not under_review(dossier):
        actions.discard("reopen")
    return actions


def attach_version(dossier: Dossier, version: DossierVersion) -> ReviewRound:
    """Put a newly submitted version into a round: the current one after a return, a new
    one for a first submission, a revision or a renewal."""
    with db.session.no_autoflush:  # the new version must not be stored before its round is set
        current = dossier.current_round
    if current is not None and current.decided_at is None and current.opened_at is None:
        version.round_number = current.number
        current.version = version
        return current
    number = (current.number + 1) if current else 1
    version.round_number = number
    round_ = ReviewRound(dossier=dossier, number=number, version=version)
    db.session.add(round_)
    return round_


def require_round(dossier: Dossier) -> ReviewRound:
    round_ = dossier.current_round
    if round_ is None:
        raise TransitionNotAllowed("This dossier has no review round yet.")
    return round_


def require_officer(actor: User) -> None:
    if not actor.has_role(Role.QA_OFFICER):
        raise NotPermitted("Only QA officers may do this.")


def accepted(round_: ReviewRound) -> list[ReviewAssignment]:
    return [
        a
        for a in round_.assignments
        if a.state in (AssignmentState.ACCEPTED, AssignmentState.SUBMITTED)
    ]


def open_review(actor: User, dossier: Dossier) -> ReviewRound:
    """Start the review once the panel has the policy's number of accepted reviewers and
    meets its composition rules (``reviews/panel_rules.py``)."""
    require_officer(actor)
    lock_dossier(dossier)
    DOSSIER_MACHINE.check(dossier, "open_review", "qa_officer")
    round_ = require_round(dossier)
    needed = current_policy().reviewers_per_dossier
    panel = accepted(round_)
    if len(panel) < needed:
        raise TransitionNotAllowed(
            f"The panel needs {needed} accepted reviewers; {len(panel)} accepted so far."
        )
    for assignment in panel:  # a conflict may have appeared since the invitation
        reasons = conflict_reasons(assignment.reviewer, dossier)
        if reasons:
            raise TransitionNotAllowed(
                f"{assignment.alias} now has a conflict of interest: " + " ".join(reasons)
            )
    check_composition(round_)  # the policy's member types and chair, or a justified exception
    round_.composition_rules = rules_as_opened(round_)
    round_.rubric = current_rubric()
    round_.opened_at = utcnow()
    DOSSIER_MACHINE.fire(
        dossier,
        "open_review",
        actor=actor,
        role="qa_officer",
        round=round_.number,
        rubric_version=round_.rubric.number,
        panel=[a.reviewer_number for a in panel],
    )
    for assignment in panel:
        notify(
            assignment.reviewer,
            "review_open",
            f"Review of {dossier.reference} is open",
            f"The review of {dossier.reference} is open. Your review is due on "
            f"{assignment.review_due:%d %B %Y}.",
            "reviews.review",
            assignment_id=assignment.id,
        )
    return round_


def _all_reviews_in(round_: ReviewRound) -> bool:
    states = [a.state for a in round_.assignments]
    return (
        AssignmentState.SUBMITTED in states
        and AssignmentState.ACCEPTED not in states
        and AssignmentState.INVITED not in states
    )


def close_round(actor: User | None, dossier: Dossier, *, automatic: bool = False) -> bool:
    """Move the dossier to ``decision_pending``: by the officer, or automatically when the
    last review is in. Returns False when the automatic close finds it already closed."""
    if not automatic:
        require_officer(actor)
    lock_dossier(dossier)
    round_ = require_round(dossier)
    if automatic and dossier.state != DossierState.IN_REVIEW:
        return False
    if not automatic and not any(a.state == AssignmentState.SUBMITTED for a in round_.assignments):
        DOSSIER_MACHINE.check(dossier, "close_round", "qa_officer")
        raise TransitionNotAllowed("No review has been submitted yet; the round cannot close.")
    role = SYSTEM if automatic else "qa_officer"
    round_.closed_at = utcnow()
    DOSSIER_MACHINE.fire(
        dossier, "close_round", actor=actor, role=role, round=round_.number, automatic=automatic
    )
    tell_case_officer(
        dossier,
        "round_closed",
        f"{dossier.reference} is ready for a decision",
        f"The review round {round_.number} of {dossier.reference} is closed "
        f"({'all reviews are in' if automatic else 'closed by a QA officer'}). "
        "Moderate the scores and decide.",
    )
    return True
