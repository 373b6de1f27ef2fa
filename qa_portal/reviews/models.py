"""Reviewer pool, review policy, versioned rubric, rounds, assignments, reviews, moderation."""

from __future__ import annotations

import enum
import json
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qa_portal.accounts.models import Organisation, User
from qa_portal.core.models import Base, LabelledEnum, enum_column, utcnow
from qa_portal.dossiers.models import Dossier, DossierVersion
from qa_portal.reviews.defaults import DEFAULT_POLICY, PUBLISHED_OUTCOMES
from qa_portal.reviews.panel_enums import (
    PanelDisclosure,
    PanelRole,
    SiteVisitMode,
    SiteVisitPolicy,
    SiteVisitState,
)


class ReviewerProfile(Base):
    __tablename__ = "reviewer_profile"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    bio: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    isced_codes: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)
    keywords: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)
    # the panel member types of the review policy this reviewer counts as (keys)
    member_types: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)
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
    # JSON text (``reviews/panel_policy.py`` reads and writes it): [{key, label}], {key: n}
    panel_member_types: Mapped[str] = mapped_column(
        sa.Text, nullable=False, default=DEFAULT_POLICY["panel_member_types"]
    )
    panel_required_counts: Mapped[str] = mapped_column(
        sa.Text, nullable=False, default=DEFAULT_POLICY["panel_required_counts"]
    )
    panel_chair_required: Mapped[bool] = mapped_column(
        nullable=False, default=DEFAULT_POLICY["panel_chair_required"]
    )
    panel_secretary_used: Mapped[bool] = mapped_column(
        nullable=False, default=DEFAULT_POLICY["panel_secretary_used"]
    )
    panel_disclosure: Mapped[PanelDisclosure] = mapped_column(
        enum_column(PanelDisclosure),
        nullable=False,
        default=PanelDisclosure(DEFAULT_POLICY["panel_disclosure"]),
    )
    site_visit: Mapped[SiteVisitPolicy] = mapped_column(
        enum_column(SiteVisitPolicy),
        nullable=False,
        default=SiteVisitPolicy(DEFAULT_POLICY["site_visit"]),
    )

    @property
    def member_types(self) -> list[dict[str, str]]:
        """The panel member types, [{"key", "label"}], in the admin's order."""
        return json.loads(self.panel_member_types or "[]")

    @property
    def required_counts(self) -> dict[str, int]:
        """Required members per type key (types not listed: none required)."""
        return json.loads(self.panel_required_counts or "{}")

    @property
    def discloses_panel_names(self) -> bool:
        """Does the public report name the panel's members?"""
        return self.panel_disclosure == PanelDisclosure.NAMES_ROLES_TYPES

    @property
    def requires_site_visit(self) -> bool:
        return self.site_visit == SiteVisitPolicy.REQUIRED

    @property
    def offers_site_visit(self) -> bool:
        """A site visit may be held (optional or required)."""
        return self.site_visit != SiteVisitPolicy.NONE

    @property
    def member_types_text(self) -> str:
        """The member types as the policy form shows them: "key = label", one per line."""
        return "\n".join(f"{t['key']} = {t['label']}" for t in self.member_types)

    @property
    def required_counts_text(self) -> str:
        """The required counts as the policy form shows them: "key = number", one per line."""
        counts = self.required_counts
        return "\n".join(f"{t['key']} = {counts.get(t['key'], 0)}" for t in self.member_types)

    # Days the provider has to point out errors of fact in the draft report (0: no step).
    factual_accuracy_days: Mapped[int] = mapped_column(
        nullable=False,
        default=DEFAULT_POLICY["factual_accuracy_days"],
        server_default=sa.text("0"),
    )
    # Who decides: "officer" (a QA officer alone) or "committee" (the officer proposes, the
    # decision committee decides; its name, and the votes needed, migration 0015).
    decision_body: Mapped[str] = mapped_column(
        sa.String(20), nullable=False, default=DEFAULT_POLICY["decision_body"]
    )
    committee_name: Mapped[str] = mapped_column(
        sa.String(200), nullable=False, default=DEFAULT_POLICY["committee_name"]
    )
    committee_quorum: Mapped[int] = mapped_column(
        nullable=False, default=DEFAULT_POLICY["committee_quorum"]
    )
    # The reviewed outcomes, besides approvals (published with their catalogue listing),
    # whose public report is published as soon as it is issued: Outcome values, comma
    # separated (reviews/methodology.py). A server default, not DEFAULT_POLICY: migration
    # 0007 writes every DEFAULT_POLICY key into a table that has no such column yet.
    published_outcomes: Mapped[str] = mapped_column(
        sa.String(200),
        nullable=False,
        default=PUBLISHED_OUTCOMES,
        server_default=PUBLISHED_OUTCOMES,
    )
    complaint_ack_days: Mapped[int] = mapped_column(
        nullable=False, default=DEFAULT_POLICY["complaint_ack_days"]
    )
    complaint_days: Mapped[int] = mapped_column(
        nullable=False, default=DEFAULT_POLICY["complaint_days"]
    )
    appeals_committee_size: Mapped[int] = mapped_column(
        nullable=False, default=DEFAULT_POLICY["appeals_committee_size"]
    )
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
    # the composition requirements when the review opened, as the report states them
    # ([{label, required, present, met}]; migration 0019)
    composition_rules: Mapped[list | None] = mapped_column(sa.JSON, nullable=True)

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


