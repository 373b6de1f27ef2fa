"""Catalogue search: one page of listings with the total in one statement (the filter counts,
``facets.py``, in one more), sorted and paginated; the filters are read in
``search_filters.py``, the words matched in ``text_match.py`` and the conditions written in
``search_conditions.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import defer

from qa_portal.catalogue.facets import facet_counts
from qa_portal.catalogue.models import Listing
from qa_portal.catalogue.search_conditions import conditions, wide_index
from qa_portal.catalogue.search_filters import Filters
from qa_portal.catalogue.text_match import (
    BM25,
    FTS,
    SEARCH_VECTOR,
    dialect,
    fts_match,
    ts_rank,
    tsquery,
)
from qa_portal.core.db import per_transaction
from qa_portal.extensions import db

# PostgreSQL's planner costs a page read out of order at 4 times one in order, as on a
# spinning disk. The catalogue is read from memory, where a page costs the same wherever it
# lies; with the default, a search such as "cyber" at EQF level 6 walked 58,000 listings
# newest first (45 ms at 100,000 listings) rather than read the GIN index's 5,500 matches
# (15 ms). Set for the transaction only (SET LOCAL), before its first catalogue statement.
PLANNER_SETTINGS = {"random_page_cost": "1.1"}


def _plan_for_memory() -> None:
    if dialect() != "postgresql":
        return

    def apply():
        settings = [sa.func.set_config(k, v, True) for k, v in PLANNER_SETTINGS.items()]
        return db.session.execute(sa.select(*settings)).all()

    per_transaction("catalogue.planner_settings", apply)


LONG_COLUMNS = (Listing.description, Listing.outcomes_text, Listing.public_json)
LIST_OPTIONS = tuple(defer(column) for column in LONG_COLUMNS)  # lists show title and summary


@dataclass
class Ranked:
    """The listings matching some filters: where they come from, the conditions, and the
    sort keys as (expression, descending) pairs."""

    source: Any
    where: list
    keys: list[tuple[Any, bool]]

    def order_by(self, keys=None) -> list:
        return [k.desc() if descending else k for k, descending in (keys or self.keys)]

    def select(self, *columns):
        return sa.select(*columns).select_from(self.source).where(*self.where)


def ranked(f: Filters, today: date) -> Ranked:
    """The matching listings in the order asked for. With words, SQLite joins the FTS5
    matches once (their BM25 rank computed in the same pass); PostgreSQL ranks with
    ``ts_rank`` over the GIN index's matches. (To be executed in this transaction.)"""
    _plan_for_memory()
    source = Listing.__table__
    where = conditions(f, today, fulltext=False)
    sort = f.effective_sort
    rank = None
    if f.words:
        if dialect() == "postgresql":
            query = tsquery(f.words)
            where.insert(0, SEARCH_VECTOR.op("@@")(query))
            rank = (ts_rank(f.words), True)
        else:
            hits = (
                sa.select(FTS.c.rowid.label("id"), sa.literal_column(BM25).label("rank"))
                .select_from(FTS)
                .where(fts_match(f.words))
                .subquery("hits")
            )
            source = source.join(hits, hits.c.id == Listing.id)
            rank = (hits.c.rank, False)  # BM25: lower is better
    if sort == "title":
        keys = [(sa.func.lower(Listing.title), False), (Listing.id, False)]
    elif sort == "relevance" and rank is not None:
        keys = [rank, (Listing.published_at, True), (Listing.id, False)]
    else:
        keys = [(Listing.published_at, True), (Listing.id, True)]
    return Ranked(source, where, keys)


# A search with words considers at most this many matching listings: the most recently
# published ones (all filters applied), ranked and ordered as asked. Beyond it the total is
# reported as "more than WINDOW" (``Page.total_exact`` false), as large search sites do, so
# that the work per query stays bounded however common the words are.
WINDOW = 1000


def _narrow(f: Filters) -> list:
    """The narrow columns a page is chosen from: id and the sort keys (the title only for
    the title order: the indexes answer the others without reading the rows)."""
    columns = [Listing.id.label("id"), Listing.published_at.label("published_at")]
    if f.effective_sort == "title":
        columns.append(sa.func.lower(Listing.title).label("title_key"))
    return columns


def _selective(f: Filters) -> bool:
    """Whether ``f`` has a filter that an index answers and that keeps few listings (one
    of hundreds of providers, of some thirty countries, of eighty detailed fields): then
    SQLite tests FTS5's matches against the set of listings the index keeps (cheap to
    test, costly to build when large) rather than reading each match's row until the
    window is full (cheap when most matches pass)."""
    return bool(f.provider or f.country or len(f.field) == 4)


# The row's physical address on PostgreSQL: the window's rows are read again through it
# within the same statement (one page read, where the primary key costs three).
ROW_ADDRESS = sa.literal_column("listing.ctid", sa.String)


