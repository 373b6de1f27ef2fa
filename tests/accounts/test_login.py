"""Signing in and out, and when a session ends."""

from __future__ import annotations

import pytest
from werkzeug.security import generate_password_hash

from qa_portal.accounts import operations
from qa_portal.accounts.models import AccountStatus, Role
from qa_portal.core.db import commit
from tests.accounts.helpers import whoami
from tests.harness import PASSWORD

SAME_MESSAGE = b"The e-mail address or password is not correct, or the account is not active yet."


def test_valid_login_signs_in_and_records_the_time(client, people, sign_in):
    response = sign_in(client, people.provider_a.email)
    assert response.status_code == 302
    assert whoami(client) == people.provider_a.email
    assert people.provider_a.last_login_at is not None


def test_login_ignores_case_and_spaces_in_the_email(client, people, sign_in):
    response = sign_in(client, f"  {people.admin.email.upper()} ")
    assert response.status_code == 302
    assert whoami(client) == people.admin.email


def test_wrong_password_and_unknown_email_get_the_same_answer(client, people, sign_in):
    wrong = sign_in(client, people.provider_a.email, "not-the-password")
    unknown = sign_in(client, "nobody@nowhere.example", PASSWORD)
    assert wrong.status_code == unknown.status_code == 400
    assert SAME_MESSAGE in wrong.data and SAME_MESSAGE in unknown.data
    assert whoami(client) is None


def test_unknown_email_still_spends_a_password_check(client, people, sign_in, monkeypatch):
    """No shortcut for unknown addresses: the time taken must not reveal which accounts exist."""
    import qa_portal.accounts.models as models

    calls = []
    real = models.check_password_hash
    monkeypatch.setattr(models, "check_password_hash", lambda h, p: calls.append(h) or real(h, p))
    sign_in(client, "nobody@nowhere.example", PASSWORD)
    assert len(calls) == 1 and calls[0].startswith("scrypt:")


@pytest.mark.parametrize(
    "status", [AccountStatus.PENDING, AccountStatus.REJECTED, AccountStatus.DISABLED]
)
def test_inactive_accounts_cannot_sign_in(client, people, make_user, sign_in, status):
    user = make_user(Role.PROVIDER, org=people.org_a, status=status)
    response = sign_in(client, user.email)
    assert response.status_code == 400
    assert SAME_MESSAGE in response.data
    assert whoami(client) is None


def test_empty_form_gets_messages_next_to_the_fields(client, people):
    response = client.post("/login", data={"email": "", "password": ""})
    assert response.status_code == 400
    assert b'id="email-errors"' in response.data
    assert b'id="password-errors"' in response.data


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [
        ("/dossiers/", "/dossiers/"),
        ("/account?tab=1", "/account?tab=1"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        # "/<tab>/evil.example" (browsers drop the tab): control characters in the query
        # string are refused before the sign-in form is even read
        ("%2F%09%2Fevil.example", 400),
        ("%2F%0A%2Fevil.example", 400),
        ("javascript:alert(1)", "/"),
    ],
)
def test_next_only_follows_local_paths(client, people, sign_in, next_url, expected):
    response = sign_in(client, people.admin.email, next_url=next_url)
    if expected == 400:
        assert response.status_code == 400 and "Location" not in response.headers
        assert whoami(client) is None
        return
    assert response.status_code == 302
    location = response.headers["Location"]
    if expected == "/":
        assert location in {"/", "http://qa.test/"}
    else:
        assert location == expected


def test_signed_in_user_visiting_login_is_sent_on(client, people, login):
    login(client, people.provider_a)
    response = client.get("/login")
    assert response.status_code == 302


def test_sign_out(client, people, sign_in):
    sign_in(client, people.officer.email)
    assert whoami(client) == people.officer.email
    response = client.post("/logout")
    assert response.status_code == 302
    assert whoami(client) is None
    assert client.get("/account").status_code == 302  # back to the sign-in page


def test_sign_out_needs_a_post(client, people, login):
    login(client, people.officer)
    assert client.get("/logout").status_code == 405
    assert whoami(client) == people.officer.email


def test_password_is_stored_as_scrypt_hash(people):
    user = people.reviewer
    user.set_password("a-brand-new-password")
    commit()
    assert user.password_hash.startswith("scrypt:")
    assert "a-brand-new-password" not in user.password_hash
    assert user.check_password("a-brand-new-password")
    assert not user.check_password(PASSWORD)


def test_new_accounts_get_scrypt_hashes(people):
    user = operations.create_user(
        people.admin, email="new@reviewers.example", name="New", password="long-enough-pw"
    )
    commit()
    assert user.password_hash.startswith("scrypt:")


def test_password_change_elsewhere_ends_the_session(client, people, login):
    login(client, people.reviewer)
    assert whoami(client) == people.reviewer.email
    people.reviewer.set_password("another-long-password")
    commit()
    assert whoami(client) is None


def test_disabling_the_account_ends_the_session(client, people, login):
    login(client, people.reviewer)
    assert whoami(client) == people.reviewer.email
    operations.set_user_status(people.admin, people.reviewer, AccountStatus.DISABLED)
    commit()
    assert whoami(client) is None
    # Enabled again, the old session stays ended: the person signs in anew.
    operations.set_user_status(people.admin, people.reviewer, AccountStatus.ACTIVE)
    commit()
    assert whoami(client) is None


def test_remember_me_cookie_also_ends_with_a_password_change(app, people, sign_in):
    client = app.test_client()
    client.post(
        "/login", data={"email": people.reviewer.email, "password": PASSWORD, "remember": "y"}
    )
    assert client.get_cookie("remember_token", domain="qa.test") is not None
    assert client.get_cookie("remember_token", domain="qa.test").same_site == "Lax"
    with client.session_transaction() as session:
        session.clear()  # the browser was closed: only the remember-me cookie is left
    assert whoami(client) == people.reviewer.email
    people.reviewer.password_hash = generate_password_hash("x-another-password")
    people.reviewer.auth_epoch += 1
    commit()
    with client.session_transaction() as session:
        session.clear()
    assert whoami(client) is None


@pytest.mark.parametrize("session_id", ["abc", "1", "1:x", ":", "999:1"])
def test_a_malformed_or_stale_session_is_simply_signed_out(client, people, session_id):
    with client.session_transaction() as session:
        session["_user_id"] = session_id
    assert whoami(client) is None
    assert client.get("/").status_code == 200


def test_signing_out_forgets_the_remembered_sign_in(app, people):
    client = app.test_client()
    client.post(
        "/login", data={"email": people.reviewer.email, "password": PASSWORD, "remember": "y"}
    )
    client.post("/logout")
    assert client.get_cookie("remember_token", domain="qa.test") is None
    assert whoami(client) is None
