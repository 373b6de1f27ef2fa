"""Invitations and assignments: invite (conflicts checked), accept with a declaration,
decline with a reason, expire, cancel, reinstate. Reviewers are "Reviewer N", stable within a
dossier; invitations lock the dossier row so aliases are unique.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import sqlalchemy as sa

from qa_portal.accounts.models import AccountStatus, Role, User
from qa_portal.core import audit, clock
from qa_portal.core.errors import InvalidInput, NotPermitted, TransitionNotAllowed
from qa_portal.core.models import utcnow
from qa_portal.core.states import SYSTEM
from qa_portal.dossiers.locks import lock_dossier
from qa_portal.dossiers.models import Dossier, DossierState
from qa_portal.dossiers.notices import tell_case_officer
from qa_portal.extensions import db
from qa_portal.notifications.operations import notify
from qa_portal.reviews.conflicts import conflict_reasons
from qa_portal.reviews.models import (
    AssignmentState,
    ReviewAssignment,
    ReviewRound,
)
from qa_portal.reviews.policy import current_policy
from qa_portal.reviews.rounds import panel_open, require_officer, require_round
from qa_portal.reviews.workflow import ASSIGNMENT_MACHINE

# An invitation can be answered while its round is still to be decided.
ACCEPTING_STATES = (
    DossierState.SUBMITTED,
    DossierState.SCREENING,
    DossierState.RETURNED,
    DossierState.IN_REVIEW,
    DossierState.DECISION_PENDING,
)


# The transitions that end an assignment (``ReviewAssignment.has_ended``).
ENDING_ACTIONS = ("decline", "expire", "cancel")


def _reviewer_number(dossier: Dossier, reviewer: User) -> int:
    rows = db.session.execute(
        sa.select(ReviewAssignment.reviewer_id, ReviewAssignment.reviewer_number)
        .join(ReviewRound)
        .where(ReviewRound.dossier_id == dossier.id)
    ).all()
    for reviewer_id, number in rows:
        if reviewer_id == reviewer.id:
            return number
    return max((n for _, n in rows), default=0) + 1


def invite_reviewer(
    actor: User,
    dossier: Dossier,
    reviewer: User,
    *,
    response_due: date | None = None,
    review_due: date | None = None,
) -> ReviewAssignment:
    """Invite a conflict-free reviewer to the current round (screening or in review).

    The dossier row is locked so two invitations at once cannot take the same alias or
    invite the same reviewer twice."""
    require_officer(actor)
    lock_dossier(dossier)
    if not panel_open(dossier):
        raise TransitionNotAllowed(
            f"Reviewers can be invited while the dossier is screened or in review; it is "
            f"{dossier.state.label.lower()}."
        )
    if not reviewer.has_role(Role.REVIEWER) or reviewer.status != AccountStatus.ACTIVE:
        raise InvalidInput(f"{reviewer.name} is not an active reviewer.")
    reasons = conflict_reasons(reviewer, dossier)
    if reasons:
        raise NotPermitted(f"{reviewer.name} cannot review this dossier: " + " ".join(reasons))
    round_ = require_round(dossier)
    existing = db.session.execute(
        sa.select(ReviewAssignment).where(
            ReviewAssignment.round_id == round_.id, ReviewAssignment.reviewer_id == reviewer.id
        )
    ).scalar()
    if existing is not None:
        raise TransitionNotAllowed(
            f"{reviewer.name} is already on this round's panel ({existing.state.value}); "
            "reinstate the assignment instead of inviting again."
        )
    policy = current_policy()
    response_due = response_due or clock.today() + timedelta(days=policy.response_days)
    review_due = review_due or response_due + timedelta(days=policy.review_days)
    _check_dates(response_due, review_due)
    assignment = ReviewAssignment(
        round=round_,
        reviewer=reviewer,
        invited_by=actor,
        reviewer_number=_reviewer_number(dossier, reviewer),
        response_due=response_due,
        review_due=review_due,
        state=AssignmentState.INVITED,
    )
    db.session.add(assignment)
    db.session.flush()
    audit.record(
        actor,
        "review_assignment.invite",
        assignment,
        dossier_id=dossier.id,
        round=round_.number,
        reviewer_id=reviewer.id,
        response_due=response_due,
        review_due=review_due,
    )
    title = round_.version.snapshot.get("title")
    notify(
        reviewer,
        "invitation",
        f"Invitation to review {dossier.reference}",
        f"The QA body invites you to review the microcredential “{title}” "
        f"of {dossier.organisation.name}. Please accept or decline by "
        f"{response_due:%d %B %Y}; the review would be due on {review_due:%d %B %Y}.",
        "reviews.assignment",
        assignment_id=assignment.id,
    )
    return assignment


def _check_dates(response_due: date, review_due: date) -> None:
    if response_due < clock.today():
        raise InvalidInput("The response date cannot be in the past.")
    if review_due <= response_due:
        raise InvalidInput("The review due date must come after the response date.")


def require_own(reviewer: User, assignment: ReviewAssignment) -> None:
    if assignment.reviewer_id != reviewer.id:
        raise NotPermitted("This invitation is addressed to another reviewer.")


def accept_invitation(
    reviewer: User, assignment: ReviewAssignment, *, no_conflict: bool, declaration: str = ""
) -> None:
    """Accept, declaring that no conflict of interest exists; refused when a conflict
    appeared since the invitation, or when the dossier is no longer waiting for a review."""
    require_own(reviewer, assignment)
    ASSIGNMENT_MACHINE.check(assignment, "accept", "reviewer")
    if not no_conflict:
        raise InvalidInput(
            "To accept, declare that you have no conflict of interest; if you have one, "
            "decline the invitation and say so."
        )
    dossier = assignment.round.dossier
    if assignment.round.decided_at is not None or dossier.state not in ACCEPTING_STATES:
        raise TransitionNotAllowed(
            f"The dossier is {dossier.state.label.lower()}; this invitation can no longer be "
            "accepted."
        )
    reasons = conflict_reasons(reviewer, dossier)
    if reasons:
        raise NotPermitted("You cannot review this dossier: " + " ".join(reasons))
    assignment.responded_at = utcnow()
    assignment.conflict_declaration = (
        declaration.strip() or "I declare that I have no conflict of interest."
    )
    ASSIGNMENT_MACHINE.fire(
        assignment,
        "accept",
        actor=reviewer,
        role="reviewer",
        conflict_declaration=assignment.conflict_declaration,
    )
    tell_case_officer(
        dossier,
        "invitation_accepted",
        f"{assignment.alias} accepted to review {dossier.reference}",
        f"{reviewer.name} ({assignment.alias}) accepted the invitation for "
        f"{dossier.reference} and declared no conflict of interest.",
    )


def decline_invitation(reviewer: User, assignment: ReviewAssignment, reason: str) -> None:
    require_own(reviewer, assignment)
    ASSIGNMENT_MACHINE.check(assignment, "decline", "reviewer")
    if not reason.strip():
        raise InvalidInput(
            "Give a short reason for declining (for example a conflict of interest or no time)."
        )
    dossier = assignment.round.dossier
    assignment.responded_at = utcnow()
    assignment.decline_reason = reason.strip()
    ASSIGNMENT_MACHINE.fire(
        assignment, "decline", actor=reviewer, role="reviewer", reason=assignment.decline_reason
    )
    tell_case_officer(
        dossier,
        "invitation_declined",
        f"{assignment.alias} declined to review {dossier.reference}",
        f"{reviewer.name} declined the invitation for {dossier.reference}: "
        f"{assignment.decline_reason}",
    )


def ended_at(assignment: ReviewAssignment) -> datetime | None:
    """When an ended assignment ended: its last decline, expiry or cancellation in the
    audit trail (None while it has not ended)."""
    if not assignment.has_ended:
        return None
    endings = {f"{assignment.__tablename__}.{action}" for action in ENDING_ACTIONS}
    times = [e.created_at for e in audit.entries_for(assignment) if e.action in endings]
    return times[-1] if times else assignment.responded_at


def expire_invitation(assignment: ReviewAssignment) -> None:
    """The response date passed without an answer (run by the reminder job)."""
    ASSIGNMENT_MACHINE.fire(
        assignment, "expire", actor=None, role=SYSTEM, response_due=assignment.response_due
    )
    dossier = assignment.round.dossier
    tell_case_officer(
        dossier,
        "invitation_expired",
        f"Invitation for {dossier.reference} expired",
        f"{assignment.reviewer.name} did not answer the invitation for "
        f"{dossier.reference} by {assignment.response_due:%d %B %Y}.",
    )


def cancel_assignment(actor: User, assignment: ReviewAssignment, reason: str = "") -> None:
    require_officer(actor)
    ASSIGNMENT_MACHINE.fire(
        assignment, "cancel", actor=actor, role="qa_officer", reason=reason.strip()
    )
    dossier = assignment.round.dossier
    notify(
        assignment.reviewer,
        "assignment_cancelled",
        f"Review of {dossier.reference} cancelled",
        f"The QA body has cancelled your assignment to review {dossier.reference}. "
        f"{reason.strip()}".strip(),
        "reviews.dashboard",
    )


def reinstate_assignment(
    actor: User,
    assignment: ReviewAssignment,
    *,
    response_due: date | None = None,
    review_due: date | None = None,
) -> None:
    """Invite again a reviewer who declined, did not answer or was cancelled."""
    require_officer(actor)
    dossier = assignment.round.dossier
    lock_dossier(dossier)
    ASSIGNMENT_MACHINE.check(assignment, "reinstate", "qa_officer")
    if not panel_open(dossier):
        raise TransitionNotAllowed(
            "Assignments can be reinstated only while the dossier is screened or in review."
        )
    reasons = conflict_reasons(assignment.reviewer, dossier)
    if reasons:
        raise NotPermitted(
            f"{assignment.reviewer.name} cannot review this dossier: " + " ".join(reasons)
        )
    policy = current_policy()
    response_due = response_due or clock.today() + timedelta(days=policy.response_days)
    review_due = review_due or response_due + timedelta(days=policy.review_days)
    _check_dates(response_due, review_due)
    assignment.response_due, assignment.review_due = response_due, review_due
    # A fresh invitation: the earlier answer stays in the audit trail, not on the panel.
    assignment.responded_at = None
    assignment.decline_reason = ""
    assignment.conflict_declaration = ""
    ASSIGNMENT_MACHINE.fire(
        assignment,
        "reinstate",
        actor=actor,
        role="qa_officer",
        response_due=response_due,
        review_due=review_due,
    )
    notify(
        assignment.reviewer,
        "invitation",
        f"Invitation to review {dossier.reference}",
        f"The QA body invites you again to review {dossier.reference}. Please answer by "
        f"{response_due:%d %B %Y}.",
        "reviews.assignment",
        assignment_id=assignment.id,
    )
