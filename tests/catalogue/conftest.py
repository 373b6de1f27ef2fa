"""Fixtures for the catalogue (the published listings come from tests/fixtures/catalogue.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest


@pytest.fixture
def travel(monkeypatch):
    """``travel(days)``: the portal's clock runs ``days`` ahead from now on (for expiry)."""
    from qa_portal.core import clock, models

    real = models.utcnow

    def go(days: int) -> None:
        monkeypatch.setattr(clock, "utcnow", lambda: real() + timedelta(days=days))

    return go
