"""The WHERE conditions of a catalogue search: the words, the public status (computed from the
listing's state, dates and conditions) and every filter, written so that the indexes can
answer them."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import UnaryExpression

from qa_portal.catalogue.models import (
    RENEWING_STATES,
    ConditionsStatus,
    Listing,
    ListingLanguage,
    ListingState,
    PublicStatus,
)
from qa_portal.catalogue.search_filters import Filters
from qa_portal.catalogue.text_match import dialect, match
from qa_portal.decisions.models import Decision
from qa_portal.dossiers.models import Dossier


def _renewing():
    """``Listing.renewal_pending`` as a set: the (few) listings whose dossier is being
    renewed, computed once per statement instead of twice per listing."""
    other = aliased(Listing)
    return Listing.id.in_(
        sa.select(other.id)
        .join(Dossier, Dossier.id == other.dossier_id)
        .where(
            Dossier.state.in_(RENEWING_STATES),
            ~sa.exists().where(
                Decision.dossier_id == other.dossier_id, Decision.id > other.decision_id
            ),
        )
    )


def status_expression(today: date):
    return sa.case(
        (Listing.state == ListingState.WITHDRAWN, PublicStatus.WITHDRAWN.value),
        (Listing.state == ListingState.REVOKED, PublicStatus.REVOKED.value),
        (
            sa.and_(Listing.valid_until < today, sa.not_(_renewing())),
            PublicStatus.EXPIRED.value,
        ),
        (Listing.conditions == ConditionsStatus.OPEN, PublicStatus.CONDITIONS_OPEN.value),
        else_=PublicStatus.VALID.value,
    )


def status_condition(status: str, today: date):
    """``status_expression(today) == status`` written so that indexes can answer it (the
    renewal check runs only for listings past their date)."""
    renewing = _renewing()
    expired = sa.and_(Listing.valid_until < today, sa.not_(renewing))
    # "not expired" rather than "valid until today or renewing": an OR of two indexed
    # terms would have SQLite collect both sets and read every row
    current = sa.not_(expired)
    valid = Listing.state == ListingState.VALID
    return {
        PublicStatus.WITHDRAWN: Listing.state == ListingState.WITHDRAWN,
        PublicStatus.REVOKED: Listing.state == ListingState.REVOKED,
        PublicStatus.EXPIRED: sa.and_(valid, expired),
        PublicStatus.CONDITIONS_OPEN: sa.and_(
            valid, current, Listing.conditions == ConditionsStatus.OPEN
        ),
        PublicStatus.VALID: sa.and_(valid, current, Listing.conditions != ConditionsStatus.OPEN),
    }[PublicStatus(status)]


def conditions(
    f: Filters,
    today: date,
    skip: str = "",
    fulltext: bool = True,
    row: bool = False,
    wide: bool = False,
) -> list:
    """The WHERE conditions of ``f`` (``skip``: leave one filter out, for its counts;
    ``fulltext=False``: leave the words out, for a query that joins the matches itself;
    ``row=True``: for a query that reads each listing's row anyway, the language checked
    in the row's copy of the list (also in ``ix_listing_recent``) rather than probed in the
    language table; ``wide=True``: the EQF, field, participation and ECTS terms kept from
    choosing an index, see ``wide_index``)."""
    term = _unindexed if wide else _same
    where = []
    if f.words and fulltext:
        where.append(match(f.words))
    if skip != "status":
        if f.status:
            where.append(status_condition(f.status, today))
        else:
            where.append(Listing.state == ListingState.VALID)
    elif not f.status:
        where.append(Listing.state == ListingState.VALID)
    if f.provider and skip != "provider":
        where.append(Listing.organisation_id == f.provider)
    if f.country and skip != "country":
        where.append(Listing.country == f.country)
    if f.eqf and skip != "eqf":
        where.append(term(Listing.eqf_level) == f.eqf)
    if f.field and skip != "field":
        where.append(term(Listing.isced_broad) == f.field[:2])  # the broad field leads
        if len(f.field) == 4:
            where.append(term(Listing.isced_code) == f.field)
    if f.participation and skip != "participation":
        where.append(term(Listing.participation) == f.participation)
    if f.language and skip != "language" and row:
        # The codes separated by spaces, written at publication with the language rows;
        # an ISO 639-1 code (validated) is letters only, never a LIKE wildcard.
        where.append((" " + Listing.languages + " ").like(f"% {f.language} %"))
    elif f.language and skip != "language":
        where.append(  # probed per listing (primary key), not read for the whole language
            sa.exists().where(
                ListingLanguage.listing_id == Listing.id, ListingLanguage.code == f.language
            )
        )
    # The bound as the column's type (a float would turn the column into one: no index)
    if f.ects_min is not None:
        where.append(term(Listing.ects) >= sa.cast(f.ects_min, Listing.ects.type))
    if f.ects_max is not None:
        where.append(term(Listing.ects) <= sa.cast(f.ects_max, Listing.ects.type))
    return where


def _same(column):
    return column


def _unindexed(column):
    """``+column``: SQLite's way to keep a term from choosing an index (the value is the
    column's)."""
    return UnaryExpression(column, operator=operators.custom_op("+"), type_=column.type)


def wide_index(f: Filters) -> bool:
    """Whether SQLite should answer a browse (no words, newest first) from the indexes that
    hold every filter column, ``ix_listing_recent`` walked newest first for the page and a
    covering index for the count, the language checked in the codes the index holds.
    Without statistics per value, SQLite would take the narrow index of one filter
    (participation, field) and read the row of each listing it keeps to test the others,
    a 4 KB page per listing (80 ms for 10,000 at EQF level 7 and online, 170 ms with an
    ECTS range, at 100,000 listings), or probe the language table for every listing; the
    covering indexes cost 10-20 ms whatever the filters. Not for a country or a provider
    (their seek keeps few listings), a status (its own index and renewal check) or the
    title order (read off ``ix_listing_title``)."""
    return (
        dialect() == "sqlite"
        and not f.words
        and f.effective_sort != "title"
        and not (f.provider or f.country or f.status)
        and bool(
            f.eqf
            or f.field
            or f.participation
            or f.language
            or f.ects_min is not None
            or f.ects_max is not None
        )
    )
