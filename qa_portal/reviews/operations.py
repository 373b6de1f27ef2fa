"""Review panel and scoring: policy, reviewer profiles, conflicts, invitations, reviews,
closing the round and moderation.

Rules enforced here (product spec sections 3 and 4):
- conflicts of interest: a reviewer who is a member of the provider, whose e-mail domain is
  the provider's domain, or who declared an affiliation with the provider in the last three
  years cannot be invited — checked on every invitation, whatever the form sent;
- the panel: the review opens only with the policy's number of accepted reviewers;
- anonymity: reviewers are "Reviewer N", stable within a dossier;
- visibility: a reviewer sees the other reviews of the round only after submitting theirs;
- divergence: a criterion whose scores differ by 2 or more needs a moderation note;
- concurrency: invitations, drafts, review submission and closing the round lock the dossier
  row, so aliases are unique, the round closes exactly once and no review is lost; a draft
  saved from a second window is refused (409) instead of silently overwritten.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from statistics import mean
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from qa_portal.accounts.models import AccountStatus, Organisation, Role, User, UserRole
from qa_portal.core import audit
from qa_portal.core.errors import InvalidInput, NotPermitted, StaleObject, TransitionNotAllowed
from qa_portal.core.models import utcnow
from qa_portal.core.states import SYSTEM
from qa_portal.dossiers import isced
from qa_portal.dossiers.models import Dossier, DossierState, DossierVersion
from qa_portal.dossiers.workflow import DOSSIER_MACHINE
from qa_portal.extensions import db
from qa_portal.notifications.operations import notify, provider_members
from qa_portal.reviews.models import (
    AssignmentState,
    CriterionScore,
    ModerationNote,
    Recommendation,
    Review,
    ReviewAssignment,
    ReviewerAffiliation,
    ReviewerProfile,
    ReviewPolicy,
    ReviewRound,
    RubricCriterion,
)
from qa_portal.reviews.rubric import current_rubric
from qa_portal.reviews.workflow import ASSIGNMENT_MACHINE

AFFILIATION_YEARS = 3
DIVERGENCE = 2
REVIEWABLE_STATES = (DossierState.IN_REVIEW, DossierState.DECISION_PENDING)
# An invitation can be answered while its round is still to be decided.
ACCEPTING_STATES = (
    DossierState.SUBMITTED,
    DossierState.SCREENING,
    DossierState.RETURNED,
    DossierState.IN_REVIEW,
    DossierState.DECISION_PENDING,
)
POLICY_LIMITS = {
    "reviewers_per_dossier": (1, 10),
    "response_days": (1, 60),
    "review_days": (1, 180),
    "reminder_days": (1, 30),
    "validity_years": (1, 10),
    "condition_days": (7, 730),
    "appeal_days": (1, 120),
    "renewal_notice_days": (7, 730),
}


def today() -> date:
    return utcnow().date()


# -- policy -------------------------------------------------------------------------------
def current_policy() -> ReviewPolicy:
    policy = db.session.execute(sa.select(ReviewPolicy).order_by(ReviewPolicy.id)).scalar()
    if policy is None:
        policy = ReviewPolicy()
        db.session.add(policy)
        db.session.flush()
    return policy


def update_policy(actor: User, values: dict[str, Any]) -> ReviewPolicy:
    """QA admin sets reviewers per dossier, default due dates and validity period."""
    policy = current_policy()
    changes = {}
    for name, (low, high) in POLICY_LIMITS.items():
        if name not in values or values[name] in (None, ""):
            continue
        try:
            value = int(values[name])
        except (TypeError, ValueError):
            raise InvalidInput(
                f"{name.replace('_', ' ').capitalize()} must be a whole number."
            ) from None
        if not low <= value <= high:
            raise InvalidInput(
                f"{name.replace('_', ' ').capitalize()} must be between {low} and {high}."
            )
        if getattr(policy, name) != value:
            changes[name] = [getattr(policy, name), value]
            setattr(policy, name, value)
    if changes:
        policy.updated_at = utcnow()
        audit.record(actor, "policy.update", policy, changes=changes)
    return policy


# -- reviewer profiles --------------------------------------------------------------------
def profile_of(user: User) -> ReviewerProfile:
    profile = db.session.execute(
        sa.select(ReviewerProfile).where(ReviewerProfile.user_id == user.id)
    ).scalar()
    if profile is None:
        profile = ReviewerProfile(user=user)
        db.session.add(profile)
        db.session.flush()
    return profile


def save_reviewer_profile(
    actor: User,
    reviewer: User,
    *,
    bio: str,
    isced_codes: list[str],
    keywords: list[str],
    affiliations: list[dict[str, Any]],
) -> ReviewerProfile:
    """Expertise (ISCED-F fields, keywords), bio and affiliations with dates."""
    if actor.id != reviewer.id and not actor.has_role(Role.QA_ADMIN, Role.QA_OFFICER):
        raise NotPermitted("Only the reviewer or QA staff may change this profile.")
    for code in isced_codes:
        if code not in isced.DETAILED:
            raise InvalidInput(f"“{code}” is not an ISCED-F 2013 detailed field.")
    profile = profile_of(reviewer)
    profile.bio = bio.strip()
    profile.isced_codes = list(dict.fromkeys(isced_codes))
    profile.keywords = list(dict.fromkeys(k.strip() for k in keywords if k.strip()))
    rows = []
    for row in affiliations:
        name = (row.get("organisation_name") or "").strip()
        if not name:
            continue
        start, end = row.get("start_date"), row.get("end_date")
        if start is None:
            raise InvalidInput(f"Give the start date of the affiliation with {name}.")
        if end is not None and end < start:
            raise InvalidInput(f"The affiliation with {name} ends before it starts.")
        rows.append(
            ReviewerAffiliation(
                organisation_name=name,
                organisation_id=row.get("organisation_id") or _organisation_link(profile, name),
                role=(row.get("role") or "").strip(),
                start_date=start,
                end_date=end,
            )
        )
    profile.affiliations = rows
    profile.updated_at = utcnow()
    db.session.flush()
    audit.record(
        actor,
        "reviewer.profile",
        ("user_account", reviewer.id),
        isced=profile.isced_codes,
        keywords=profile.keywords,
        affiliations=[(a.organisation_name, str(a.start_date), str(a.end_date)) for a in rows],
    )
    return profile


def _organisation_link(profile: ReviewerProfile, name: str) -> int | None:
    """The organisation an affiliation row names: the link it had before (the organisation
    may have been renamed since), else the registered organisation of that name. A stable
    link keeps the conflict rule working when an organisation changes its name."""
    for previous in profile.affiliations:
        if previous.organisation_id and _same_name(previous.organisation_name, name):
            return previous.organisation_id
    wanted = _normalised(name)
    for org_id, org_name in db.session.execute(sa.select(Organisation.id, Organisation.name)):
        if _normalised(org_name) == wanted:
            return org_id
    return None


# -- conflicts and suggestions ------------------------------------------------------------
def _normalised(s: str | None) -> str:
    return re.sub(r"[^a-z0-9]+", " ", (s or "").lower()).strip()


def _same_name(a: str | None, b: str | None) -> bool:
    return bool(_normalised(a)) and _normalised(a) == _normalised(b)


def _domain_matches(email_domain: str, org_domain: str | None) -> bool:
    if not org_domain:
        return False
    org_domain = org_domain.lower()
    return email_domain == org_domain or email_domain.endswith("." + org_domain)


_UNLOADED: Any = object()


def conflict_reasons(
    reviewer: User,
    dossier: Dossier,
    on: date | None = None,
    *,
    profile: ReviewerProfile | None = _UNLOADED,
) -> list[str]:
    """Why ``reviewer`` may not review ``dossier``: the three rules, each with its reason.

    ``profile`` may be passed when the caller has already loaded it (None: no profile)."""
    on = on or today()
    org = dossier.organisation
    reasons = []
    if reviewer.organisation_id == org.id:
        reasons.append(f"Member of the provider organisation ({org.name}).")
    if _domain_matches(reviewer.email_domain, org.domain):
        reasons.append(f"E-mail address in the provider's domain ({org.domain}).")
    if profile is _UNLOADED:
        profile = db.session.execute(
            sa.select(ReviewerProfile).where(ReviewerProfile.user_id == reviewer.id)
        ).scalar()
    if profile is not None:
        limit = (
            on.replace(year=on.year - AFFILIATION_YEARS)
            if not (on.month == 2 and on.day == 29)
            else on - timedelta(days=365 * AFFILIATION_YEARS)
        )
        for affiliation in profile.affiliations:
            linked = affiliation.organisation_id == org.id or _same_name(
                affiliation.organisation_name, org.name
            )
            recent = affiliation.end_date is None or affiliation.end_date >= limit
            if linked and recent:
                until = (
                    "ongoing"
                    if affiliation.end_date is None
                    else f"until {affiliation.end_date:%d %b %Y}"
                )
                reasons.append(
                    f"Declared affiliation with {org.name} in the last {AFFILIATION_YEARS} "
                    f"years ({affiliation.role or 'affiliated'}, {until})."
                )
    return reasons


def open_load(reviewer_ids: list[int]) -> dict[int, int]:
    """Open assignments (invited or accepted) per reviewer."""
    if not reviewer_ids:
        return {}
    rows = db.session.execute(
        sa.select(ReviewAssignment.reviewer_id, sa.func.count())
        .where(
            ReviewAssignment.reviewer_id.in_(reviewer_ids),
            ReviewAssignment.state.in_([AssignmentState.INVITED, AssignmentState.ACCEPTED]),
        )
        .group_by(ReviewAssignment.reviewer_id)
    ).all()
    return dict(rows)


@dataclass
class Candidate:
    reviewer: User
    match: int
    load: int
    matched: list[str] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z][a-z0-9+#]{2,}", text.lower())}


def suggest_reviewers(
    dossier: Dossier, round_: ReviewRound | None = None
) -> tuple[list[Candidate], list[Candidate]]:
    """Candidates ranked by expertise match then load, and the excluded with their reasons."""
    reviewers = list(
        db.session.execute(
            sa.select(User)
            .join(UserRole)
            .where(UserRole.role == Role.REVIEWER, User.status == AccountStatus.ACTIVE)
            .order_by(User.name)
        ).scalars()
    )
    loads = open_load([r.id for r in reviewers])
    profiles = {
        p.user_id: p
        for p in db.session.execute(
            sa.select(ReviewerProfile)
            .join(UserRole, UserRole.user_id == ReviewerProfile.user_id)
            .where(UserRole.role == Role.REVIEWER)
            .options(selectinload(ReviewerProfile.affiliations))
        ).scalars()
    }
    on_panel = {}
    if round_ is not None:
        on_panel = {a.reviewer_id: a for a in round_.assignments}
    snapshot = dossier.latest_version.snapshot if dossier.latest_version else {}
    code = snapshot.get("isced_code") or dossier.isced_code
    keywords = {k.lower() for k in (snapshot.get("keywords") or dossier.keywords or [])}
    title_words = _words(snapshot.get("title") or dossier.title)
    candidates, excluded = [], []
    for reviewer in reviewers:
        profile = profiles.get(reviewer.id)
        matched, score = [], 0
        if profile is not None:
            if code and code in profile.isced_codes:
                score += 3
                matched.append(f"field {code} {isced.name_of(code)}")
            elif code and any(c[:2] == code[:2] for c in profile.isced_codes):
                score += 1
                matched.append(f"broad field {isced.BROAD.get(code[:2], code[:2])}")
            for keyword in profile.keywords:
                k = keyword.lower()
                if k in keywords or _words(k) & title_words:
                    score += 1
                    matched.append(keyword)
        candidate = Candidate(reviewer, score, loads.get(reviewer.id, 0), matched)
        reasons = conflict_reasons(reviewer, dossier, profile=profile)
        if reviewer.id in on_panel:
            state = on_panel[reviewer.id].state
            reasons.append(f"Already on this round's panel ({state.value}).")
        if reasons:
            candidate.excluded = reasons
            excluded.append(candidate)
        else:
            candidates.append(candidate)
    candidates.sort(key=lambda c: (-c.match, c.load, c.reviewer.name))
    return candidates, excluded


# -- rounds -------------------------------------------------------------------------------
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


def lock_dossier(dossier: Dossier) -> Dossier:
    """Serialise work on one dossier (row lock on PostgreSQL; SQLite serialises writers)."""
    db.session.execute(sa.select(Dossier.id).where(Dossier.id == dossier.id).with_for_update())
    db.session.refresh(dossier, attribute_names=["state"])
    return dossier


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


def _require_officer(actor: User) -> None:
    if not actor.has_role(Role.QA_OFFICER):
        raise NotPermitted("Only QA officers may do this.")


# -- invitations --------------------------------------------------------------------------
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
    _require_officer(actor)
    lock_dossier(dossier)
    if dossier.state not in (DossierState.SCREENING, DossierState.IN_REVIEW):
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
    response_due = response_due or today() + timedelta(days=policy.response_days)
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
    if response_due < today():
        raise InvalidInput("The response date cannot be in the past.")
    if review_due <= response_due:
        raise InvalidInput("The review due date must come after the response date.")


def _require_own(reviewer: User, assignment: ReviewAssignment) -> None:
    if assignment.reviewer_id != reviewer.id:
        raise NotPermitted("This invitation is addressed to another reviewer.")


def accept_invitation(
    reviewer: User, assignment: ReviewAssignment, *, no_conflict: bool, declaration: str = ""
) -> None:
    """Accept, declaring that no conflict of interest exists; refused when a conflict
    appeared since the invitation, or when the dossier is no longer waiting for a review."""
    _require_own(reviewer, assignment)
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
    _tell_officer(
        dossier,
        "invitation_accepted",
        f"{assignment.alias} accepted to review {dossier.reference}",
        f"{reviewer.name} ({assignment.alias}) accepted the invitation for "
        f"{dossier.reference} and declared no conflict of interest.",
    )


def decline_invitation(reviewer: User, assignment: ReviewAssignment, reason: str) -> None:
    _require_own(reviewer, assignment)
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
    _tell_officer(
        dossier,
        "invitation_declined",
        f"{assignment.alias} declined to review {dossier.reference}",
        f"{reviewer.name} declined the invitation for {dossier.reference}: "
        f"{assignment.decline_reason}",
    )


def expire_invitation(assignment: ReviewAssignment) -> None:
    """The response date passed without an answer (run by the reminder job)."""
    ASSIGNMENT_MACHINE.fire(
        assignment, "expire", actor=None, role=SYSTEM, response_due=assignment.response_due
    )
    dossier = assignment.round.dossier
    _tell_officer(
        dossier,
        "invitation_expired",
        f"Invitation for {dossier.reference} expired",
        f"{assignment.reviewer.name} did not answer the invitation for "
        f"{dossier.reference} by {assignment.response_due:%d %B %Y}.",
    )


def cancel_assignment(actor: User, assignment: ReviewAssignment, reason: str = "") -> None:
    _require_officer(actor)
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
    _require_officer(actor)
    dossier = assignment.round.dossier
    lock_dossier(dossier)
    ASSIGNMENT_MACHINE.check(assignment, "reinstate", "qa_officer")
    if dossier.state not in (DossierState.SCREENING, DossierState.IN_REVIEW):
        raise TransitionNotAllowed(
            "Assignments can be reinstated only while the dossier is screened or in review."
        )
    reasons = conflict_reasons(assignment.reviewer, dossier)
    if reasons:
        raise NotPermitted(
            f"{assignment.reviewer.name} cannot review this dossier: " + " ".join(reasons)
        )
    policy = current_policy()
    response_due = response_due or today() + timedelta(days=policy.response_days)
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


def _tell_officer(dossier: Dossier, kind: str, title: str, body: str) -> None:
    from qa_portal.notifications.operations import officers

    recipients = [dossier.case_officer] if dossier.case_officer else officers()
    notify(recipients, kind, title, body, "dossiers.show", dossier_id=dossier.id)


# -- opening and closing the review -------------------------------------------------------
def accepted(round_: ReviewRound) -> list[ReviewAssignment]:
    return [
        a
        for a in round_.assignments
        if a.state in (AssignmentState.ACCEPTED, AssignmentState.SUBMITTED)
    ]


def open_review(actor: User, dossier: Dossier) -> ReviewRound:
    """Start the review once the panel has the policy's number of accepted reviewers."""
    _require_officer(actor)
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
        _require_officer(actor)
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
    _tell_officer(
        dossier,
        "round_closed",
        f"{dossier.reference} is ready for a decision",
        f"The review round {round_.number} of {dossier.reference} is closed "
        f"({'all reviews are in' if automatic else 'closed by a QA officer'}). "
        "Moderate the scores and decide.",
    )
    return True


