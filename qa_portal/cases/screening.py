"""Screening by the QA body: take up, return to the provider, desk-reject; the provider's
own moves back to draft (revision after "revise and resubmit", renewal).

Rules enforced here: from round 2 on, taking a dossier up invites the previous round's
reviewers again unless they now have a conflict or left the pool; a return needs a note
and keeps the round; a desk rejection needs a reason, is an appealable decision, and is
barred to an officer whose decision on the dossier was overturned; a renewal starts only
before the approval ends. Opening the review lives in ``reviews/rounds.py``.
"""

from __future__ import annotations

from datetime import timedelta

from qa_portal.accounts.models import AccountStatus, Role, User
from qa_portal.core import clock
from qa_portal.core.errors import InvalidInput, NotPermitted, TransitionNotAllowed
from qa_portal.core.models import utcnow
from qa_portal.decisions.models import Decision, Outcome
from qa_portal.decisions.operations import barred_deciders, close_open_assignments, latest_decision
from qa_portal.dossiers import notices
from qa_portal.dossiers.locks import lock_dossier
from qa_portal.dossiers.models import Dossier, ScreeningNote
from qa_portal.dossiers.workflow import DOSSIER_MACHINE
from qa_portal.extensions import db
from qa_portal.reviews.conflicts import conflict_reasons
from qa_portal.reviews.invitations import invite_reviewer
from qa_portal.reviews.policy import current_policy
from qa_portal.reviews.rounds import require_round


def _officer(actor: User) -> None:
    if not actor.has_role(Role.QA_OFFICER):
        raise NotPermitted("Only QA officers may screen dossiers.")


def _member(actor: User, dossier: Dossier) -> None:
    if not dossier.is_member(actor):
        raise NotPermitted("Only members of the provider organisation may do this.")


def take_up(actor: User, dossier: Dossier) -> None:
    """A QA officer becomes the case officer and starts screening.

    From round 2 on, the previous round's reviewers are invited again by default.
    """

    _officer(actor)
    lock_dossier(dossier)
    DOSSIER_MACHINE.check(dossier, "take_up", "qa_officer")
    round_ = require_round(dossier)
    dossier.case_officer = actor
    DOSSIER_MACHINE.fire(
        dossier, "take_up", actor=actor, role="qa_officer", case_officer_id=actor.id
    )
    if round_.number > 1 and not round_.assignments:
        for reviewer in previous_reviewers(dossier):
            invite_reviewer(actor, dossier, reviewer)


def previous_reviewers(dossier: Dossier) -> list[User]:
    """The reviewers of the previous round who are invited again by default: those who
    submitted a review, are still active reviewers and have no conflict of interest now."""

    if len(dossier.rounds) < 2:
        return []
    chosen = []
    for assignment in dossier.rounds[-2].assignments:
        reviewer = assignment.reviewer
        if assignment.state.value != "submitted":
            continue
        if reviewer.status != AccountStatus.ACTIVE or not reviewer.has_role(Role.REVIEWER):
            continue
        if conflict_reasons(reviewer, dossier):
            continue
        chosen.append(reviewer)
    return chosen


def return_to_provider(actor: User, dossier: Dossier, note: str) -> ScreeningNote:
    """Send the dossier back for corrections; the provider resubmits in the same round."""

    _officer(actor)
    if not note.strip():
        raise InvalidInput("Write the note telling the provider what to correct.")
    lock_dossier(dossier)
    DOSSIER_MACHINE.check(dossier, "return", "qa_officer")
    screening_note = ScreeningNote(
        dossier_id=dossier.id, author=actor, text=note.strip(), version_id=dossier.latest_version.id
    )
    db.session.add(screening_note)
    DOSSIER_MACHINE.fire(dossier, "return", actor=actor, role="qa_officer", note=note.strip())
    notices.tell_providers(
        dossier,
        "returned",
        f"{dossier.reference} returned for corrections",
        f"The QA body returned “{dossier.title}” for corrections:\n\n{note.strip()}"
        "\n\nCorrect the dossier and resubmit it.",
    )
    return screening_note


def desk_reject(actor: User, dossier: Dossier, reason: str):
    """Reject without review (appealable); recorded as a decision on the round."""

    _officer(actor)
    if not reason.strip():
        raise InvalidInput("Give the reason for the desk rejection; the provider reads it.")
    lock_dossier(dossier)
    DOSSIER_MACHINE.check(dossier, "desk_reject", "qa_officer")
    if actor.id in barred_deciders(dossier):
        raise NotPermitted(
            "Your earlier decision on this dossier was overturned on appeal; "
            "another QA officer must decide."
        )
    round_ = require_round(dossier)
    policy = current_policy()
    decision = Decision(
        dossier_id=dossier.id,
        round=round_,
        outcome=Outcome.DESK_REJECTED,
        rationale=reason.strip(),
        decided_by=actor,
        appeal_deadline=clock.today() + timedelta(days=policy.appeal_days),
    )
    db.session.add(decision)
    round_.decided_at = utcnow()
    db.session.flush()
    DOSSIER_MACHINE.fire(
        dossier,
        "desk_reject",
        actor=actor,
        role="qa_officer",
        reason=reason.strip(),
        decision_id=decision.id,
    )
    close_open_assignments(actor, round_, "The dossier was desk-rejected during screening.")
    notices.tell_providers(
        dossier,
        "decision",
        f"Decision on {dossier.reference}: desk-rejected",
        f"The QA body rejected “{dossier.title}” without review:\n\n{reason.strip()}\n\n"
        f"You may appeal until {decision.appeal_deadline:%d %B %Y}.",
    )
    return decision


def start_revision(actor: User, dossier: Dossier) -> None:
    """After "revise and resubmit": edit a new version, prefilled from the last one."""

    _member(actor, dossier)
    lock_dossier(dossier)
    DOSSIER_MACHINE.fire(dossier, "start_revision", actor=actor, role="provider")


def start_renewal(actor: User, dossier: Dossier) -> None:
    """Before the approval expires: a new version goes through the same workflow while the
    current approval stays valid until the new decision."""

    _member(actor, dossier)
    lock_dossier(dossier)
    DOSSIER_MACHINE.check(dossier, "start_renewal", "provider")
    decision = latest_decision(dossier)
    if decision is None or decision.valid_until is None:
        raise TransitionNotAllowed("There is no approval to renew.")
    if decision.valid_until < clock.today():
        raise TransitionNotAllowed(
            f"The approval expired on {decision.valid_until:%d %B %Y}; it can no longer be "
            "renewed. Submit a new dossier instead."
        )
    DOSSIER_MACHINE.fire(
        dossier, "start_renewal", actor=actor, role="provider", renewing_decision_id=decision.id
    )
