"""The appeals committee (ESG 2.7): who may decide an appeal, and with whom.

Rules enforced here: the person who records an appeal decision holds the appeals-committee
role; the committee members who took part (the recorder among them) are at least the review
policy's ``appeals_committee_size``, all active appeals-committee members, and none of them
had a part in the decision under appeal (``had_part_in``). The meeting date is not in the
future and not before the appeal was lodged.

What happens to a listing while an appeal against "approved with conditions" is heard: the
approval stands (the dossier is "under appeal" but its decision is in force), so the listing
stays published and valid; upheld → the dossier is back to "approved with conditions" and
nothing changes for the listing; overturned → the decision is superseded and the dossier
waits for a new decision by another officer, the listing staying as it is until that new
decision is published (or, if it is not an approval, until the QA body revokes it).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import sqlalchemy as sa

from qa_portal.accounts.models import AccountStatus, Role, User, UserRole
from qa_portal.core import clock
from qa_portal.core.errors import InvalidInput, NotPermitted
from qa_portal.decisions.models import (
    Appeal,
    AppealHearing,
    CommitteeVote,
    Decision,
    DecisionProposal,
)
from qa_portal.extensions import db
from qa_portal.reviews.models import AssignmentState, ReviewAssignment, ReviewRound
from qa_portal.reviews.policy import current_policy

# An invitation declined, expired or cancelled is no part in the decision.
NO_PART = (AssignmentState.DECLINED, AssignmentState.EXPIRED, AssignmentState.CANCELLED)


def had_part_in(user: User, decision: Decision) -> bool:
    """Did ``user`` take part in ``decision``: its decider, the dossier's case officer, a
    reviewer on any of the dossier's rounds, a member of the provider organisation, or (for a
    decision of the decision committee) the officer who proposed it or a member who voted?"""
    dossier = decision.dossier
    if user.id in (decision.decided_by_id, dossier.case_officer_id):
        return True
    if decision.proposal_id is not None and _in_the_committee_decision(user, decision):
        return True
    if dossier.is_member(user):
        return True
    reviewed = db.session.execute(
        sa.select(ReviewAssignment.id)
        .join(ReviewRound, ReviewRound.id == ReviewAssignment.round_id)
        .where(
            ReviewRound.dossier_id == dossier.id,
            ReviewAssignment.reviewer_id == user.id,
            ReviewAssignment.state.not_in(NO_PART),
        )
        .limit(1)
    ).first()
    return reviewed is not None


def _in_the_committee_decision(user: User, decision: Decision) -> bool:
    proposal = db.session.get(DecisionProposal, decision.proposal_id)
    if proposal.proposed_by_id == user.id:
        return True
    voted = db.session.execute(
        sa.select(CommitteeVote.id).where(
            CommitteeVote.proposal_id == proposal.id, CommitteeVote.member_id == user.id
        )
    ).first()
    return voted is not None


def committee_members() -> list[User]:
    """Every active member of the appeals committee, by name."""
    return list(
        db.session.execute(
            sa.select(User)
            .join(UserRole)
            .where(UserRole.role == Role.APPEALS_COMMITTEE, User.status == AccountStatus.ACTIVE)
            .order_by(User.name, User.id)
        ).scalars()
    )


def eligible_members(decision: Decision) -> list[User]:
    """The committee members who may hear an appeal against ``decision``."""
    return [u for u in committee_members() if not had_part_in(u, decision)]


def check_recorder(actor: User, decision: Decision) -> None:
    """Only an appeals-committee member without a part in the decision records the
    committee's decision (QA officers no longer decide appeals)."""
    if not actor.has_role(Role.APPEALS_COMMITTEE):
        raise NotPermitted("Only members of the appeals committee decide appeals.")
    if had_part_in(actor, decision):
        raise NotPermitted(
            "You had a part in the decision under appeal; another member of the appeals "
            "committee must decide the appeal."
        )


def hearing_for(
    actor: User,
    appeal: Appeal,
    members: Iterable[User] | None,
    meeting_date: date | None,
) -> AppealHearing:
    """The hearing record (not yet added to the session), once every member is checked."""
    decision = appeal.decision
    check_recorder(actor, decision)
    chosen = {u.id: u for u in (members or [])}
    chosen.setdefault(actor.id, actor)
    for user in chosen.values():
        if not user.has_role(Role.APPEALS_COMMITTEE) or user.status != AccountStatus.ACTIVE:
            raise InvalidInput(f"{user.name} is not a member of the appeals committee.")
        if had_part_in(user, decision):
            raise InvalidInput(
                f"{user.name} had a part in the decision under appeal and may not hear it."
            )
    needed = current_policy().appeals_committee_size
    if len(chosen) < needed:
        raise InvalidInput(
            f"At least {needed} members of the appeals committee must decide an appeal."
        )
    meeting_date = meeting_date or clock.today()
    if meeting_date > clock.today():
        raise InvalidInput("The meeting date cannot be in the future.")
    if meeting_date < appeal.lodged_at.date():
        raise InvalidInput("The committee cannot have met before the appeal was lodged.")
    return AppealHearing(
        appeal_id=appeal.id,
        meeting_date=meeting_date,
        recorded_by=actor,
        members=sorted(chosen.values(), key=lambda u: (u.name, u.id)),
    )


def appeals_to_decide(user: User) -> list[Appeal]:
    """Lodged appeals this committee member may hear (oldest first)."""
    rows = db.session.execute(
        sa.select(Appeal).where(Appeal.state == "lodged").order_by(Appeal.lodged_at, Appeal.id)
    ).scalars()
    return [a for a in rows if not had_part_in(user, a.decision)]


def decided_appeals(limit: int = 50) -> list[Appeal]:
    """The most recently decided appeals (for the committee's list)."""
    return list(
        db.session.execute(
            sa.select(Appeal)
            .where(Appeal.state != "lodged")
            .order_by(Appeal.decided_at.desc(), Appeal.id.desc())
            .limit(limit)
        ).scalars()
    )