def _ranked_window(f: Filters, today: date):
    """The newest ``WINDOW + 1`` matches of ``f`` (the extra row tells that there are
    more), each with its place (newest first) and the window's size; with their relevance
    when the order asks for it: BM25 on SQLite, computed by FTS5 while it walks its matches
    newest first (lower is better); ``ts_rank`` on PostgreSQL, for the window's rows only
    (higher is better)."""
    relevance = f.effective_sort == "relevance"
    if dialect() == "postgresql":
        newest = (
            sa.select(*_narrow(f), ROW_ADDRESS.label("row_address"))
            .where(*conditions(f, today, row=True))
            # The planner chooses: for a common word, walk the newest listings testing
            # each one's vector (kept in the row); for a rarer one, the matches of the words
            # and the filters, intersected in the GIN index (ix_listing_search)
            .order_by(Listing.id.desc())
            .limit(WINDOW + 1)
            .subquery("newest")
        )
        window = _counted(newest)
        if not relevance:
            return window, window, True
        rows = sa.select(window, ts_rank(f.words).label("rank")).join_from(
            window, Listing.__table__, window.c.row_address == ROW_ADDRESS
        )
        return window, rows.subquery("ranked"), True
    where = [fts_match(f.words), *conditions(f, today, fulltext=False, row=True)]
    if _selective(f):
        # The language is checked in the rows of the matches that remain.
        by_index = replace(f, language="")
        kept = sa.select(Listing.id).where(*conditions(by_index, today, fulltext=False))
        # "+rowid": tested on each match FTS5 yields, not pushed into FTS5 as lookups
        where.insert(1, sa.literal_column("+listing_fts.rowid").in_(kept.correlate(None)))
    rank = [sa.literal_column(BM25).label("rank")] if relevance else []
    newest = (
        sa.select(*_narrow(f), *rank)
        .select_from(FTS.join(Listing.__table__, Listing.id == FTS.c.rowid))
        .where(*where)
        .order_by(FTS.c.rowid.desc())  # FTS5 walks its matches newest first and stops
        .limit(WINDOW + 1)
        .subquery("newest")
    )
    window = _counted(newest)
    return window, window, False


def _counted(newest):
    """The window: the newest matches, each with its place (newest first; the extra row is
    not shown) and the window's size (more than ``WINDOW``: there are more matches),
    computed once over the narrow rows, in the order they come in."""
    return (
        sa.select(
            newest,
            sa.func.row_number().over(order_by=newest.c.id.desc()).label("place"),
            sa.func.count().over().label("total"),
        )
        .cte("window")
        .prefix_with("MATERIALIZED")
    )


def _order(f: Filters, c, rank_descending: bool) -> list:
    """The page order over columns ``c`` (id, published_at, title_key and maybe rank)."""
    newest = [c.published_at.desc(), c.id.desc()]
    sort = f.effective_sort
    if sort == "title":
        return [c.title_key, c.id]
    if sort == "relevance" and "rank" in c:
        return [c.rank.desc() if rank_descending else c.rank, *newest]
    return newest


@dataclass
class Page:
    items: list[Listing]
    total: int
    filters: Filters
    facets: dict[str, list[tuple[str, str, int]]] = field(default_factory=dict)
    total_exact: bool = True  # False: more than ``total`` listings match (a capped search)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.filters.per_page))

    @property
    def has_next(self) -> bool:
        return self.filters.page < self.pages

    @property
    def has_prev(self) -> bool:
        return self.filters.page > 1


def search(f: Filters, today: date, *, facets: bool = False) -> Page:
    """One page of listings with the total (one statement), and optionally the filter
    counts (one more).

    With words, the newest ``WINDOW`` (+1) matches are chosen from narrow rows, only they
    are ranked, and the page is cut from them: the total is exact up to ``WINDOW``.
    Without words, the page's ids are picked from narrow rows (the indexes answer the
    filters and the order) and the total is an exact count in the same statement. Either
    way only the page's rows are read in full."""
    _plan_for_memory()
    rank_descending = False
    if f.words:
        window, rows, rank_descending = _ranked_window(f, today)
        count_all = sa.select(sa.func.count()).select_from(window)
        page_rows = sa.select(rows).where(rows.c.place <= WINDOW)
    else:
        wide = wide_index(f)
        where = conditions(f, today, row=wide, wide=wide)
        rows = sa.select(*_narrow(f)).where(*where).subquery("matches")
        count_all = sa.select(sa.func.count()).select_from(Listing).where(*where)
        page_rows = sa.select(rows, count_all.scalar_subquery().label("total"))
    narrow = (
        page_rows.order_by(*_order(f, rows.c, rank_descending))
        .limit(f.per_page)
        .offset((f.page - 1) * f.per_page)
        .subquery("page_ids")
    )
    query = (
        sa.select(Listing, narrow.c.total)
        .join(narrow, narrow.c.id == Listing.id)
        .options(*LIST_OPTIONS)
        .order_by(*_order(f, narrow.c, rank_descending))
    )
    found = db.session.execute(query).all()
    if found:
        count = found[0].total
    elif f.page > 1:  # past the end: still report the total
        count = db.session.execute(count_all).scalar_one()
    else:
        count = 0
    capped = bool(f.words) and count > WINDOW
    page = Page([row[0] for row in found], WINDOW if capped else count, f, total_exact=not capped)
    if facets:
        page.facets = facet_counts(f, today)
    return page
