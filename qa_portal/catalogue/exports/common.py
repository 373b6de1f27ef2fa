"""Value formats shared by several exports: dates and times, web addresses, the numbered
list of learning outcomes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any


def iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value else None


def zulu(value: datetime) -> str:
    """A stored (naive UTC) time as an RFC 3339 timestamp with its zone."""
    return value.replace(microsecond=0).isoformat() + "Z"


def web(url: str | None) -> str:
    """``url`` if it is a web address (http or https), else "" (never ``javascript:``…)."""
    url = (url or "").strip()
    return url if url.lower().startswith(("https://", "http://")) else ""


def outcome_lines(data: dict[str, Any]) -> list[str]:
    return [f"{i}. {o.get('statement') or ''}" for i, o in enumerate(data.get("outcomes") or [], 1)]
