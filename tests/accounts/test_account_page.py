"""The account page: a person changes their name and password."""

from __future__ import annotations

import sqlalchemy as sa

from qa_portal.accounts.models import PasswordResetToken
from qa_portal.core.audit import entries_for
from qa_portal.extensions import db
from tests.accounts.helpers import whoami
from tests.harness import PASSWORD

NEW = "my-new-password-7"


def change(client, current=PASSWORD, new=NEW, confirm=None):
    return client.post(
        "/account",
        data={
            "pw-current_password": current,
            "pw-password": new,
            "pw-confirm": new if confirm is None else confirm,
            "pw-submit": "1",
        },
    )


def test_account_page_needs_sign_in(client):
    response = client.get("/account")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_change_name(client, login, people):
    login(client, people.reviewer)
    response = client.post(
        "/account", data={"profile-name": "  Rita R. Reviewer ", "profile-submit": "1"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert people.reviewer.name == "Rita R. Reviewer"
    assert b"Your name has been saved." in client.get("/account").data
    [entry] = entries_for(people.reviewer)
    assert entry.payload == {"name": ["Rita Reviewer", "Rita R. Reviewer"]}


def test_an_empty_name_is_refused(client, login, people):
    login(client, people.reviewer)
    response = client.post("/account", data={"profile-name": "   ", "profile-submit": "1"})
    assert response.status_code == 400
    assert b'id="profile-name-errors"' in response.data
    db.session.expire_all()
    assert people.reviewer.name == "Rita Reviewer"


def test_wrong_current_password_gets_a_message(client, login, people):
    login(client, people.reviewer)
    response = change(client, current="not-my-password")
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    start = body.find('id="pw-current_password-errors"')
    assert start != -1 and "The current password is not correct." in body[start : start + 300]
    db.session.expire_all()
    assert people.reviewer.check_password(PASSWORD)


def test_weak_new_passwords_get_a_message_next_to_the_field(client, login, people):
    login(client, people.reviewer)
    short = change(client, new="short")
    assert short.status_code == 400 and b'id="pw-password-errors"' in short.data
    as_email = change(client, new=people.reviewer.email)
    body = as_email.get_data(as_text=True)
    start = body.find('id="pw-password-errors"')
    assert start != -1 and "must not be your e-mail address" in body[start : start + 300]
    differ = change(client, confirm="something-else-entirely")
    assert differ.status_code == 400 and b'id="pw-confirm-errors"' in differ.data
    db.session.expire_all()
    assert people.reviewer.check_password(PASSWORD)


def test_changing_the_password_ends_other_sessions_but_not_this_one(
    app, client, people, sign_in, login
):
    sign_in(client, people.reviewer.email)
    other = login(app.test_client(), people.reviewer)
    assert whoami(other) == people.reviewer.email

    response = change(client)
    assert response.status_code == 302
    assert b"other sessions have ended" in client.get("/account").data
    assert whoami(client) == people.reviewer.email
    assert whoami(other) is None

    db.session.expire_all()
    assert people.reviewer.password_hash.startswith("scrypt:")
    assert people.reviewer.check_password(NEW)
    assert [e.action for e in entries_for(people.reviewer)] == ["user.change_password"]
    client.post("/logout")
    assert sign_in(client, people.reviewer.email, PASSWORD).status_code == 400
    assert sign_in(client, people.reviewer.email, NEW).status_code == 302


def test_a_kept_sign_in_survives_the_own_password_change(app, people):
    client = app.test_client()
    client.post(
        "/login", data={"email": people.reviewer.email, "password": PASSWORD, "remember": "y"}
    )
    change(client)
    with client.session_transaction() as session:
        session.clear()  # browser restarted: only the remember-me cookie is left
    assert whoami(client) == people.reviewer.email


def test_changing_the_password_kills_outstanding_reset_links(client, login, people, outbox):
    client.post("/password/forgot", data={"email": people.reviewer.email})
    link = outbox(to=people.reviewer.email)[0].link("/password/reset/")
    login(client, people.reviewer)
    assert change(client).status_code == 302
    assert client.get(link).status_code == 404
    assert db.session.execute(sa.select(PasswordResetToken.used_at)).scalar_one() is not None
