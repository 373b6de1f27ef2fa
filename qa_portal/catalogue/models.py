"""A listing: an approved microcredential published in the public catalogue.

The public fields are copied from the decided dossier version at publication (an allowlist,
``public.py``) into searchable columns and a JSON document; nothing else of the dossier is
ever read by the catalogue. Full-text search lives outside the ORM: an FTS5 table kept in
sync by triggers on SQLite, a generated ``tsvector`` column with a GIN index on PostgreSQL
(both created by the migration).
"""

from __future__ import annotations

import enum
import json
from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid4

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from qa_portal.accounts.models import Organisation, User
from qa_portal.core.models import Base, enum_column, utcnow
from qa_portal.decisions import follow_up
from qa_portal.decisions.models import Decision
from qa_portal.dossiers.models import Dossier, DossierState

# A listed dossier back in one of these states, with no decision after the listed one, is
# being renewed: start_renewal (allowed only before the approval expires) is the only way back
# from an approval, and the renewal lasts until the new decision (whatever it is).
RENEWING_STATES = (
    DossierState.DRAFT,
    DossierState.SUBMITTED,
    DossierState.SCREENING,
    DossierState.RETURNED,
    DossierState.IN_REVIEW,
    DossierState.DECISION_PENDING,
)


def _next_status_index(context) -> int:
    """One more than the highest status index given so far (0 for the first listing). The
    rows of one multi-row INSERT (which all see the same highest index in the table) count
    on from the statement's last one."""
    given = getattr(context, "_last_status_index", None)
    if given is None:
        highest = context.connection.execute(
            sa.select(sa.func.max(sa.column("status_index"))).select_from(sa.table("listing"))
        ).scalar()
        given = -1 if highest is None else highest
    context._last_status_index = given + 1
    return given + 1


class ListingState(enum.StrEnum):
    VALID = "valid"
    WITHDRAWN = "withdrawn"
    REVOKED = "revoked"


class ConditionsStatus(enum.StrEnum):
    NONE = "none"
    OPEN = "open"
    MET = "met"


class PublicStatus(enum.StrEnum):
    """What the public sees (expiry is computed from the validity date)."""

    VALID = "valid"
    CONDITIONS_OPEN = "conditions_open"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"
    REVOKED = "revoked"

    @property
    def label(self) -> str:
        return {
            "valid": "Valid",
            "conditions_open": "Valid, conditions open",
            "expired": "Expired",
            "withdrawn": "Withdrawn by the provider",
            "revoked": "Revoked by the QA body",
        }[self.value]

    @property
    def has_ended(self) -> bool:
        """Withdrawn or revoked: the page stays only as the public record of the decision."""
        return self in (PublicStatus.WITHDRAWN, PublicStatus.REVOKED)

    @property
    def is_expired(self) -> bool:
        return self is PublicStatus.EXPIRED


