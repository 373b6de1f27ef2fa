"""Decisions on review rounds, the conditions attached to them, and appeals."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from qa_portal.accounts.models import User
from qa_portal.core.models import Base, LabelledEnum, enum_column, utcnow
from qa_portal.dossiers.models import Dossier
from qa_portal.reviews.models import ReviewRound


class Outcome(enum.StrEnum):
    APPROVED = "approved"
    APPROVED_WITH_CONDITIONS = "approved_with_conditions"
    REVISE_AND_RESUBMIT = "revise_and_resubmit"
    REJECTED = "rejected"
    DESK_REJECTED = "desk_rejected"

    @property
    def label(self) -> str:
        return {
            "approved": "Approved",
            "approved_with_conditions": "Approved with conditions",
            "revise_and_resubmit": "Revise and resubmit",
            "rejected": "Rejected",
            "desk_rejected": "Desk-rejected",
        }[self.value]

    @property
    def is_approval(self) -> bool:
        return self in (Outcome.APPROVED, Outcome.APPROVED_WITH_CONDITIONS)

    @property
    def is_appealable(self) -> bool:
        return self in (
            Outcome.REJECTED,
            Outcome.DESK_REJECTED,
            Outcome.REVISE_AND_RESUBMIT,
            Outcome.APPROVED_WITH_CONDITIONS,  # against its conditions (ESG 2.7)
        )


# The deciding body recorded on a decision taken by a single QA officer.
OFFICER_BODY = "QA officer"


class Decision(Base):
    __tablename__ = "decision"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(
        sa.ForeignKey("dossier.id", ondelete="CASCADE"), nullable=False, index=True
    )
    round_id: Mapped[int] = mapped_column(
        sa.ForeignKey("review_round.id", ondelete="CASCADE"), nullable=False, index=True
    )
    outcome: Mapped[Outcome] = mapped_column(enum_column(Outcome), nullable=False)
    rationale: Mapped[str] = mapped_column(sa.Text, nullable=False)
    decided_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), nullable=False)
    decided_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)
    valid_from: Mapped[date | None] = mapped_column(nullable=True)
    valid_until: Mapped[date | None] = mapped_column(nullable=True)
    appeal_deadline: Mapped[date | None] = mapped_column(nullable=True)
    # A decision overturned on appeal is superseded by the next one on the same round.
    superseded_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # Who decided: "QA officer", or the committee's name at the time (migration 0015), the
    # date of the committee's meeting if it met, and the proposal it decided.
    deciding_body: Mapped[str] = mapped_column(sa.String(200), nullable=False, default=OFFICER_BODY)
    meeting_date: Mapped[date | None] = mapped_column(nullable=True)
    proposal_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("decision_proposal.id", ondelete="SET NULL"), nullable=True, index=True
    )

    dossier: Mapped[Dossier] = relationship()
    round: Mapped[ReviewRound] = relationship()
    decided_by: Mapped[User] = relationship()
    conditions: Mapped[list[Condition]] = relationship(
        back_populates="decision", order_by="Condition.position", cascade="all, delete-orphan"
    )
    appeals: Mapped[list[Appeal]] = relationship(
        back_populates="decision", order_by="Appeal.lodged_at"
    )
    proposal: Mapped[DecisionProposal | None] = relationship(back_populates="decision")

    @property
    def by_committee(self) -> bool:
        return self.proposal_id is not None

    __table_args__ = (
        sa.CheckConstraint(
            "outcome NOT IN ('approved', 'approved_with_conditions') "
            "OR (valid_from IS NOT NULL AND valid_until IS NOT NULL)",
            name="approval_has_validity",
        ),
    )


class ConditionState(LabelledEnum):
    OPEN = "open"
    EVIDENCE_SUBMITTED = "evidence_submitted"
    MET = "met"
    NOT_MET = "not_met"


class Condition(Base):
    __tablename__ = "condition"

    id: Mapped[int] = mapped_column(primary_key=True)
    decision_id: Mapped[int] = mapped_column(
        sa.ForeignKey("decision.id", ondelete="CASCADE"), nullable=False, index=True
    )
    position: Mapped[int] = mapped_column(nullable=False, default=0)
    text: Mapped[str] = mapped_column(sa.Text, nullable=False)
    due_date: Mapped[date] = mapped_column(nullable=False)
    state: Mapped[ConditionState] = mapped_column(
        enum_column(ConditionState), nullable=False, default=ConditionState.OPEN, index=True
    )
    evidence_note: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    evidence_submitted_at: Mapped[datetime | None] = mapped_column(nullable=True)
    verified_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id"), nullable=True
    )
    verified_at: Mapped[datetime | None] = mapped_column(nullable=True)
    verification_note: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")

    decision: Mapped[Decision] = relationship(back_populates="conditions")
    verified_by: Mapped[User | None] = relationship()
    files: Mapped[list[ConditionFile]] = relationship(
        back_populates="condition", order_by="ConditionFile.id", cascade="all, delete-orphan"
    )

    def is_overdue(self, today: date) -> bool:
        return self.state == ConditionState.OPEN and self.due_date < today


class ConditionFile(Base):
    """Evidence a provider uploads for one condition (PDF, stored like dossier evidence)."""

    __tablename__ = "condition_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    condition_id: Mapped[int] = mapped_column(
        sa.ForeignKey("condition.id", ondelete="CASCADE"), nullable=False, index=True
    )
    original_name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    stored_name: Mapped[str] = mapped_column(sa.String(64), nullable=False, unique=True)
    sha256: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    size: Mapped[int] = mapped_column(nullable=False)
    uploaded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id"), nullable=True
    )
    uploaded_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)

    condition: Mapped[Condition] = relationship(back_populates="files")


class AppealState(LabelledEnum):
    LODGED = "lodged"
    UPHELD = "upheld"
    OVERTURNED = "overturned"


class Appeal(Base):
    __tablename__ = "appeal"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(
        sa.ForeignKey("dossier.id", ondelete="CASCADE"), nullable=False, index=True
    )
    decision_id: Mapped[int] = mapped_column(
        sa.ForeignKey("decision.id", ondelete="CASCADE"), nullable=False, index=True
    )
    state: Mapped[AppealState] = mapped_column(
        enum_column(AppealState), nullable=False, default=AppealState.LODGED, index=True
    )
    grounds: Mapped[str] = mapped_column(sa.Text, nullable=False)
    lodged_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), nullable=False)
    lodged_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)
    handled_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id"), nullable=True
    )
    decided_at: Mapped[datetime | None] = mapped_column(nullable=True)
    rationale: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")

    dossier: Mapped[Dossier] = relationship()
    decision: Mapped[Decision] = relationship(back_populates="appeals")
    lodged_by: Mapped[User] = relationship(foreign_keys=[lodged_by_id])
    handled_by: Mapped[User | None] = relationship(foreign_keys=[handled_by_id])


class FactualCheckState(enum.StrEnum):
    SENT = "sent"
    COMMENTED = "commented"
    EXPIRED = "expired"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return {
            "sent": "Draft sent, waiting for the provider",
            "commented": "Provider answered",
            "expired": "Period passed without an answer",
            "closed": "Closed",
        }[self.value]


class FactualCheck(Base):
    """The provider's check of the draft report for errors of fact (ESG 2.6), one per
    round: sent with a due date, answered by the provider (points, an optional statement,
    or "no errors of fact") or expired, closed by the officer once every point is answered
    (``decisions/factual_accuracy.py``)."""

    __tablename__ = "factual_check"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(
        sa.ForeignKey("dossier.id", ondelete="CASCADE"), nullable=False, index=True
    )
    round_id: Mapped[int] = mapped_column(
        sa.ForeignKey("review_round.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    state: Mapped[FactualCheckState] = mapped_column(
        enum_column(FactualCheckState),
        nullable=False,
        default=FactualCheckState.SENT,
        index=True,
    )
    sent_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), nullable=False)
    sent_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)
    due_date: Mapped[date] = mapped_column(nullable=False)
    statement: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    no_errors: Mapped[bool] = mapped_column(nullable=False, default=False)
    commented_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id"), nullable=True
    )
    commented_at: Mapped[datetime | None] = mapped_column(nullable=True)
    closed_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id"), nullable=True
    )
    closed_at: Mapped[datetime | None] = mapped_column(nullable=True)

    dossier: Mapped[Dossier] = relationship()
    round: Mapped[ReviewRound] = relationship()
    sent_by: Mapped[User] = relationship(foreign_keys=[sent_by_id])
    commented_by: Mapped[User | None] = relationship(foreign_keys=[commented_by_id])
    closed_by: Mapped[User | None] = relationship(foreign_keys=[closed_by_id])
    points: Mapped[list[FactualPoint]] = relationship(
        back_populates="check", order_by="FactualPoint.position", cascade="all, delete-orphan"
    )

    def is_overdue(self, today: date) -> bool:
        return self.state == FactualCheckState.SENT and self.due_date < today

    @property
    def awaits_provider(self) -> bool:
        """Sent, not answered yet (the provider may comment until the due date)."""
        return self.state == FactualCheckState.SENT

    @property
    def awaits_officer(self) -> bool:
        """Answered or expired: the officer answers the points and closes the check."""
        return self.state in (FactualCheckState.COMMENTED, FactualCheckState.EXPIRED)

    @property
    def unanswered(self) -> list[FactualPoint]:
        return [p for p in self.points if p.accepted is None]


class FactualPoint(Base):
    """One error of fact the provider points out, and the officer's answer: accepted
    (with the correction made) or not accepted (with the reason)."""

    __tablename__ = "factual_point"

    id: Mapped[int] = mapped_column(primary_key=True)
    check_id: Mapped[int] = mapped_column(
        sa.ForeignKey("factual_check.id", ondelete="CASCADE"), nullable=False, index=True
    )
    position: Mapped[int] = mapped_column(nullable=False)
    location: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    text: Mapped[str] = mapped_column(sa.Text, nullable=False)
    accepted: Mapped[bool | None] = mapped_column(nullable=True)
    answer: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    answered_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id"), nullable=True
    )
    answered_at: Mapped[datetime | None] = mapped_column(nullable=True)

    check: Mapped[FactualCheck] = relationship(back_populates="points")
    answered_by: Mapped[User | None] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("check_id", "position"),
        sa.CheckConstraint(
            "accepted IS NULL OR (answered_at IS NOT NULL AND answer <> '')",
            name="answered_with_text",
        ),
    )


class ProposalState(LabelledEnum):
    OPEN = "open"
    DECIDED = "decided"
    WITHDRAWN = "withdrawn"


class VoteChoice(LabelledEnum):
    AGREE = "agree"
    DISAGREE = "disagree"
    ABSTAIN = "abstain"


class DecisionProposal(Base):
    """The officer's proposal of a decision, put to the decision committee (migration 0015).
    ``conditions``: ``[{"text", "due_date" (ISO date)}]``, checked when proposed."""

    __tablename__ = "decision_proposal"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(
        sa.ForeignKey("dossier.id", ondelete="CASCADE"), nullable=False, index=True
    )
    round_id: Mapped[int] = mapped_column(
        sa.ForeignKey("review_round.id", ondelete="CASCADE"), nullable=False, index=True
    )
    outcome: Mapped[Outcome] = mapped_column(enum_column(Outcome), nullable=False)
    rationale: Mapped[str] = mapped_column(sa.Text, nullable=False)
    conditions: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)
    validity_years: Mapped[int | None] = mapped_column(nullable=True)
    proposed_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), nullable=False)
    proposed_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)
    state: Mapped[ProposalState] = mapped_column(
        enum_column(ProposalState), nullable=False, default=ProposalState.OPEN, index=True
    )
    closed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    withdrawal_note: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")

    dossier: Mapped[Dossier] = relationship()
    round: Mapped[ReviewRound] = relationship()
    proposed_by: Mapped[User] = relationship()
    votes: Mapped[list[CommitteeVote]] = relationship(
        back_populates="proposal",
        order_by="CommitteeVote.voted_at, CommitteeVote.id",
        cascade="all, delete-orphan",
    )
    decision: Mapped[Decision | None] = relationship(back_populates="proposal")

    __table_args__ = (
        # one open proposal per dossier at a time
        sa.Index(
            "uq_decision_proposal_open",
            "dossier_id",
            unique=True,
            sqlite_where=sa.text("state = 'open'"),
            postgresql_where=sa.text("state = 'open'"),
        ),
    )

    def tally(self) -> dict[str, int]:
        counts = {choice.value: 0 for choice in VoteChoice}
        for vote in self.votes:
            counts[vote.vote.value] += 1
        return counts

    def vote_of(self, user: User) -> CommitteeVote | None:
        return next((v for v in self.votes if v.member_id == user.id), None)


class CommitteeVote(Base):
    """One committee member's vote on a proposal (one per member)."""

    __tablename__ = "committee_vote"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(
        sa.ForeignKey("decision_proposal.id", ondelete="CASCADE"), nullable=False, index=True
    )
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), nullable=False)
    vote: Mapped[VoteChoice] = mapped_column(enum_column(VoteChoice), nullable=False)
    comment: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    voted_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)

    proposal: Mapped[DecisionProposal] = relationship(back_populates="votes")
    member: Mapped[User] = relationship()

    __table_args__ = (sa.UniqueConstraint("proposal_id", "member_id"),)


