"""Decisions by the decision committee (ESG 2.5/2.6: the deciding body; migration 0015).

Where the review policy says the committee decides (``decision_body = "committee"``), the
QA officer does not decide alone (``operations.decide_round`` refuses): the officer
*proposes* the decision, with the same checks as a decision, before anything changes; the
committee's members (users with the committee role) vote on it; a member, or the officer
recording the minutes of a meeting held offline, then *records* the committee's decision.

Rules enforced here: only QA officers propose and withdraw; one open proposal per dossier;
only committee members vote, once each, never on their own proposal nor on a dossier they
reviewed, and a vote against says why; from the votes, the decision is recorded once the
quorum (the policy's number of votes; abstentions count) is reached and more members agreed
than disagreed, with the proposed outcome; from a meeting, with its date (not in the future)
and the committee's own outcome and rationale. The decision names the committee (its name
at the time), the meeting date and the proposal, then everything a decision does follows
(dossier transition, provider told, reports queued). Every step is audited; the committee
is told when a proposal is open, the officer when the quorum is reached.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa

from qa_portal.accounts.models import AccountStatus, Role, User, UserRole
from qa_portal.core import audit, clock
from qa_portal.core.errors import DomainError, InvalidInput, NotPermitted, TransitionNotAllowed
from qa_portal.core.models import utcnow
from qa_portal.decisions.models import (
    OFFICER_BODY,
    CommitteeVote,
    Decision,
    DecisionProposal,
    Outcome,
    ProposalState,
    VoteChoice,
)
from qa_portal.decisions.operations import check_decision, outcome_asked, record_decision
from qa_portal.decisions.workflow import COMMITTEE, OFFICER, PROPOSAL_MACHINE
from qa_portal.dossiers import locks
from qa_portal.dossiers.models import Dossier
from qa_portal.extensions import db
from qa_portal.notifications.operations import notify
from qa_portal.reviews.deciding_body import decides_in_committee
from qa_portal.reviews.models import ReviewAssignment, ReviewPolicy, ReviewRound
from qa_portal.reviews.policy import current_policy

DEFAULT_COMMITTEE_NAME = "Decision committee"


# -- reading ------------------------------------------------------------------------------
def committee_name(policy: ReviewPolicy | None = None) -> str:
    return (policy or current_policy()).committee_name.strip() or DEFAULT_COMMITTEE_NAME


def committee_members() -> list[User]:
    """The active members of the decision committee."""
    return list(
        db.session.execute(
            sa.select(User)
            .join(UserRole)
            .where(UserRole.role == Role.COMMITTEE, User.status == AccountStatus.ACTIVE)
            .order_by(User.name, User.id)
        ).scalars()
    )


def may_see_proposals(user: Any) -> bool:
    """Committee members and QA staff (committee members see nothing else of a dossier)."""
    return bool(user and user.is_authenticated and (user.has_role(Role.COMMITTEE) or user.is_staff))


def proposals_of(dossier: Dossier) -> list[DecisionProposal]:
    """The dossier's proposals, newest first."""
    return list(
        db.session.execute(
            sa.select(DecisionProposal)
            .where(DecisionProposal.dossier_id == dossier.id)
            .order_by(DecisionProposal.proposed_at.desc(), DecisionProposal.id.desc())
        ).scalars()
    )


def open_proposal(dossier: Dossier) -> DecisionProposal | None:
    return db.session.execute(
        sa.select(DecisionProposal).where(
            DecisionProposal.dossier_id == dossier.id,
            DecisionProposal.state == ProposalState.OPEN,
        )
    ).scalar()


def proposals(state: ProposalState, limit: int | None = None) -> list[DecisionProposal]:
    """Proposals in ``state``: open ones oldest first, the others newest first."""
    order = DecisionProposal.proposed_at
    query = sa.select(DecisionProposal).where(DecisionProposal.state == state)
    query = query.order_by(order if state == ProposalState.OPEN else order.desc())
    return list(db.session.execute(query.limit(limit)).scalars())


def quorum_reached(proposal: DecisionProposal, policy: ReviewPolicy | None = None) -> bool:
    return len(proposal.votes) >= (policy or current_policy()).committee_quorum


def majority_agrees(proposal: DecisionProposal) -> bool:
    """More members agreed than disagreed (abstentions count towards the quorum only)."""
    tally = proposal.tally()
    return tally[VoteChoice.AGREE] > tally[VoteChoice.DISAGREE]


