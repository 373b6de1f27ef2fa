"""The catalogue's search filters, read from a query string and validated: each bad value is
refused with a message naming it (InvalidInput, a 400)."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, replace
from typing import Any

import pycountry

from qa_portal.catalogue.models import PublicStatus
from qa_portal.core.errors import InvalidInput
from qa_portal.dossiers import isced
from qa_portal.dossiers.models import Participation

MAX_WORDS = 12
MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 20
SORTS = ("relevance", "date", "title")
WORD = re.compile(r"\w+", re.UNICODE)


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
