"""Catalogue search: full text, filters with counts, sorting and pagination.

User input is treated as words, never as query syntax: the text is split into word
characters and each word becomes a quoted term, the last one also a prefix (FTS5 on
SQLite, ``to_tsquery`` on PostgreSQL), so quotes, ``AND``, ``NEAR(``, ``*`` or ``title:`` are
just text. One statement returns a page of results with the total; one more returns every
filter's counts (each filter's counts ignore that filter itself, so the choices stay
visible).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from typing import Any

import pycountry
import sqlalchemy as sa
from sqlalchemy.orm import aliased, defer
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import UnaryExpression

from qa_portal.accounts.models import Organisation
from qa_portal.catalogue.models import (
    RENEWING_STATES,
    ConditionsStatus,
    Listing,
    ListingLanguage,
    ListingState,
    PublicStatus,
)
from qa_portal.core.db import per_transaction
from qa_portal.core.errors import InvalidInput
from qa_portal.decisions.models import Decision
from qa_portal.dossiers import isced
from qa_portal.dossiers.models import Dossier, Participation
from qa_portal.extensions import db

MAX_WORDS = 12
MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 20
SORTS = ("relevance", "date", "title")
WORD = re.compile(r"\w+", re.UNICODE)
FACETS = ("status", "provider", "country", "eqf", "field", "participation", "language")
BM25 = "bm25(listing_fts, 10.0, 2.0, 1.0, 3.0, 6.0, 2.0)"


@dataclass
class Filters:
    q: str = ""
    provider: int | None = None
    country: str = ""
    eqf: int | None = None
    field: str = ""
    participation: str = ""
    language: str = ""
    ects_min: float | None = None
    ects_max: float | None = None
    status: str = ""
    sort: str = ""
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE

    @property
    def words(self) -> list[str]:
        return WORD.findall(self.q)[:MAX_WORDS]

    @property
    def effective_sort(self) -> str:
        if self.sort in SORTS and (self.sort != "relevance" or self.words):
            return self.sort
        return "relevance" if self.words else "date"

    def args(self, **changes: Any) -> dict[str, Any]:
        """Query-string arguments for links (empty values left out)."""
        values = asdict(replace(self, **changes))
        if values["per_page"] == DEFAULT_PER_PAGE:
            values.pop("per_page")
        if values["page"] == 1:
            values.pop("page")
        return {k: v for k, v in values.items() if v not in ("", None)}

    @property
    def active(self) -> bool:
        return any(
            v not in ("", None)
            for k, v in asdict(self).items()
            if k not in ("sort", "page", "per_page")
        )


def _number(args, name: str, kind=int, low=None, high=None, label: str = ""):
    raw = (args.get(name) or "").strip()
    if raw == "":
        return None
    try:
        value = kind(raw)
    except ValueError:
        raise InvalidInput(f"{label or name}: “{raw}” is not a number.") from None
    if value != value or (low is not None and value < low) or (high is not None and value > high):
        raise InvalidInput(f"{label or name} must be between {low} and {high}.")
    return value


def parse(args) -> Filters:
    """Filters from query-string arguments; InvalidInput (400) names the bad one."""
    provider = _number(args, "provider", int, 1, 2**31 - 1, "Provider")
    country = (args.get("country") or "").strip().upper()
    if country and pycountry.countries.get(alpha_2=country) is None:
        raise InvalidInput(f"Country: “{country}” is not an ISO 3166 country code.")
    eqf = _number(args, "eqf", int, 1, 8, "EQF level")
    field_code = (args.get("field") or "").strip()
    if field_code and field_code not in isced.DETAILED and field_code not in isced.BROAD:
        raise InvalidInput(f"Field of study: “{field_code}” is not an ISCED-F code.")
    participation = (args.get("participation") or "").strip()
    if participation and participation not in {p.value for p in Participation}:
        raise InvalidInput("Form of participation: choose online, in_person or blended.")
    language = (args.get("language") or "").strip().lower()
    if language and pycountry.languages.get(alpha_2=language) is None:
        raise InvalidInput(f"Language: “{language}” is not an ISO 639-1 code.")
    ects_min = _number(args, "ects_min", float, 0, 400, "Minimum ECTS")
    ects_max = _number(args, "ects_max", float, 0, 400, "Maximum ECTS")
    if ects_min is not None and ects_max is not None and ects_min > ects_max:
        raise InvalidInput("The minimum ECTS is larger than the maximum.")
    status = (args.get("status") or "").strip()
    if status and status not in {s.value for s in PublicStatus}:
        raise InvalidInput("Status: choose valid, conditions_open, expired, withdrawn or revoked.")
    sort = (args.get("sort") or "").strip()
    if sort and sort not in SORTS:
        raise InvalidInput("Sort: choose relevance, date or title.")
    page = _number(args, "page", int, 1, 100_000, "Page") or 1
    per_page = (
        _number(args, "per_page", int, 1, MAX_PER_PAGE, "Results per page") or DEFAULT_PER_PAGE
    )
    # Built in one go: ``status`` here is the public status asked for (a filter), not a
    # model's state, which only its state table changes (tests/test_state_changes.py).
    return Filters(
        q=(args.get("q") or "")[:200],
        provider=provider,
        country=country,
        eqf=eqf,
        field=field_code,
        participation=participation,
        language=language,
        ects_min=ects_min,
        ects_max=ects_max,
        status=status,
        sort=sort,
        page=page,
        per_page=per_page,
    )


# -- SQL ----------------------------------------------------------------------------------
def _dialect() -> str:
    return db.session.get_bind().dialect.name


# PostgreSQL's planner costs a page read out of order at 4 times one in order, as on a
# spinning disk. The catalogue is read from memory, where a page costs the same wherever it
# lies; with the default, a search such as "cyber" at EQF level 6 walked 58,000 listings
# newest first (45 ms at 100,000 listings) rather than read the GIN index's 5,500 matches
# (15 ms). Set for the transaction only (SET LOCAL), before its first catalogue statement.
PLANNER_SETTINGS = {"random_page_cost": "1.1"}


def _plan_for_memory() -> None:
    if _dialect() != "postgresql":
        return

    def apply():
        settings = [sa.func.set_config(k, v, True) for k, v in PLANNER_SETTINGS.items()]
        return db.session.execute(sa.select(*settings)).all()

    per_transaction("catalogue.planner_settings", apply)


def _prefix(words: list[str], index: int) -> bool:
    """Whether ``words[index]`` is also matched as the start of longer words: only the last
    word, and only from three characters (as one types; a common start such as "pro" never
    multiplies the work of a query's other words)."""
    return index == len(words) - 1 and len(words[index]) >= 3


def _fts5_expression(words: list[str]) -> str:
    """Each word as a quoted FTS5 string (the last one also a prefix): never syntax."""
    return " ".join(f'"{w}"*' if _prefix(words, i) else f'"{w}"' for i, w in enumerate(words))


def _tsquery(words: list[str], operator: str = "&"):
    """Each word (word characters only) as a ``to_tsquery`` term (the last one also a
    prefix), joined by ``operator``: ``&`` to match, ``|`` to rank (see ``_rank``)."""
    terms = f" {operator} ".join(f"{w}:*" if _prefix(words, i) else w for i, w in enumerate(words))
    return sa.func.to_tsquery(sa.literal_column("'simple'"), terms)


def _rank(words: list[str]):
    """PostgreSQL's relevance of a listing that matches every word (higher is better): each
    word's occurrences, weighted by where they stand (title and keywords, then summary,
    outcomes and provider, then description), as BM25 weighs FTS5's columns. ``ts_rank``
    of the words joined by OR counts exactly that; of the words joined by AND it would
    measure the distance between every pair of their positions instead (several times
    dearer, and a proximity that SQLite's ranking does not have)."""
    return sa.func.ts_rank(SEARCH_VECTOR, _tsquery(words, "|"))


SEARCH_VECTOR = sa.literal_column("listing.search_vector")
LONG_COLUMNS = (Listing.description, Listing.outcomes_text, Listing.public_json)
LIST_OPTIONS = tuple(defer(column) for column in LONG_COLUMNS)  # lists show title and summary


FTS = sa.table("listing_fts", sa.column("rowid"))


def _fts_match(words: list[str]):
    """FTS5's condition for ``words`` (already reduced to word characters)."""
    return sa.text("listing_fts MATCH :fts_query").bindparams(fts_query=_fts5_expression(words))


def _match(words: list[str]):
    """The full-text condition for ``words`` (already reduced to word characters)."""
    if _dialect() == "postgresql":
        return SEARCH_VECTOR.op("@@")(_tsquery(words))
    return Listing.id.in_(sa.select(FTS.c.rowid).where(_fts_match(words)))


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
    choosing an index, see ``_wide_index``)."""
    term = _unindexed if wide else _same
    where = []
    if f.words and fulltext:
        where.append(_match(f.words))
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


def _wide_index(f: Filters) -> bool:
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
        _dialect() == "sqlite"
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
        if _dialect() == "postgresql":
            query = _tsquery(f.words)
            where.insert(0, SEARCH_VECTOR.op("@@")(query))
            rank = (_rank(f.words), True)
        else:
            hits = (
                sa.select(FTS.c.rowid.label("id"), sa.literal_column(BM25).label("rank"))
                .select_from(FTS)
                .where(_fts_match(f.words))
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
    if _dialect() == "postgresql":
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
        rows = sa.select(window, _rank(f.words).label("rank")).join_from(
            window, Listing.__table__, window.c.row_address == ROW_ADDRESS
        )
        return window, rows.subquery("ranked"), True
    where = [_fts_match(f.words), *conditions(f, today, fulltext=False, row=True)]
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
        wide = _wide_index(f)
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


def facet_counts(f: Filters, today: date) -> dict[str, list[tuple[str, str, int]]]:
    """For each filter, the values available and how many listings each would give."""
    status = status_expression(today)
    branches = []

    def branch(name: str, value, label, *extra_where, join=None):
        source = Listing.__table__ if join is None else Listing.__table__.join(*join)
        query = (
            sa.select(
                sa.literal(name).label("facet"),
                sa.cast(value, sa.String).label("value"),
                sa.cast(label, sa.String).label("label"),
                sa.func.count().label("n"),
            )
            .select_from(source)
            .where(*conditions(f, today, skip=name), *extra_where)
            .group_by(value, label)
        )
        branches.append(query)

    branch("status", status, status)
    # Providers: counted from the index by id (a subquery), named from the organisation.
    by_provider = (
        sa.select(Listing.organisation_id.label("id"), sa.func.count().label("n"))
        .where(*conditions(f, today, skip="provider"))
        .group_by(Listing.organisation_id)
        .subquery("by_provider")
    )
    branches.append(
        sa.select(
            sa.literal("provider").label("facet"),
            sa.cast(by_provider.c.id, sa.String).label("value"),
            sa.cast(Organisation.name, sa.String).label("label"),
            by_provider.c.n,
        ).join_from(by_provider, Organisation, Organisation.id == by_provider.c.id)
    )
    branch("country", Listing.country, Listing.country, Listing.country != "")
    branch("eqf", Listing.eqf_level, Listing.eqf_level, Listing.eqf_level.is_not(None))
    branch("field", Listing.isced_broad, Listing.isced_broad, Listing.isced_broad != "")
    branch(
        "participation", Listing.participation, Listing.participation, Listing.participation != ""
    )
    branch(
        "language",
        ListingLanguage.code,
        ListingLanguage.code,
        join=(ListingLanguage.__table__, ListingLanguage.listing_id == Listing.id),
    )
    rows = db.session.execute(sa.union_all(*branches)).all()
    result: dict[str, list[tuple[str, str, int]]] = {name: [] for name in FACETS}
    for facet, value, label, n in rows:
        result[facet].append((value, label, n))
    for name in result:
        result[name].sort(key=lambda item: (-item[2], item[1]))
    if not f.status:  # withdrawn and revoked listings only appear when asked for
        result["status"] = [
            v
            for v in result["status"]
            if v[0] in (PublicStatus.VALID, PublicStatus.CONDITIONS_OPEN, PublicStatus.EXPIRED)
        ]
    return result