class Listing(Base):
    __tablename__ = "listing"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The permanent identifier (migration 0020): given once when the listing is created, kept
    # when a renewal republishes it, never derived from an address (``ctid``).
    uuid: Mapped[UUID] = mapped_column(
        sa.Uuid, nullable=False, unique=True, index=True, default=uuid4
    )
    dossier_id: Mapped[int] = mapped_column(
        sa.ForeignKey("dossier.id"), nullable=False, unique=True
    )
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisation.id"), nullable=False, index=True
    )
    decision_id: Mapped[int] = mapped_column(sa.ForeignKey("decision.id"), nullable=False)
    state: Mapped[ListingState] = mapped_column(
        enum_column(ListingState), nullable=False, default=ListingState.VALID
    )
    conditions: Mapped[ConditionsStatus] = mapped_column(
        enum_column(ConditionsStatus), nullable=False, default=ConditionsStatus.NONE
    )
    published_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id"), nullable=True
    )
    updated_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(nullable=True)
    ended_reason: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    valid_from: Mapped[date] = mapped_column(nullable=False)
    valid_until: Mapped[date] = mapped_column(nullable=False)
    # Public, searchable copies of the decided version's allowlisted fields: the short ones
    # (the filters) first, so that they stay in a row's first page on SQLite. The filters
    # are indexed together (ix_listing_filters, below).
    country: Mapped[str] = mapped_column(sa.String(2), nullable=False, default="")
    eqf_level: Mapped[int | None] = mapped_column(nullable=True)
    isced_code: Mapped[str] = mapped_column(sa.String(4), nullable=False, default="")
    isced_broad: Mapped[str] = mapped_column(sa.String(2), nullable=False, default="")
    participation: Mapped[str] = mapped_column(sa.String(20), nullable=False, default="")
    languages: Mapped[str] = mapped_column(sa.String(100), nullable=False, default="")
    ects: Mapped[float | None] = mapped_column(sa.Numeric(5, 1, asdecimal=False), nullable=True)
    workload_hours: Mapped[int | None] = mapped_column(nullable=True)
    title: Mapped[str] = mapped_column(sa.String(300), nullable=False)
    summary: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    description: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    outcomes_text: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    keywords_text: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    provider_name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    public_json: Mapped[str] = mapped_column(sa.Text, nullable=False)
    # The listing's bit in the QA body's Bitstring Status List (catalogue/status_list.py):
    # allocated once, when the listing is first stored (the next after the highest ever
    # given: listings are never deleted, so an index is never reused), kept on republication.
    status_index: Mapped[int | None] = mapped_column(
        nullable=True,
        unique=True,
        index=True,
        default=lambda context: _next_status_index(context),
    )
    # The current approval stays valid past its date while a renewal awaits its decision.
    renewal_pending: Mapped[bool] = column_property(
        sa.and_(
            sa.exists()
            .where(Dossier.id == dossier_id, Dossier.state.in_(RENEWING_STATES))
            .correlate_except(Dossier),
            ~sa.exists()
            .where(Decision.dossier_id == dossier_id, Decision.id > decision_id)
            .correlate_except(Decision),
        )
    )

    dossier: Mapped[Dossier] = relationship()
    organisation: Mapped[Organisation] = relationship()
    decision: Mapped[Decision] = relationship()
    published_by: Mapped[User | None] = relationship()
    # Written at publication, read only by the language filter (in SQL): never loaded with
    # a listing.
    language_rows: Mapped[list[ListingLanguage]] = relationship(cascade="all, delete-orphan")

    # Every filter and sort column after the state: counts and filter choices are answered
    # from this index alone (no visit to the wide rows). Each index also carries the id on
    # PostgreSQL (SQLite's indexes always do): the renewal and language checks read it.
    __table_args__ = (
        sa.Index(
            "ix_listing_filters",
            "state",
            "country",
            "eqf_level",
            "isced_broad",
            "isced_code",
            "participation",
            "ects",
            "organisation_id",
            "conditions",
            "valid_until",
            "published_at",
            postgresql_include=["id"],
        ),
        # Filters the one above cannot seek (its leading columns are state, country, EQF):
        # a filter on its own reads only the listings it keeps.
        sa.Index(
            "ix_listing_field", "state", "isced_broad", "isced_code", postgresql_include=["id"]
        ),
        sa.Index("ix_listing_provider", "state", "organisation_id", postgresql_include=["id"]),
        sa.Index(
            "ix_listing_participation",
            "state",
            "participation",
            "ects",
            "published_at",
            postgresql_include=["id"],
        ),
        sa.Index(
            "ix_listing_validity", "state", "valid_until", "published_at", postgresql_include=["id"]
        ),
        # Newest first (the default order), with what the status filters read, then every
        # other filter column (the languages as the row's codes): SQLite finds a page of any
        # filters walking it, without reading rows (search_conditions.wide_index).
        sa.Index(
            "ix_listing_recent",
            "state",
            "published_at",
            "valid_until",
            "conditions",
            "country",
            "eqf_level",
            "isced_broad",
            "isced_code",
            "participation",
            "ects",
            "organisation_id",
            "languages",
            postgresql_include=["id"],
        ),
        # The title order (case-insensitive, then id): a page is read off the index's
        # start rather than sorted out of every listing.
        sa.Index("ix_listing_title", "state", sa.text("lower(title)"), "id"),
    )

    @property
    def ctid(self) -> str:
        """The Credential Transparency Identifier of the microcredential: ``ce-`` and the
        stored UUID, the same under any public address of the portal."""
        return f"ce-{self.uuid}"

    @property
    def reference(self) -> str:
        """The dossier's reference (as in the public document, without reading it)."""
        return f"MC-{self.dossier_id:05d}"

    @property
    def public(self) -> dict[str, Any]:
        cached = self.__dict__.get("_public_cache")
        if cached is None:
            cached = json.loads(self.public_json)
            self.__dict__["_public_cache"] = cached
        return cached

    def public_status(self, today: date) -> PublicStatus:
        if self.state == ListingState.WITHDRAWN:
            return PublicStatus.WITHDRAWN
        if self.state == ListingState.REVOKED:
            return PublicStatus.REVOKED
        if self.valid_until < today and not self.renewal_pending:
            return PublicStatus.EXPIRED
        if self.conditions == ConditionsStatus.OPEN:
            return PublicStatus.CONDITIONS_OPEN
        return PublicStatus.VALID

    def follow_up_note(self, today: date) -> str:
        """While conditions are open on a valid listing: a condition not met awaiting the
        QA body's decision, or overdue conditions (computed from the dates, never stored);
        otherwise "". Reads the decision's conditions only for such listings."""
        if self.state != ListingState.VALID or self.conditions != ConditionsStatus.OPEN:
            return ""
        return follow_up.public_note(self.decision, today)

    @property
    def conditions_met(self) -> bool:
        """The decision had conditions, and every one of them is met."""
        return self.conditions == ConditionsStatus.MET


class ListingLanguage(Base):
    """A language of instruction of a listing (for the language filter and its counts)."""

    __tablename__ = "listing_language"

    listing_id: Mapped[int] = mapped_column(
        sa.ForeignKey("listing.id", ondelete="CASCADE"), primary_key=True
    )
    code: Mapped[str] = mapped_column(sa.String(3), primary_key=True, index=True)