def why_not_vote(user: User, proposal: DecisionProposal) -> str | None:
    """Why ``user`` may not vote on ``proposal`` now, or None if they may."""
    refusal = vote_refusal(user, proposal)
    return refusal.message if refusal else None


def vote_refusal(user: User, proposal: DecisionProposal) -> DomainError | None:
    """The error refusing ``user``'s vote on ``proposal`` now (403 for who they are, 409
    for the proposal's state), or None if they may vote."""
    if not user.has_role(Role.COMMITTEE):
        return NotPermitted("Only members of the decision committee vote.")
    if proposal.state != ProposalState.OPEN:
        state = PROPOSAL_MACHINE.describe(proposal.state)
        return TransitionNotAllowed(f"This proposal is {state}; voting is closed.")
    if user.id == proposal.proposed_by_id:
        return NotPermitted("You proposed this decision; you cannot vote on it.")
    if _reviewed(user, proposal.dossier):
        return NotPermitted("You reviewed this dossier; you cannot vote on its decision.")
    if proposal.vote_of(user) is not None:
        return TransitionNotAllowed("You have already voted on this proposal.")
    return None


def _reviewed(user: User, dossier: Dossier) -> bool:
    return bool(
        db.session.execute(
            sa.select(ReviewAssignment.id)
            .join(ReviewRound, ReviewRound.id == ReviewAssignment.round_id)
            .where(ReviewRound.dossier_id == dossier.id, ReviewAssignment.reviewer_id == user.id)
            .limit(1)
        ).first()
    )


def recording_role(user: User) -> str | None:
    """The role in which ``user`` may record the committee's decision (None: may not)."""
    if user.has_role(Role.COMMITTEE):
        return COMMITTEE
    if user.has_role(Role.QA_OFFICER):
        return OFFICER
    return None


# -- proposing ----------------------------------------------------------------------------
def propose_decision(
    actor: User,
    dossier: Dossier,
    *,
    outcome: str,
    rationale: str,
    validity_years: int | None = None,
    conditions: list[dict[str, Any]] | None = None,
) -> DecisionProposal:
    """The QA officer proposes the decision on the current round to the committee. The
    proposal passes every check of a decision (``operations.check_decision``) first."""
    if not actor.has_role(Role.QA_OFFICER):
        raise NotPermitted("Only QA officers propose decisions.")
    policy = current_policy()
    if not decides_in_committee(policy):
        raise TransitionNotAllowed(
            "A QA officer decides alone under this QA body's policy: record the decision."
        )
    locks.lock_dossier(dossier)
    result = outcome_asked(dossier, outcome)
    if open_proposal(dossier) is not None:
        raise TransitionNotAllowed(
            "A proposal is already before the committee; withdraw it to propose another."
        )
    checked = check_decision(
        dossier, result, rationale=rationale, validity_years=validity_years, conditions=conditions
    )
    years = None  # the decision is checked, not stored: the proposal keeps what it says
    if checked.valid_from and checked.valid_until:
        years = checked.valid_until.year - checked.valid_from.year
    proposal = DecisionProposal(
        dossier_id=dossier.id,
        round=checked.round,
        outcome=result,
        rationale=checked.rationale,
        conditions=[
            {"text": c.text, "due_date": c.due_date.isoformat()} for c in checked.conditions
        ],
        validity_years=years,
        proposed_by=actor,
        state=ProposalState.OPEN,
    )
    db.session.add(proposal)
    db.session.flush()
    audit.record(
        actor,
        "decision_proposal.propose",
        proposal,
        dossier_id=dossier.id,
        round=checked.round.number,
        outcome=result.value,
        rationale=proposal.rationale,
        conditions=proposal.conditions,
        validity_years=years,
    )
    notify(
        [m for m in committee_members() if m.id != actor.id],
        "committee_proposal",
        f"Decision proposed on {dossier.reference}",
        f"{actor.name} proposes to decide “{dossier.display_title}”: "
        f"{result.label.lower()}. The {committee_name(policy)} is asked to vote "
        f"({policy.committee_quorum} vote(s) needed) or to record its decision.",
        "committee.proposal",
        dossier_id=dossier.id,
    )
    return proposal


