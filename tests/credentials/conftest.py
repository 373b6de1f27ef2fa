"""Fixtures of the credential tests (the credential key: tests/fixtures/credentials.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest


@pytest.fixture
def travel(monkeypatch):
    """``travel(days)``: the portal's clock runs ``days`` ahead from now on."""
    from qa_portal.core import clock, models

    real = models.utcnow

    def go(days: int) -> None:
        monkeypatch.setattr(clock, "utcnow", lambda: real() + timedelta(days=days))

    return go
