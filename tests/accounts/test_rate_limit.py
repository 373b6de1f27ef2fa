"""POST /login is rate limited ("10 per minute" per address), with a friendly 429 page.

The shared test app runs with RATELIMIT_ENABLED False; these build a second app with the limit
on. Flask-Limiter and Celery keep their state on module-level objects, so the fixture puts
them back for the shared app afterwards.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from qa_portal import create_app
from qa_portal.config import load_config
from qa_portal.core.jobs import init_celery
from qa_portal.extensions import db, limiter
from tests import harness as base

EMPTY = {"email": "", "password": ""}  # refused without a password check, but counted


@pytest.fixture
def limited_app(app, database_url):
    built = []

    def build(**extra):
        tmp = Path(app.config["UPLOAD_DIR"]).parent  # the same folders as the shared app
        config = base.test_config(database_url, tmp) | {"RATELIMIT_ENABLED": True} | extra
        built.append(create_app(config))
        limiter.reset()
        return built[-1]

    yield build
    limiter.reset()
    limiter.init_app(app)  # RATELIMIT_ENABLED False again for the shared app
    init_celery(app)
    for other in built:
        with other.app_context():
            db.engine.dispose()


def test_login_posts_are_limited_to_ten_a_minute(limited_app):
    client = limited_app().test_client()
    for _ in range(10):
        assert client.post("/login", data=EMPTY).status_code == 400
    blocked = client.post("/login", data={"email": "a@b.example", "password": "whatever-pw"})
    assert blocked.status_code == 429
    assert b"Too many requests" in blocked.data
    assert b"Please wait a moment and try again." in blocked.data
    assert b"<nav" in blocked.data  # the portal's own page, not a bare error

    assert client.get("/login").status_code == 200  # reading the form is not limited


def test_each_address_has_its_own_budget(limited_app):
    app = limited_app()
    first, second = app.test_client(), app.test_client()
    second.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    for _ in range(10):
        first.post("/login", data=EMPTY)
    assert first.post("/login", data=EMPTY).status_code == 429
    assert second.post("/login", data=EMPTY).status_code == 400


def test_behind_a_trusted_proxy_the_visitor_address_counts(limited_app):
    app = limited_app(TRUSTED_PROXIES=1)
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "10.0.0.2"  # the reverse proxy
    for _ in range(10):
        response = client.post("/login", data=EMPTY, headers={"X-Forwarded-For": "203.0.113.5"})
        assert response.status_code == 400
    blocked = client.post("/login", data=EMPTY, headers={"X-Forwarded-For": "203.0.113.5"})
    assert blocked.status_code == 429
    other = client.post("/login", data=EMPTY, headers={"X-Forwarded-For": "203.0.113.9"})
    assert other.status_code == 400


def test_the_shared_test_app_is_not_limited(client):
    for _ in range(12):
        assert client.post("/login", data=EMPTY).status_code == 400


PRODUCTION = {"ENV_MODE": "production", "RATELIMIT_STORAGE_URI": "memory://"}


def test_production_refuses_limits_counted_in_one_process(limited_app):
    with pytest.raises(RuntimeError, match="RATELIMIT_STORAGE_URI=redis"):
        limited_app(**PRODUCTION)


def test_production_accepts_memory_for_a_declared_single_process(limited_app):
    app = limited_app(**PRODUCTION, RATELIMIT_SINGLE_PROCESS=True)
    assert app.config["ENV_MODE"] == "production"


def test_production_accepts_a_shared_store(limited_app):
    app = limited_app(**PRODUCTION | {"RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/15"})
    assert app.config["RATELIMIT_STORAGE_URI"].startswith("redis://")


def test_the_single_process_setting_is_read_from_the_environment(monkeypatch, tmp_path):
    assert load_config(str(tmp_path))["RATELIMIT_SINGLE_PROCESS"] is False
    monkeypatch.setenv("RATELIMIT_SINGLE_PROCESS", "1")
    assert load_config(str(tmp_path))["RATELIMIT_SINGLE_PROCESS"] is True


def test_a_rate_limited_request_is_logged(limited_app, security_log):
    client = limited_app().test_client()
    for _ in range(10):
        client.post("/login", data=EMPTY)
    assert security_log.records("access.rate_limited") == []
    blocked = client.post("/login", data=EMPTY)
    assert blocked.status_code == 429
    record = security_log.one("access.rate_limited")
    assert record["request_id"] == blocked.headers["X-Request-ID"]
    assert (record["ip"], record["path"], record["endpoint"]) == (
        "127.0.0.1",
        "/login",
        "accounts.login",
    )
    assert record["status"] == 429 and "10 per 1 minute" in record["reason"]
