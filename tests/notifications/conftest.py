"""Fixtures for the notification tests: a real SMTP server on loopback."""

from __future__ import annotations

import pytest

from tests.notifications.smtp import SmtpServer


@pytest.fixture
def smtp(app, monkeypatch):
    """A real SMTP server on 127.0.0.1 (a free port); the app delivers to it for this test."""
    server = SmtpServer().up()
    monkeypatch.setitem(app.config, "MAIL_SERVER", server.host)
    monkeypatch.setitem(app.config, "MAIL_PORT", server.port)
    monkeypatch.setitem(app.config, "MAIL_TIMEOUT", 5.0)
    yield server
    server.down()