class AssignmentState(LabelledEnum):
    INVITED = "invited"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    SUBMITTED = "submitted"


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
    # chair, member or secretary (``reviews/panel_rules.py``: at most one chair per round)
    panel_role: Mapped[PanelRole] = mapped_column(
        enum_column(PanelRole), nullable=False, default=PanelRole.MEMBER
    )

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


class PanelException(Base):
    """The officer's justified exception to the panel-composition rules of a round: with
    one, the review opens although a requirement is unmet (the internal report shows it)."""

    __tablename__ = "panel_exception"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(
        sa.ForeignKey("review_round.id", ondelete="CASCADE"), nullable=False, index=True
    )
    justification: Mapped[str] = mapped_column(sa.Text, nullable=False)
    # the requirements unmet when it was recorded, as the officer saw them
    unmet: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)

    round: Mapped[ReviewRound] = relationship()
    recorded_by: Mapped[User] = relationship()


class SiteVisit(Base):
    """The site visit or interview of a round (one per round): scheduled, then held with
    its minutes (written and/or a PDF) and a summary for the report, or cancelled."""

    __tablename__ = "site_visit"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(
        sa.ForeignKey("review_round.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    state: Mapped[SiteVisitState] = mapped_column(
        enum_column(SiteVisitState), nullable=False, default=SiteVisitState.SCHEDULED, index=True
    )
    mode: Mapped[SiteVisitMode] = mapped_column(enum_column(SiteVisitMode), nullable=False)
    scheduled_for: Mapped[datetime] = mapped_column(nullable=False)
    location: Mapped[str] = mapped_column(sa.String(500), nullable=False, default="")
    participants: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    minutes: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    summary: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    cancel_reason: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    # the minutes as a PDF (``core/storage.py``; the file sweep knows ``stored_name``)
    original_name: Mapped[str | None] = mapped_column(sa.String(200), nullable=True)
    stored_name: Mapped[str | None] = mapped_column(sa.String(64), nullable=True, unique=True)
    sha256: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    size: Mapped[int | None] = mapped_column(nullable=True)
    scheduled_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), nullable=False)
    recorded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)
    recorded_at: Mapped[datetime | None] = mapped_column(nullable=True)

    round: Mapped[ReviewRound] = relationship()
    scheduled_by: Mapped[User] = relationship(foreign_keys=[scheduled_by_id])
    recorded_by: Mapped[User | None] = relationship(foreign_keys=[recorded_by_id])

    @property
    def has_minutes(self) -> bool:
        return bool(self.minutes.strip() or self.stored_name)

    @property
    def is_held(self) -> bool:
        return self.state == SiteVisitState.HELD

    @property
    def is_cancelled(self) -> bool:
        return self.state == SiteVisitState.CANCELLED

    @property
    def is_on_site(self) -> bool:
        return self.mode == SiteVisitMode.ON_SITE


class PanelFindings(Base):
    """The panel's findings on one round: per criterion a judgement and findings, overall
    strengths, advisory recommendations, proposed binding conditions and outcome (written
    by the case officer or the panel chair; ``reviews/findings.py``)."""

    __tablename__ = "panel_findings"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(
        sa.ForeignKey("review_round.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    summary: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    strengths: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    recommendations: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)
    conditions: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)
    proposed_outcome: Mapped[Recommendation | None] = mapped_column(
        enum_column(Recommendation), nullable=True
    )
    written_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)
    lock_version: Mapped[int] = mapped_column(nullable=False, default=1)

    round: Mapped[ReviewRound] = relationship()
    written_by: Mapped[User | None] = relationship()
    criteria: Mapped[list[CriterionFinding]] = relationship(
        back_populates="findings", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": lock_version}


class CriterionFinding(Base):
    """The panel's judgement (the rubric's 1–4 scale) and findings on one criterion."""

    __tablename__ = "criterion_finding"

    id: Mapped[int] = mapped_column(primary_key=True)
    findings_id: Mapped[int] = mapped_column(
        sa.ForeignKey("panel_findings.id", ondelete="CASCADE"), nullable=False, index=True
    )
    criterion_id: Mapped[int] = mapped_column(sa.ForeignKey("rubric_criterion.id"), nullable=False)
    judgement: Mapped[int | None] = mapped_column(nullable=True)
    text: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")

    findings: Mapped[PanelFindings] = relationship(back_populates="criteria")
    criterion: Mapped[RubricCriterion] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("findings_id", "criterion_id"),
        sa.CheckConstraint(
            "judgement IS NULL OR (judgement >= 1 AND judgement <= 4)", name="judgement_range"
        ),
    )


class MethodologyText(Base):
    """The agency's own wording of one part of its published methodology (the introduction
    to the review policy, the appeals and the complaints procedures) or one of its contact
    details for the reports (address, e-mail, phone): one row per key of
    ``reviews/methodology.py`` TEXTS, inserted by migration 0016, edited by the QA admin
    (every change audited)."""

    __tablename__ = "methodology_text"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(40), nullable=False, unique=True)
    body: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    updated_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id"), nullable=True
    )

    updated_by: Mapped[User | None] = relationship()
