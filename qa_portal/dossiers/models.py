"""The dossier (one microcredential put forward for review) and everything it holds."""

from __future__ import annotations

import enum
import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qa_portal.accounts.models import Organisation, User
from qa_portal.core.models import Base, LabelledEnum, enum_column, utcnow


class DossierState(LabelledEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    SCREENING = "screening"
    RETURNED = "returned"
    DESK_REJECTED = "desk_rejected"
    IN_REVIEW = "in_review"
    DECISION_PENDING = "decision_pending"
    APPROVED = "approved"
    APPROVED_WITH_CONDITIONS = "approved_with_conditions"
    REVISE_AND_RESUBMIT = "revise_and_resubmit"
    REJECTED = "rejected"
    APPEAL = "appeal"
    WITHDRAWN = "withdrawn"


EDITABLE_STATES = {DossierState.DRAFT, DossierState.RETURNED}


class EqfDomain(enum.StrEnum):
    KNOWLEDGE = "knowledge"
    SKILLS = "skills"
    RESPONSIBILITY_AUTONOMY = "responsibility_autonomy"


class Participation(enum.StrEnum):
    ONLINE = "online"
    IN_PERSON = "in_person"
    BLENDED = "blended"


class Pacing(enum.StrEnum):
    SELF_PACED = "self_paced"
    SCHEDULED = "scheduled"


class QfEheaCycle(enum.StrEnum):
    SHORT_CYCLE = "short_cycle"
    FIRST = "first"
    SECOND = "second"
    THIRD = "third"


class ExternalDecision(enum.StrEnum):
    APPROVAL = "approval"
    ACCREDITATION = "accreditation"
    RECOGNITION = "recognition"


class Issuance(enum.StrEnum):
    DIGITAL_BADGE = "digital_badge"
    CERTIFICATE = "certificate"
    BOTH = "both"


class AssessmentMethod(enum.StrEnum):
    WRITTEN_EXAM = "written_exam"
    ORAL_EXAM = "oral_exam"
    PROJECT = "project"
    SIMULATION = "simulation"
    PORTFOLIO = "portfolio"
    PRACTICAL_DEMONSTRATION = "practical_demonstration"
    OTHER = "other"


class Supervision(enum.StrEnum):
    NONE = "none"
    ONLINE_PROCTORED = "online_proctored"
    IN_PERSON = "in_person"
    IDENTITY_CHECKED = "identity_checked"


class PrerequisiteKind(enum.StrEnum):
    PRIOR_CREDENTIAL = "prior_credential"
    QUALIFICATION_LEVEL = "qualification_level"
    SKILL = "skill"
    WORK_EXPERIENCE = "work_experience"
    LANGUAGE = "language"
    OTHER = "other"


class EvidenceKind(enum.StrEnum):
    CURRICULUM = "curriculum"
    ASSESSMENT_SAMPLE = "assessment_sample"
    INTERNAL_QA_POLICY = "internal_qa_policy"
    STAFF_PROFILES = "staff_profiles"
    OTHER = "other"


REQUIRED_EVIDENCE = (EvidenceKind.CURRICULUM, EvidenceKind.ASSESSMENT_SAMPLE)

ISSUANCE_STANDARDS = {
    "open_badges_3": "Open Badges 3.0",
    "europass_edc": "Europass Digital Credentials",
}


def label_of(value: Any) -> str:
    """Human label of an enum value or code (``in_person`` → ``In person``)."""
    if value is None or value == "":
        return ""
    text = value.value if isinstance(value, enum.Enum) else str(value)
    return text.replace("_", " ").capitalize()


assessment_outcome = sa.Table(
    "assessment_outcome",
    Base.metadata,
    sa.Column(
        "assessment_id",
        sa.ForeignKey("assessment_component.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column(
        "outcome_id", sa.ForeignKey("learning_outcome.id", ondelete="CASCADE"), primary_key=True
    ),
)


class Dossier(Base):
    __tablename__ = "dossier"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisation.id"), nullable=False, index=True
    )
    state: Mapped[DossierState] = mapped_column(
        enum_column(DossierState), nullable=False, default=DossierState.DRAFT, index=True
    )
    lock_version: Mapped[int] = mapped_column(nullable=False, default=1)
    created_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id"), nullable=True
    )
    updated_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id"), nullable=True
    )
    submitted_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # The QA officer who took the dossier up (screening, panel, decision).
    case_officer_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id"), nullable=True, index=True
    )

    # Identification
    title: Mapped[str] = mapped_column(sa.String(300), nullable=False, default="")
    summary: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    description: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    web_page: Mapped[str] = mapped_column(sa.String(500), nullable=False, default="")
    partners: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)
    country: Mapped[str] = mapped_column(sa.String(2), nullable=False, default="")
    region: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    languages_instruction: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)
    languages_assessment: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)
    # Field of study and level
    isced_code: Mapped[str] = mapped_column(sa.String(4), nullable=False, default="")
    keywords: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)
    eqf_level: Mapped[int | None] = mapped_column(nullable=True)
    level_not_applicable: Mapped[bool] = mapped_column(nullable=False, default=False)
    national_level: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    qf_ehea_cycle: Mapped[QfEheaCycle | None] = mapped_column(
        enum_column(QfEheaCycle), nullable=True
    )
    # Workload and participation
    workload_hours: Mapped[int | None] = mapped_column(nullable=True)
    ects: Mapped[float | None] = mapped_column(sa.Numeric(5, 1, asdecimal=False), nullable=True)
    duration_weeks: Mapped[int | None] = mapped_column(nullable=True)
    participation: Mapped[Participation | None] = mapped_column(
        enum_column(Participation), nullable=True
    )
    pacing: Mapped[Pacing | None] = mapped_column(enum_column(Pacing), nullable=True)
    # Stackability and recognition
    recognition_arrangements: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    # Quality assurance
    internal_qa: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    external_decision: Mapped[ExternalDecision | None] = mapped_column(
        enum_column(ExternalDecision), nullable=True
    )
    earlier_reviews: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    # Information for learners
    target_audience: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    cost: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    grading_scheme: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    issuance: Mapped[Issuance | None] = mapped_column(enum_column(Issuance), nullable=True)
    issuance_standards: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)

    organisation: Mapped[Organisation] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    updated_by: Mapped[User | None] = relationship(foreign_keys=[updated_by_id])
    outcomes: Mapped[list[LearningOutcome]] = relationship(
        back_populates="dossier",
        order_by="LearningOutcome.position",
        cascade="all, delete-orphan",
    )
    assessments: Mapped[list[AssessmentComponent]] = relationship(
        back_populates="dossier",
        order_by="AssessmentComponent.position",
        cascade="all, delete-orphan",
    )
    prerequisites: Mapped[list[Prerequisite]] = relationship(
        back_populates="dossier", order_by="Prerequisite.position", cascade="all, delete-orphan"
    )
    stackability: Mapped[list[StackabilityEntry]] = relationship(
        back_populates="dossier",
        order_by="StackabilityEntry.position",
        cascade="all, delete-orphan",
    )
    files: Mapped[list[EvidenceFile]] = relationship(
        back_populates="dossier", order_by="EvidenceFile.id", cascade="all, delete-orphan"
    )
    versions: Mapped[list[DossierVersion]] = relationship(
        back_populates="dossier", order_by="DossierVersion.number"
    )
    case_officer: Mapped[User | None] = relationship(foreign_keys=[case_officer_id])
    rounds: Mapped[list[ReviewRound]] = relationship(  # noqa: F821
        back_populates="dossier", order_by="ReviewRound.number"
    )

    __mapper_args__ = {"version_id_col": lock_version}

    @property
    def reference(self) -> str:
        return f"MC-{self.id:05d}"

    @property
    def display_title(self) -> str:
        return self.title or "Untitled dossier"

    @property
    def current_files(self) -> list[EvidenceFile]:
        return [f for f in self.files if f.removed_at is None]

    @property
    def latest_version(self) -> DossierVersion | None:
        return self.versions[-1] if self.versions else None

    @property
    def current_round(self) -> ReviewRound | None:  # noqa: F821
        return self.rounds[-1] if self.rounds else None

    @property
    def is_editable(self) -> bool:
        return self.state in EDITABLE_STATES

    def is_member(self, user: Any) -> bool:
        return bool(user and user.is_authenticated and user.is_member_of(self.organisation_id))

    def can_view(self, user: Any) -> bool:
        """Provider members of the organisation, and QA staff once it has been submitted."""
        if not user or not user.is_authenticated:
            return False
        if self.is_member(user):
            return True
        return user.is_staff and bool(self.versions)

    def can_edit(self, user: Any) -> bool:
        return self.is_editable and self.is_member(user)