def withdraw_proposal(actor: User, proposal: DecisionProposal, note: str = "") -> None:
    """The QA officer withdraws an open proposal (to revise it); the votes stay recorded."""
    if not actor.has_role(Role.QA_OFFICER):
        raise NotPermitted("Only QA officers withdraw proposals.")
    dossier = proposal.dossier
    locks.lock_dossier(dossier)
    PROPOSAL_MACHINE.fire(
        proposal,
        "withdraw",
        actor=actor,
        role=OFFICER,
        values={"closed_at": utcnow(), "withdrawal_note": note.strip()},
        dossier_id=dossier.id,
        note=note.strip(),
        votes=proposal.tally(),
    )
    notify(
        [m for m in committee_members() if m.id != actor.id],
        "committee_proposal",
        f"Proposal on {dossier.reference} withdrawn",
        f"{actor.name} withdrew the proposal on “{dossier.display_title}”"
        + (f": {note.strip()}" if note.strip() else ".")
        + " A revised proposal may follow.",
        "committee.index",
    )


# -- voting -------------------------------------------------------------------------------
def cast_vote(
    member: User, proposal: DecisionProposal, vote: str, comment: str = ""
) -> CommitteeVote:
    """A committee member votes on an open proposal: agree, disagree (saying why) or
    abstain. When the vote completes the quorum, the officer who proposed is told."""
    dossier = proposal.dossier
    locks.lock_dossier(dossier)  # one vote at a time: the quorum is told once
    db.session.refresh(proposal, attribute_names=["state", "votes"])
    refusal = vote_refusal(member, proposal)
    if refusal is not None:
        raise refusal
    try:
        choice = VoteChoice(vote)
    except ValueError:
        raise InvalidInput("Choose whether you agree, disagree or abstain.") from None
    comment = (comment or "").strip()
    if choice == VoteChoice.DISAGREE and not comment:
        raise InvalidInput("Say why you disagree with the proposal.")
    policy = current_policy()
    had_quorum = quorum_reached(proposal, policy)
    cast = CommitteeVote(member=member, vote=choice, comment=comment)
    proposal.votes.append(cast)
    db.session.flush()
    audit.record(
        member,
        "committee_vote.cast",
        cast,
        proposal_id=proposal.id,
        dossier_id=dossier.id,
        vote=choice.value,
        comment=comment,
    )
    if not had_quorum and quorum_reached(proposal, policy):
        _tell_quorum(proposal, policy)
    return cast


def _tell_quorum(proposal: DecisionProposal, policy: ReviewPolicy) -> None:
    dossier = proposal.dossier
    tally = proposal.tally()
    verdict = (
        "A majority agrees: a member or you may now record the decision."
        if majority_agrees(proposal)
        else "No majority agrees: the committee must meet and record its decision with the "
        "meeting date, or you may withdraw the proposal to revise it."
    )
    notify(
        [proposal.proposed_by, dossier.case_officer],
        "committee_quorum",
        f"Quorum reached on {dossier.reference}",
        f"The {committee_name(policy)} has voted on the proposal for "
        f"“{dossier.display_title}”: {tally['agree']} agree, {tally['disagree']} disagree, "
        f"{tally['abstain']} abstain. {verdict}",
        "committee.proposal",
        dossier_id=dossier.id,
    )


# -- the committee's decision -------------------------------------------------------------
def record_committee_decision(
    actor: User,
    proposal: DecisionProposal,
    *,
    meeting_date: date | None = None,
    outcome: str | None = None,
    rationale: str | None = None,
) -> Decision:
    """Record the committee's decision on an open proposal (a member, or a QA officer
    recording the minutes). Without a meeting date: from the votes, with the proposed
    outcome, once the quorum is reached and a majority agrees. With a meeting date: the
    committee's own outcome and rationale (by default the proposal's)."""
    role = recording_role(actor)
    if role is None:
        raise NotPermitted("Only committee members or QA officers record the committee's decision.")
    dossier = proposal.dossier
    locks.lock_dossier(dossier)
    db.session.refresh(proposal, attribute_names=["state", "votes"])
    PROPOSAL_MACHINE.check(proposal, "decide", role)
    if dossier.current_round is None or dossier.current_round.id != proposal.round_id:
        raise TransitionNotAllowed("This proposal is about an earlier round; withdraw it.")
    policy = current_policy()
    outcome = outcome or proposal.outcome.value
    if meeting_date is None:
        _check_votes(proposal, outcome, rationale, policy)
    elif meeting_date > clock.today():
        raise InvalidInput("The meeting date cannot be in the future.")
    result = outcome_asked(dossier, outcome)
    checked = check_decision(
        dossier,
        result,
        rationale=proposal.rationale if rationale is None else rationale,
        validity_years=proposal.validity_years,
        conditions=_conditions_for(proposal, result),
    )
    name = committee_name(policy)
    PROPOSAL_MACHINE.fire(
        proposal,
        "decide",
        actor=actor,
        role=role,
        values={"closed_at": utcnow()},
        dossier_id=dossier.id,
        outcome=result.value,
        meeting_date=meeting_date,
        votes=proposal.tally(),
        deciding_body=name,
    )
    # The round's open reviews are cancelled by an officer: the one recording, or the
    # officer who proposed when a member records.
    canceller = actor if actor.has_role(Role.QA_OFFICER) else proposal.proposed_by
    return record_decision(
        actor,
        dossier,
        checked,
        deciding_body=name,
        meeting_date=meeting_date,
        proposal=proposal,
        role=role,
        canceller=canceller,
    )


