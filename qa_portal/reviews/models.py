"""Reviewer profiles: expertise (ISCED-F fields and keywords), bio and dated affiliations."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qa_portal.accounts.models import Organisation, User
from qa_portal.core.models import Base, utcnow


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
