"""Reviewer pool, review policy, versioned rubric, rounds, assignments, reviews, moderation."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qa_portal.accounts.models import Organisation, User
from qa_portal.core.models import Base, enum_column, utcnow
from qa_portal.dossiers.models import Dossier, DossierVersion
from qa_portal.reviews.defaults import DEFAULT_POLICY


class ReviewerProfile(Base):
    __tablename__ = "reviewer_profile"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    bio: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    isced_codes: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)
    keywords: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)
    updated_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)

    user: Mapped[User] = relationship()
    affiliations: Mapped[list[ReviewerAffiliation]] = relationship(
        back_populates="profile",
        cascade="all, delete-orphan",
        order_by="ReviewerAffiliation.start_date",
    )


class ReviewerAffiliation(Base):
    """Where the reviewer worked or studied, with dates (for the 3-year conflict rule)."""

    __tablename__ = "reviewer_affiliation"

    id: Mapped[int] = mapped_column(primary_key=True)
    profile_id: Mapped[int] = mapped_column(
        sa.ForeignKey("reviewer_profile.id", ondelete="CASCADE"), nullable=False, index=True
    )
    organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisation.id"), nullable=True, index=True
    )
    organisation_name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    role: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    start_date: Mapped[date] = mapped_column(nullable=False)
    end_date: Mapped[date | None] = mapped_column(nullable=True)

    profile: Mapped[ReviewerProfile] = relationship(back_populates="affiliations")
    organisation: Mapped[Organisation | None] = relationship()


# -- policy and rubric --------------------------------------------------------------------
class ReviewPolicy(Base):
    """Settings the QA admin controls (one row, inserted by migration 0007 with the values of
    ``reviews/defaults.py``; every change audited)."""

    __tablename__ = "review_policy"

    id: Mapped[int] = mapped_column(primary_key=True)
    reviewers_per_dossier: Mapped[int] = mapped_column(
        nullable=False, default=DEFAULT_POLICY["reviewers_per_dossier"]
    )
    response_days: Mapped[int] = mapped_column(
        nullable=False, default=DEFAULT_POLICY["response_days"]
    )
    review_days: Mapped[int] = mapped_column(nullable=False, default=DEFAULT_POLICY["review_days"])
    reminder_days: Mapped[int] = mapped_column(
        nullable=False, default=DEFAULT_POLICY["reminder_days"]
    )
    validity_years: Mapped[int] = mapped_column(
        nullable=False, default=DEFAULT_POLICY["validity_years"]
    )
    condition_days: Mapped[int] = mapped_column(
        nullable=False, default=DEFAULT_POLICY["condition_days"]
    )
    appeal_days: Mapped[int] = mapped_column(nullable=False, default=DEFAULT_POLICY["appeal_days"])
    renewal_notice_days: Mapped[int] = mapped_column(
        nullable=False, default=DEFAULT_POLICY["renewal_notice_days"]
    )
    # [slot: panel composition and site visit]
    # [end: panel composition and site visit]
    # [slot: findings and factual accuracy]
    # [end: findings and factual accuracy]
    # [slot: decision committee]
    # [end: decision committee]
    # [slot: publication and methodology]
    # [end: publication and methodology]
    # [slot: complaints and appeals committee]
    complaint_ack_days: Mapped[int] = mapped_column(
        nullable=False, default=DEFAULT_POLICY["complaint_ack_days"]
    )
    complaint_days: Mapped[int] = mapped_column(
        nullable=False, default=DEFAULT_POLICY["complaint_days"]
    )
    appeals_committee_size: Mapped[int] = mapped_column(
        nullable=False, default=DEFAULT_POLICY["appeals_committee_size"]
    )
    # [end: complaints and appeals committee]
    # [slot: condition follow-up]
    # [end: condition follow-up]
    updated_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)


class RubricVersion(Base):
    __tablename__ = "rubric_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(nullable=False, unique=True)
    created_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id"), nullable=True
    )
    note: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")

    criteria: Mapped[list[RubricCriterion]] = relationship(
        back_populates="rubric",
        order_by="RubricCriterion.position",
        cascade="all, delete-orphan",
    )
    created_by: Mapped[User | None] = relationship()


class RubricCriterion(Base):
    __tablename__ = "rubric_criterion"

    id: Mapped[int] = mapped_column(primary_key=True)
    rubric_id: Mapped[int] = mapped_column(
        sa.ForeignKey("rubric_version.id", ondelete="CASCADE"), nullable=False, index=True
    )
    position: Mapped[int] = mapped_column(nullable=False)
    title: Mapped[str] = mapped_column(sa.String(300), nullable=False)
    guidance: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    weight: Mapped[float] = mapped_column(
        sa.Numeric(4, 2, asdecimal=False), nullable=False, default=1.0
    )

    rubric: Mapped[RubricVersion] = relationship(back_populates="criteria")

    __table_args__ = (sa.UniqueConstraint("rubric_id", "position"),)


# -- rounds, assignments, reviews ---------------------------------------------------------
class ReviewRound(Base):
    """One round of review of one submitted version (round n+1 after revise and resubmit)."""

    __tablename__ = "review_round"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(
        sa.ForeignKey("dossier.id", ondelete="CASCADE"), nullable=False, index=True
    )
    number: Mapped[int] = mapped_column(nullable=False)
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("dossier_version.id"), nullable=False)
    rubric_id: Mapped[int | None] = mapped_column(sa.ForeignKey("rubric_version.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)
    opened_at: Mapped[datetime | None] = mapped_column(nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(nullable=True)

    dossier: Mapped[Dossier] = relationship(back_populates="rounds")
    version: Mapped[DossierVersion] = relationship()
    rubric: Mapped[RubricVersion | None] = relationship()
    assignments: Mapped[list[ReviewAssignment]] = relationship(
        back_populates="round",
        order_by="ReviewAssignment.reviewer_number",
    )
    moderation_notes: Mapped[list[ModerationNote]] = relationship(
        back_populates="round",
        order_by="ModerationNote.created_at",
    )

    __table_args__ = (sa.UniqueConstraint("dossier_id", "number"),)


class AssignmentState(enum.StrEnum):
    INVITED = "invited"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    SUBMITTED = "submitted"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class ReviewAssignment(Base):
    __tablename__ = "review_assignment"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(
        sa.ForeignKey("review_round.id", ondelete="CASCADE"), nullable=False, index=True
    )
    reviewer_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id"), nullable=False, index=True
    )
    # "Reviewer 1", "Reviewer 2"…: stable for one reviewer across the rounds of a dossier.
    reviewer_number: Mapped[int] = mapped_column(nullable=False)
    state: Mapped[AssignmentState] = mapped_column(
        enum_column(AssignmentState),
        nullable=False,
        default=AssignmentState.INVITED,
        index=True,
    )
    invited_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)
    invited_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id"), nullable=True
    )
    response_due: Mapped[date] = mapped_column(nullable=False)
    review_due: Mapped[date] = mapped_column(nullable=False)
    responded_at: Mapped[datetime | None] = mapped_column(nullable=True)
    decline_reason: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    conflict_declaration: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    submitted_at: Mapped[datetime | None] = mapped_column(nullable=True)

    round: Mapped[ReviewRound] = relationship(back_populates="assignments")
    reviewer: Mapped[User] = relationship(foreign_keys=[reviewer_id])
    invited_by: Mapped[User | None] = relationship(foreign_keys=[invited_by_id])
    review: Mapped[Review | None] = relationship(back_populates="assignment", uselist=False)

    __table_args__ = (
        sa.UniqueConstraint("round_id", "reviewer_id"),
        sa.UniqueConstraint("round_id", "reviewer_number"),
    )

    @property
    def alias(self) -> str:
        return f"Reviewer {self.reviewer_number}"

    @property
    def is_open(self) -> bool:
        return self.state in (AssignmentState.INVITED, AssignmentState.ACCEPTED)

    @property
    def has_ended(self) -> bool:
        """Declined, expired or cancelled: the reviewer no longer sees the dossier."""
        return self.state in (
            AssignmentState.DECLINED,
            AssignmentState.EXPIRED,
            AssignmentState.CANCELLED,
        )

    @property
    def is_on_panel(self) -> bool:
        """Accepted (or reviewed): the reviewer reads the whole dossier and its files."""
        return self.state in (AssignmentState.ACCEPTED, AssignmentState.SUBMITTED)

    def is_answer_overdue(self, today: date) -> bool:
        """Invited, and the date to accept or decline has passed."""
        return self.state == AssignmentState.INVITED and self.response_due < today

    def is_review_overdue(self, today: date) -> bool:
        """Accepted, the review has opened, and its due date has passed."""
        return (
            self.state == AssignmentState.ACCEPTED
            and self.round.rubric_id is not None
            and self.review_due < today
        )


class Recommendation(enum.StrEnum):
    APPROVE = "approve"
    APPROVE_WITH_CONDITIONS = "approve_with_conditions"
    REVISE_AND_RESUBMIT = "revise_and_resubmit"
    REJECT = "reject"


class Review(Base):
    __tablename__ = "review"

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("review_assignment.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    recommendation: Mapped[Recommendation | None] = mapped_column(
        enum_column(Recommendation), nullable=True
    )
    comments_to_provider: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    confidential_comments: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)
    lock_version: Mapped[int] = mapped_column(nullable=False, default=1)

    assignment: Mapped[ReviewAssignment] = relationship(back_populates="review")
    scores: Mapped[list[CriterionScore]] = relationship(
        back_populates="review",
        cascade="all, delete-orphan",
    )

    __mapper_args__ = {"version_id_col": lock_version}


class CriterionScore(Base):
    __tablename__ = "criterion_score"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(
        sa.ForeignKey("review.id", ondelete="CASCADE"), nullable=False, index=True
    )
    criterion_id: Mapped[int] = mapped_column(sa.ForeignKey("rubric_criterion.id"), nullable=False)
    score: Mapped[int | None] = mapped_column(nullable=True)
    comment: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")

    review: Mapped[Review] = relationship(back_populates="scores")
    criterion: Mapped[RubricCriterion] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("review_id", "criterion_id"),
        sa.CheckConstraint("score IS NULL OR (score >= 1 AND score <= 4)", name="score_range"),
    )


class ModerationNote(Base):
    """The officer's note on a criterion (required when scores diverge) or on the round."""

    __tablename__ = "moderation_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(
        sa.ForeignKey("review_round.id", ondelete="CASCADE"), nullable=False, index=True
    )
    criterion_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("rubric_criterion.id"), nullable=True
    )
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), nullable=False)
    text: Mapped[str] = mapped_column(sa.Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)

    round: Mapped[ReviewRound] = relationship(back_populates="moderation_notes")
    criterion: Mapped[RubricCriterion | None] = relationship()
    author: Mapped[User] = relationship()


# [slot: panel composition and site visit]
# [end: panel composition and site visit]
# [slot: findings and factual accuracy]
# [end: findings and factual accuracy]
# [slot: decision committee]
# [end: decision committee]
# [slot: publication and methodology]
# [end: publication and methodology]
# [slot: complaints and appeals committee]
# [end: complaints and appeals committee]
# [slot: condition follow-up]
# [end: condition follow-up]