# ESG 2.7: the appeals committee's hearing of an appeal, and complaints (about conduct or
# process), a procedure separate from appeals.
appeal_hearing_member = sa.Table(
    "appeal_hearing_member",
    Base.metadata,
    sa.Column(
        "hearing_id",
        sa.ForeignKey("appeal_hearing.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("user_id", sa.ForeignKey("user_account.id"), primary_key=True),
)


class AppealHearing(Base):
    """Who of the appeals committee decided an appeal, and when they met (one per appeal)."""

    __tablename__ = "appeal_hearing"

    id: Mapped[int] = mapped_column(primary_key=True)
    appeal_id: Mapped[int] = mapped_column(
        sa.ForeignKey("appeal.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    meeting_date: Mapped[date] = mapped_column(nullable=False)
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)

    appeal: Mapped[Appeal] = relationship(
        backref=backref("hearing", uselist=False, cascade="all, delete-orphan")
    )
    recorded_by: Mapped[User] = relationship()
    members: Mapped[list[User]] = relationship(
        secondary=appeal_hearing_member, order_by="User.name"
    )


class ComplaintCategory(enum.StrEnum):
    CONDUCT = "conduct"
    PROCESS = "process"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {"conduct": "Conduct", "process": "Process", "other": "Other"}[self.value]


class ComplaintState(LabelledEnum):
    LODGED = "lodged"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    WITHDRAWN = "withdrawn"


class ComplaintOutcome(LabelledEnum):
    UPHELD = "upheld"
    PARTLY_UPHELD = "partly_upheld"
    NOT_UPHELD = "not_upheld"


class Complaint(Base):
    """A complaint about conduct or process, by anyone signed in; handled by a QA admin who
    is neither its subject nor the complainant."""

    __tablename__ = "complaint"

    id: Mapped[int] = mapped_column(primary_key=True)
    category: Mapped[ComplaintCategory] = mapped_column(
        enum_column(ComplaintCategory), nullable=False
    )
    state: Mapped[ComplaintState] = mapped_column(
        enum_column(ComplaintState), nullable=False, default=ComplaintState.LODGED, index=True
    )
    text: Mapped[str] = mapped_column(sa.Text, nullable=False)
    complainant_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id"), nullable=False, index=True
    )
    dossier_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("dossier.id", ondelete="SET NULL"), nullable=True, index=True
    )
    subject_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"), nullable=True)
    lodged_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)
    ack_due: Mapped[date] = mapped_column(nullable=False)
    resolution_due: Mapped[date] = mapped_column(nullable=False)
    handler_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"), nullable=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(nullable=True)
    outcome: Mapped[ComplaintOutcome | None] = mapped_column(
        enum_column(ComplaintOutcome), nullable=True
    )
    response: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    resolved_at: Mapped[datetime | None] = mapped_column(nullable=True)
    withdrawn_at: Mapped[datetime | None] = mapped_column(nullable=True)
    attachment_name: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    attachment_stored_name: Mapped[str | None] = mapped_column(
        sa.String(64), nullable=True, unique=True
    )
    attachment_sha256: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    attachment_size: Mapped[int | None] = mapped_column(nullable=True)

    complainant: Mapped[User] = relationship(foreign_keys=[complainant_id])
    subject: Mapped[User | None] = relationship(foreign_keys=[subject_id])
    handler: Mapped[User | None] = relationship(foreign_keys=[handler_id])
    dossier: Mapped[Dossier | None] = relationship()

    __table_args__ = (
        sa.CheckConstraint(
            "state != 'resolved' OR (outcome IS NOT NULL AND handler_id IS NOT NULL)",
            name="resolved_has_outcome",
        ),
    )

    @property
    def due(self) -> date | None:
        """The next due date: acknowledgement while lodged, resolution while acknowledged."""
        if self.state == ComplaintState.LODGED:
            return self.ack_due
        if self.state == ComplaintState.ACKNOWLEDGED:
            return self.resolution_due
        return None

    def is_overdue(self, today: date) -> bool:
        return self.due is not None and self.due < today