class LearningOutcome(Base):
    __tablename__ = "learning_outcome"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(
        sa.ForeignKey("dossier.id", ondelete="CASCADE"), nullable=False, index=True
    )
    key: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    position: Mapped[int] = mapped_column(nullable=False, default=0)
    statement: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    eqf_domain: Mapped[EqfDomain | None] = mapped_column(enum_column(EqfDomain), nullable=True)
    framework_name: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    framework_code: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    framework_url: Mapped[str] = mapped_column(sa.String(500), nullable=False, default="")

    dossier: Mapped[Dossier] = relationship(back_populates="outcomes")

    __table_args__ = (sa.UniqueConstraint("dossier_id", "key"),)


class AssessmentComponent(Base):
    __tablename__ = "assessment_component"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(
        sa.ForeignKey("dossier.id", ondelete="CASCADE"), nullable=False, index=True
    )
    key: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    position: Mapped[int] = mapped_column(nullable=False, default=0)
    method: Mapped[AssessmentMethod | None] = mapped_column(
        enum_column(AssessmentMethod), nullable=True
    )
    description: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    weight: Mapped[int | None] = mapped_column(nullable=True)
    supervision: Mapped[Supervision | None] = mapped_column(enum_column(Supervision), nullable=True)
    pass_criteria: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")

    dossier: Mapped[Dossier] = relationship(back_populates="assessments")
    outcomes: Mapped[list[LearningOutcome]] = relationship(
        secondary=assessment_outcome, order_by="LearningOutcome.position"
    )

    __table_args__ = (sa.UniqueConstraint("dossier_id", "key"),)


