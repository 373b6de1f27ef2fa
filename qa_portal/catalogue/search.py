"""Catalogue search: full text, filters with counts, sorting and pagination.

User input is treated as words, never as query syntax: the text is split into word
characters and each word becomes a quoted prefix term (FTS5 on SQLite, ``to_tsquery`` on
PostgreSQL), so quotes, ``AND``, ``NEAR(``, ``*`` or ``title:`` are just text. One statement
returns a page of results with the total; one more returns every filter's counts (each
filter's counts ignore that filter itself, so the choices stay visible).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from typing import Any

import pycountry
import sqlalchemy as sa

from qa_portal.catalogue.models import (
    ConditionsStatus,
    Listing,
    ListingLanguage,
    ListingState,
    PublicStatus,
)
from qa_portal.core.errors import InvalidInput
from qa_portal.dossiers import isced
from qa_portal.dossiers.models import Participation
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
    f = Filters(q=(args.get("q") or "")[:200])
    f.provider = _number(args, "provider", int, 1, 2**31 - 1, "Provider")
    country = (args.get("country") or "").strip().upper()
    if country and pycountry.countries.get(alpha_2=country) is None:
        raise InvalidInput(f"Country: “{country}” is not an ISO 3166 country code.")
    f.country = country
    f.eqf = _number(args, "eqf", int, 1, 8, "EQF level")
    field_code = (args.get("field") or "").strip()
    if field_code and field_code not in isced.DETAILED and field_code not in isced.BROAD:
        raise InvalidInput(f"Field of study: “{field_code}” is not an ISCED-F code.")
    f.field = field_code
    participation = (args.get("participation") or "").strip()
    if participation and participation not in {p.value for p in Participation}:
        raise InvalidInput("Form of participation: choose online, in_person or blended.")
    f.participation = participation
    language = (args.get("language") or "").strip().lower()
    if language and pycountry.languages.get(alpha_2=language) is None:
        raise InvalidInput(f"Language: “{language}” is not an ISO 639-1 code.")
    f.language = language
    f.ects_min = _number(args, "ects_min", float, 0, 400, "Minimum ECTS")
    f.ects_max = _number(args, "ects_max", float, 0, 400, "Maximum ECTS")
    if f.ects_min is not None and f.ects_max is not None and f.ects_min > f.ects_max:
        raise InvalidInput("The minimum ECTS is larger than the maximum.")
    status = (args.get("status") or "").strip()
    if status and status not in {s.value for s in PublicStatus}:
        raise InvalidInput("Status: choose valid, conditions_open, expired, withdrawn or revoked.")
    f.status = status
    sort = (args.get("sort") or "").strip()
    if sort and sort not in SORTS:
        raise InvalidInput("Sort: choose relevance, date or title.")
    f.sort = sort
    f.page = _number(args, "page", int, 1, 100_000, "Page") or 1
    f.per_page = (
        _number(args, "per_page", int, 1, MAX_PER_PAGE, "Results per page") or DEFAULT_PER_PAGE
    )
    return f


# -- SQL ----------------------------------------------------------------------------------
def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _match(words: list[str]):
    """The full-text condition for ``words`` (already reduced to word characters)."""
    if _dialect() == "postgresql":
        terms = " & ".join(f"{w}:*" if len(w) >= 3 else w for w in words)
        return sa.literal_column("listing.search_vector").op("@@")(
            sa.func.to_tsquery(sa.literal_column("'simple'"), terms)
        )
    expression = " ".join(f'"{w}"*' if len(w) >= 3 else f'"{w}"' for w in words)
    fts = sa.table("listing_fts", sa.column("rowid"))
    return Listing.id.in_(
        sa.select(fts.c.rowid).where(
            sa.text("listing_fts MATCH :fts_query").bindparams(fts_query=expression)
        )
    )


def status_expression(today: date):
    return sa.case(
        (Listing.state == ListingState.WITHDRAWN, PublicStatus.WITHDRAWN.value),
        (Listing.state == ListingState.REVOKED, PublicStatus.REVOKED.value),
        (
            sa.and_(Listing.valid_until < today, sa.not_(Listing.renewal_pending)),
            PublicStatus.EXPIRED.value,
        ),
        (Listing.conditions == ConditionsStatus.OPEN, PublicStatus.CONDITIONS_OPEN.value),
        else_=PublicStatus.VALID.value,
    )


def conditions(f: Filters, today: date, skip: str = "") -> list:
    where = []
    if f.words:
        where.append(_match(f.words))
    if skip != "status":
        if f.status:
            where.append(status_expression(today) == f.status)
        else:
            where.append(Listing.state == ListingState.VALID)
    elif not f.status:
        where.append(Listing.state == ListingState.VALID)
    if f.provider and skip != "provider":
        where.append(Listing.organisation_id == f.provider)
    if f.country and skip != "country":
        where.append(Listing.country == f.country)
    if f.eqf and skip != "eqf":
        where.append(Listing.eqf_level == f.eqf)
    if f.field and skip != "field":
        column = Listing.isced_broad if len(f.field) == 2 else Listing.isced_code
        where.append(column == f.field)
    if f.participation and skip != "participation":
        where.append(Listing.participation == f.participation)
    if f.language and skip != "language":
        where.append(
            Listing.id.in_(
                sa.select(ListingLanguage.listing_id).where(ListingLanguage.code == f.language)
            )
        )
    if f.ects_min is not None:
        where.append(Listing.ects >= f.ects_min)
    if f.ects_max is not None:
        where.append(Listing.ects <= f.ects_max)
    return where


def ordering(f: Filters):
    sort = f.effective_sort
    if sort == "title":
        return [sa.func.lower(Listing.title), Listing.id]
    if sort == "relevance":
        if _dialect() == "postgresql":
            terms = " & ".join(f"{w}:*" if len(w) >= 3 else w for w in f.words)
            rank = sa.func.ts_rank(
                sa.literal_column("listing.search_vector"),
                sa.func.to_tsquery(sa.literal_column("'simple'"), terms),
            )
            return [rank.desc(), Listing.published_at.desc(), Listing.id]
        expression = " ".join(f'"{w}"*' if len(w) >= 3 else f'"{w}"' for w in f.words)
        fts = sa.table("listing_fts", sa.column("rowid"))
        rank = (
            sa.select(sa.literal_column(BM25))
            .select_from(fts)
            .where(
                sa.text("listing_fts MATCH :rank_query").bindparams(rank_query=expression),
                fts.c.rowid == Listing.id,
            )
            .scalar_subquery()
        )
        return [rank, Listing.published_at.desc(), Listing.id]
    return [Listing.published_at.desc(), Listing.id.desc()]


@dataclass
class Page:
    items: list[Listing]
    total: int
    filters: Filters
    facets: dict[str, list[tuple[str, str, int]]] = field(default_factory=dict)

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
    """One page of listings (one statement), and optionally the filter counts (one more)."""
    total = sa.func.count().over().label("total")
    query = (
        sa.select(Listing, total)
        .where(*conditions(f, today))
        .order_by(*ordering(f))
        .limit(f.per_page)
        .offset((f.page - 1) * f.per_page)
    )
    rows = db.session.execute(query).all()
    count = rows[0].total if rows else 0
    if not rows and f.page > 1:  # past the end: still report the total
        count = db.session.execute(
            sa.select(sa.func.count()).select_from(Listing).where(*conditions(f, today))
        ).scalar_one()
    page = Page([row[0] for row in rows], count, f)
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
    branch("provider", Listing.organisation_id, Listing.provider_name)
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
