"""When a session ends: signing out, "sign out everywhere" and a password reset end it on the
server, so a copied session or remember-me cookie no longer opens anything."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from qa_portal.config import load_config
from qa_portal.core.audit import entries_for
from tests.accounts.helpers import reset_through, whoami
from tests.harness import PASSWORD

DOMAIN = "qa.test"


def signed_in(app, user, remember: bool = False):
    """A fresh browser signed in as ``user`` through the form."""
    client = app.test_client()
    data = {"email": user.email, "password": PASSWORD}
    if remember:
        data["remember"] = "y"
    assert client.post("/login", data=data).status_code == 302
    return client


def cookie(client, name: str) -> str:
    found = client.get_cookie(name, domain=DOMAIN)
    assert found is not None, f"no {name} cookie"
    return found.value


def replay(app, **cookies):
    """A new browser that carries only the given (copied) cookies."""
    client = app.test_client()
    for name, value in cookies.items():
        client.set_cookie(name, value, domain=DOMAIN)
    return client


def assert_sent_to_sign_in(client):
    response = client.get("/account")
    assert response.status_code == 302, response.status_code
    assert response.headers["Location"].startswith("/login")


def test_the_session_cookie_is_dead_after_signing_out(app, people):
    client = signed_in(app, people.reviewer)
    copied = cookie(client, "session")
    assert whoami(replay(app, session=copied)) == people.reviewer.email

    assert client.post("/logout").status_code == 302
    assert_sent_to_sign_in(replay(app, session=copied))


def test_the_remember_cookie_is_dead_after_signing_out(app, people):
    client = signed_in(app, people.reviewer, remember=True)
    copied = cookie(client, "remember_token")
    assert whoami(replay(app, remember_token=copied)) == people.reviewer.email

    client.post("/logout")
    assert_sent_to_sign_in(replay(app, remember_token=copied))


def test_sign_out_everywhere_ends_every_session(app, people):
    laptop = signed_in(app, people.reviewer)
    phone = signed_in(app, people.reviewer, remember=True)
    remembered = cookie(phone, "remember_token")
    assert b"Sign out everywhere" in laptop.get("/account").data

    response = laptop.post("/account/sessions/end")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    assert_sent_to_sign_in(phone)
    assert_sent_to_sign_in(replay(app, remember_token=remembered))
    assert_sent_to_sign_in(laptop)
    assert [e.action for e in entries_for(people.reviewer)] == ["user.sign_out_everywhere"]
    # signing in again works as before
    assert whoami(signed_in(app, people.reviewer)) == people.reviewer.email


def test_sign_out_everywhere_needs_a_signed_in_person(client):
    response = client.post("/account/sessions/end")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_password_reset_ends_other_sessions(app, client, people, outbox):
    other = signed_in(app, people.reviewer, remember=True)
    remembered = cookie(other, "remember_token")
    client.post("/password/forgot", data={"email": people.reviewer.email})
    link = outbox(to=people.reviewer.email)[0].link("/password/reset/")
    new = "a-new-password-after-reset"
    assert reset_through(client, link, new).status_code == 302

    assert_sent_to_sign_in(other)
    assert_sent_to_sign_in(replay(app, remember_token=remembered))


def test_the_remember_cookie_lasts_30_days_at_most(app, people):
    assert app.config["REMEMBER_COOKIE_DURATION"] <= timedelta(days=30)
    client = signed_in(app, people.reviewer, remember=True)
    remembered = client.get_cookie("remember_token", domain=DOMAIN)
    assert remembered.expires is not None
    assert remembered.expires <= datetime.now(UTC) + timedelta(days=30, minutes=1)
    assert remembered.http_only and remembered.same_site == "Lax"


def test_cookies_are_secure_in_production_only(tmp_path, monkeypatch):
    monkeypatch.setenv("QA_PORTAL_ENV", "production")
    production = load_config(str(tmp_path))
    monkeypatch.setenv("QA_PORTAL_ENV", "development")
    development = load_config(str(tmp_path))
    for name in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"):
        assert production[name] is True and development[name] is False
    for config in (production, development):
        assert config["REMEMBER_COOKIE_HTTPONLY"] is True
        assert config["REMEMBER_COOKIE_SAMESITE"] == "Lax"
        assert config["REMEMBER_COOKIE_DURATION"] <= timedelta(days=30)