def _check_votes(
    proposal: DecisionProposal, outcome: str, rationale: str | None, policy: ReviewPolicy
) -> None:
    """The votes decide the proposal as it stands, once the quorum and a majority agree."""
    # the form sends the proposal's rationale back (a browser may change its line breaks)
    changed = rationale is not None and rationale.split() != proposal.rationale.split()
    if outcome != proposal.outcome.value or changed:
        raise InvalidInput(
            "The votes are on the proposal as it stands; a different outcome or rationale is "
            "recorded from the committee's meeting: give the meeting date."
        )
    if not quorum_reached(proposal, policy):
        raise TransitionNotAllowed(
            f"{len(proposal.votes)} of the {policy.committee_quorum} votes needed are in: "
            "wait for the quorum, or record the decision of the committee's meeting with "
            "its date."
        )
    if not majority_agrees(proposal):
        raise TransitionNotAllowed(
            "No majority of the committee agrees with the proposal: record the decision of "
            "the committee's meeting with its date, or the officer withdraws the proposal."
        )


def _conditions_for(proposal: DecisionProposal, result: Outcome) -> list[dict[str, Any]]:
    """The proposal's conditions, when the decision is the approval they belong to."""
    if result != Outcome.APPROVED_WITH_CONDITIONS:
        return []
    if not proposal.conditions:
        raise InvalidInput(
            "The proposal sets no conditions: to approve with conditions, the officer "
            "withdraws it and proposes the committee's conditions."
        )
    return [
        {"text": c["text"], "due_date": date.fromisoformat(c["due_date"])}
        for c in proposal.conditions
    ]


# -- reminders (``cases.reminders``) -----------------------------------------------------
def remind_voters(on: date, days: int, send: Callable[[str, Callable, str], None]) -> None:
    """Once a proposal has been open ``days`` days without its quorum, each member who may
    vote and has not is reminded, once (``send(key, action, label)`` of the reminders job)."""
    policy = current_policy()
    members = committee_members()
    for proposal in proposals(ProposalState.OPEN):
        if proposal.proposed_at.date() + timedelta(days=days) > on:
            continue
        if quorum_reached(proposal, policy):
            continue
        dossier = proposal.dossier
        for member in members:
            if vote_refusal(member, proposal) is not None:
                continue
            send(
                f"committee-vote:{proposal.id}:{member.id}",
                lambda m=member, d=dossier: notify(
                    m,
                    "committee_vote_due",
                    f"Your vote on {d.reference}",
                    f"The proposed decision on “{d.display_title}” waits for the votes of "
                    f"the {committee_name(policy)}: vote, or record the decision of the "
                    "committee's meeting.",
                    "committee.proposal",
                    dossier_id=d.id,
                ),
                "committee_vote",
            )


# -- the report ---------------------------------------------------------------------------
def deciding_body_summary(decision: Decision, internal: bool = False) -> dict[str, Any]:
    """Who decided, for the report: ``{"name", "kind": "committee"|"officer",
    "meeting_date", "votes": {"agree", "disagree", "abstain"} or None}``; the internal
    variant adds ``members`` (name and vote of each member who voted)."""
    proposal = decision.proposal
    summary: dict[str, Any] = {
        "name": decision.deciding_body or OFFICER_BODY,
        "kind": "committee" if proposal is not None else "officer",
        "meeting_date": decision.meeting_date,
        "votes": proposal.tally() if proposal is not None else None,
    }
    if internal:
        votes = proposal.votes if proposal is not None else []
        summary["members"] = [{"name": v.member.name, "vote": v.vote.label} for v in votes]
    return summary