class Prerequisite(Base):
    __tablename__ = "prerequisite"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(
        sa.ForeignKey("dossier.id", ondelete="CASCADE"), nullable=False, index=True
    )
    position: Mapped[int] = mapped_column(nullable=False, default=0)
    kind: Mapped[PrerequisiteKind | None] = mapped_column(
        enum_column(PrerequisiteKind), nullable=True
    )
    description: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    # Another microcredential this one builds on (its catalogue reference, e.g. MC-00012).
    related_reference: Mapped[str] = mapped_column(sa.String(40), nullable=False, default="")

    dossier: Mapped[Dossier] = relationship(back_populates="prerequisites")


class StackabilityEntry(Base):
    __tablename__ = "stackability_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(
        sa.ForeignKey("dossier.id", ondelete="CASCADE"), nullable=False, index=True
    )
    position: Mapped[int] = mapped_column(nullable=False, default=0)
    qualification: Mapped[str] = mapped_column(sa.String(300), nullable=False, default="")
    awarding_body: Mapped[str] = mapped_column(sa.String(300), nullable=False, default="")
    credits: Mapped[float | None] = mapped_column(sa.Numeric(5, 1, asdecimal=False), nullable=True)

    dossier: Mapped[Dossier] = relationship(back_populates="stackability")


class EvidenceFile(Base):
    __tablename__ = "evidence_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(
        sa.ForeignKey("dossier.id", ondelete="CASCADE"), nullable=False, index=True
    )
    kind: Mapped[EvidenceKind] = mapped_column(enum_column(EvidenceKind), nullable=False)
    original_name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    stored_name: Mapped[str] = mapped_column(sa.String(64), nullable=False, unique=True)
    sha256: Mapped[str] = mapped_column(sa.String(64), nullable=False, index=True)
    size: Mapped[int] = mapped_column(nullable=False)
    uploaded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id"), nullable=True
    )
    uploaded_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)
    # Removed from the draft; kept because submitted versions may refer to it by hash.
    removed_at: Mapped[datetime | None] = mapped_column(nullable=True)

    dossier: Mapped[Dossier] = relationship(back_populates="files")
    uploaded_by: Mapped[User | None] = relationship()


class DossierVersion(Base):
    """An immutable snapshot of a dossier taken at submission."""

    __tablename__ = "dossier_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(
        sa.ForeignKey("dossier.id", ondelete="CASCADE"), nullable=False, index=True
    )
    number: Mapped[int] = mapped_column(nullable=False)
    round_number: Mapped[int] = mapped_column(nullable=False, default=1)
    created_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)
    submitted_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id"), nullable=True
    )
    snapshot_json: Mapped[str] = mapped_column(sa.Text, nullable=False)
    sha256: Mapped[str] = mapped_column(sa.String(64), nullable=False)

    dossier: Mapped[Dossier] = relationship(back_populates="versions")
    submitted_by: Mapped[User | None] = relationship()

    __table_args__ = (sa.UniqueConstraint("dossier_id", "number"),)

    @property
    def snapshot(self) -> dict[str, Any]:
        cached = self.__dict__.get("_snapshot_cache")
        if cached is None:
            cached = json.loads(self.snapshot_json)
            self.__dict__["_snapshot_cache"] = cached
        return cached


@event.listens_for(DossierVersion, "before_update")
def _versions_are_immutable(mapper, connection, target):
    state = sa.inspect(target)
    if any(state.attrs[c.key].history.has_changes() for c in mapper.column_attrs):
        raise RuntimeError("a submitted dossier version cannot be changed")


@event.listens_for(DossierVersion, "before_delete")
def _versions_are_kept(mapper, connection, target):
    raise RuntimeError("a submitted dossier version cannot be deleted")


class ScreeningNote(Base):
    """A QA officer's note when returning a dossier to the provider during screening."""

    __tablename__ = "screening_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(
        sa.ForeignKey("dossier.id", ondelete="CASCADE"), nullable=False, index=True
    )
    version_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("dossier_version.id"), nullable=True
    )
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), nullable=False)
    text: Mapped[str] = mapped_column(sa.Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)

    author: Mapped[User] = relationship()
