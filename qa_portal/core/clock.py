"""Today's date (UTC), in one place so that tests can move it."""

from __future__ import annotations

from datetime import date

from qa_portal.core.models import utcnow


def today() -> date:
    return utcnow().date()