class FollowUpAction(enum.StrEnum):
    """The QA body's answer to a condition not met (ESG 2.3, follow-up)."""

    EXTEND = "extend"
    WITHDRAW = "withdraw"

    @property
    def label(self) -> str:
        return {"extend": "Condition extended", "withdraw": "Approval withdrawn"}[self.value]


class ConditionFollowUp(Base):
    """One follow-up decision of the QA body on a condition marked not met: a new due date
    (the condition is open again) or the withdrawal of the approval. Never changed."""

    __tablename__ = "condition_follow_up"

    id: Mapped[int] = mapped_column(primary_key=True)
    condition_id: Mapped[int] = mapped_column(
        sa.ForeignKey("condition.id", ondelete="CASCADE"), nullable=False, index=True
    )
    action: Mapped[FollowUpAction] = mapped_column(enum_column(FollowUpAction), nullable=False)
    reason: Mapped[str] = mapped_column(sa.Text, nullable=False)
    previous_due_date: Mapped[date] = mapped_column(nullable=False)
    new_due_date: Mapped[date | None] = mapped_column(nullable=True)
    decided_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), nullable=False)
    decided_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)

    condition: Mapped[Condition] = relationship()
    decided_by: Mapped[User] = relationship()

    __table_args__ = (
        sa.CheckConstraint(
            "(action = 'extend') = (new_due_date IS NOT NULL)", name="extension_has_due_date"
        ),
    )
