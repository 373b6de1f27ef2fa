"""A rendered review report: one revision of one variant of the report on one decision."""

from __future__ import annotations

import enum
from datetime import datetime
from uuid import UUID, uuid4

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qa_portal.accounts.models import User
from qa_portal.core.models import Base, enum_column, utcnow
from qa_portal.decisions.models import Decision
from qa_portal.dossiers.models import Dossier


class ReportVariant(enum.StrEnum):
    PUBLIC = "public"  # anonymised, no confidential comments
    INTERNAL = "internal"  # reviewer identities and confidential comments; QA only

    @property
    def label(self) -> str:
        return "Public report" if self is ReportVariant.PUBLIC else "Internal report"


class ReportStatus(enum.StrEnum):
    QUEUED = "queued"
    RENDERING = "rendering"
    READY = "ready"
    FAILED = "failed"


class Report(Base):
    __tablename__ = "review_report"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The permanent identifier of this revision (migration 0020), given once.
    uuid: Mapped[UUID] = mapped_column(
        sa.Uuid, nullable=False, unique=True, index=True, default=uuid4
    )
    dossier_id: Mapped[int] = mapped_column(
        sa.ForeignKey("dossier.id", ondelete="CASCADE"), nullable=False, index=True
    )
    decision_id: Mapped[int] = mapped_column(
        sa.ForeignKey("decision.id", ondelete="CASCADE"), nullable=False, index=True
    )
    variant: Mapped[ReportVariant] = mapped_column(enum_column(ReportVariant), nullable=False)
    revision: Mapped[int] = mapped_column(nullable=False)
    number: Mapped[str] = mapped_column(sa.String(60), nullable=False)
    code: Mapped[str] = mapped_column(sa.String(20), nullable=False, unique=True)
    status: Mapped[ReportStatus] = mapped_column(
        enum_column(ReportStatus), nullable=False, default=ReportStatus.QUEUED
    )
    error: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    requested_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id"), nullable=True
    )
    requested_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)
    rendered_at: Mapped[datetime | None] = mapped_column(nullable=True)
    stored_name: Mapped[str | None] = mapped_column(sa.String(64), nullable=True, unique=True)
    sha256: Mapped[str | None] = mapped_column(sa.String(64), nullable=True, index=True)
    size: Mapped[int | None] = mapped_column(nullable=True)
    pages: Mapped[int | None] = mapped_column(nullable=True)

    dossier: Mapped[Dossier] = relationship()
    decision: Mapped[Decision] = relationship()
    requested_by: Mapped[User | None] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("decision_id", "variant", "revision"),
        sa.CheckConstraint(
            "status != 'ready' OR (stored_name IS NOT NULL AND sha256 IS NOT NULL)",
            name="ready_has_file",
        ),
    )

    @property
    def is_ready(self) -> bool:
        return self.status == ReportStatus.READY

    @property
    def is_failed(self) -> bool:
        return self.status == ReportStatus.FAILED

    @property
    def filename(self) -> str:
        """Download name: the report number, variant and revision (never a person's name)."""
        return f"{self.number}-{self.variant.value}-rev{self.revision}.pdf"


FROZEN = (
    "stored_name",
    "sha256",
    "size",
    "pages",
    "rendered_at",
    "number",
    "code",
    "variant",
    "revision",
    "decision_id",
    "dossier_id",
)


def _stored_status(connection, report_id: int) -> str | None:
    table = Report.__table__
    return connection.execute(sa.select(table.c.status).where(table.c.id == report_id)).scalar()


@event.listens_for(Report, "before_update")
def _ready_reports_are_immutable(mapper, connection, target):
    """Once rendered, a report never changes; regenerating makes a new revision.

    The stored status is read from the database: the object's own history does not know
    the old value of an attribute that was expired (after a commit) and then set."""
    state = sa.inspect(target)
    if not any(state.attrs[name].history.has_changes() for name in FROZEN + ("status",)):
        return
    if _stored_status(connection, target.id) == ReportStatus.READY.value:
        raise RuntimeError("a rendered report is immutable; generate a new revision")


@event.listens_for(Report, "before_delete")
def _reports_are_kept(mapper, connection, target):
    if _stored_status(connection, target.id) == ReportStatus.READY.value:
        raise RuntimeError("a rendered report is kept; generate a new revision instead")
