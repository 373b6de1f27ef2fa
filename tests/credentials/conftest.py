"""Fixtures of the credential tests: the QA body's credential key, made in the test."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from .helpers import TestKey


@pytest.fixture
def credential_key(monkeypatch):
    """The QA body's current credential key: a fresh Ed25519 key that ``core.keys`` answers
    with (as if ``flask keys create`` had been run); the status list's cache is emptied."""
    from qa_portal.catalogue import status_list
    from qa_portal.core import keys

    private = Ed25519PrivateKey.generate()
    key = TestKey("key-1", private, private.public_key(), keys.issuer_did())
    monkeypatch.setattr(keys, "current_credential_key", lambda: key)
    monkeypatch.setattr(keys, "credential_keys", lambda: [key])
    monkeypatch.setattr(status_list, "_cache", {})
    return key


@pytest.fixture
def travel(monkeypatch):
    """``travel(days)``: the portal's clock runs ``days`` ahead from now on."""
    from qa_portal.core import clock, models

    real = models.utcnow

    def go(days: int) -> None:
        monkeypatch.setattr(clock, "utcnow", lambda: real() + timedelta(days=days))

    return go