# -- reviews ------------------------------------------------------------------------------
def review_of(assignment: ReviewAssignment) -> Review:
    if assignment.review is None:
        assignment.review = Review()
        db.session.flush()
    return assignment.review


def _require_scoring(reviewer: User, assignment: ReviewAssignment) -> None:
    _require_own(reviewer, assignment)
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
    _tell_officer(
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
    _require_officer(actor)
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


# -- scores and moderation ----------------------------------------------------------------
@dataclass
class CriterionStats:
    criterion: RubricCriterion
    scores: list[tuple[ReviewAssignment, int | None, str]]
    notes: list[ModerationNote]

    @property
    def values(self) -> list[int]:
        return [s for _, s, _ in self.scores if s is not None]

    @property
    def mean(self) -> float | None:
        return round(mean(self.values), 2) if self.values else None

    @property
    def spread(self) -> int | None:
        return max(self.values) - min(self.values) if self.values else None

    @property
    def divergent(self) -> bool:
        return self.spread is not None and self.spread >= DIVERGENCE


def round_statistics(round_: ReviewRound) -> list[CriterionStats]:
    """Per criterion: each submitted reviewer's score, mean, spread, divergence, notes."""
    if round_.rubric is None:
        return []
    submitted = [a for a in round_.assignments if a.state == AssignmentState.SUBMITTED]
    notes_by: dict[int | None, list[ModerationNote]] = {}
    for note in round_.moderation_notes:
        notes_by.setdefault(note.criterion_id, []).append(note)
    stats = []
    for criterion in round_.rubric.criteria:
        rows = []
        for assignment in submitted:
            score = next(
                (s for s in assignment.review.scores if s.criterion_id == criterion.id), None
            )
            rows.append(
                (assignment, score.score if score else None, score.comment if score else "")
            )
        stats.append(CriterionStats(criterion, rows, notes_by.get(criterion.id, [])))
    return stats


def unmoderated_divergences(round_: ReviewRound) -> list[CriterionStats]:
    return [s for s in round_statistics(round_) if s.divergent and not s.notes]


def add_moderation_note(
    actor: User, dossier: Dossier, criterion_id: int | None, text: str
) -> ModerationNote:
    _require_officer(actor)
    if dossier.state not in REVIEWABLE_STATES:
        raise TransitionNotAllowed("Moderation notes are written before the decision.")
    if not text.strip():
        raise InvalidInput("The moderation note is empty.")
    round_ = require_round(dossier)
    if criterion_id is not None and criterion_id not in {c.id for c in round_.rubric.criteria}:
        raise InvalidInput("This criterion is not part of the round's rubric.")
    note = ModerationNote(round=round_, criterion_id=criterion_id, author=actor, text=text.strip())
    db.session.add(note)
    db.session.flush()
    audit.record(
        actor,
        "moderation.note",
        note,
        dossier_id=dossier.id,
        criterion_id=criterion_id,
        text=note.text,
    )
    return note


def tell_providers(dossier: Dossier, kind: str, title: str, body: str) -> None:
    """Notify the provider's members (texts must not name reviewers)."""
    notify(
        provider_members(dossier.organisation_id),
        kind,
        title,
        body,
        "dossiers.show",
        dossier_id=dossier.id,
    )
