"""Password reset by e-mailed link: written, single use, expiring, no enumeration; the
token leaves the address bar at once (the link answers 303 to a form without it, which
works from the browser's session)."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from qa_portal.accounts.models import AccountStatus, PasswordResetToken, Role
from qa_portal.core.audit import entries_for
from qa_portal.core.db import commit
from qa_portal.core.mail import OutboxMessage
from qa_portal.core.models import utcnow
from qa_portal.extensions import db
from tests.accounts.helpers import RESET_FORM, open_reset_link, reset_through, whoami
from tests.harness import PASSWORD

NEW = "a-fresh-password-42"
SAME_ANSWER = b"If an active account uses this address"


def ask_for_link(client, email_address, outbox):
    response = client.post("/password/forgot", data={"email": email_address})
    assert response.status_code == 302
    mails = outbox(to=email_address)
    assert mails, "no reset e-mail was written"
    return mails[-1].link("/password/reset/")


def test_reset_email_is_written_with_a_working_link(client, people, outbox, sign_in):
    user = people.provider_a
    response = client.post("/password/forgot", data={"email": user.email})
    assert response.status_code == 302
    page = client.get(response.headers["Location"])
    assert SAME_ANSWER in page.data

    [mail] = outbox(to=user.email)
    assert mail.row.sent_at is not None
    assert mail.subject == "Reset your QA Portal password"
    assert user.name in mail.body
    link = mail.link("/password/reset/")

    open_reset_link(client, link)
    form = client.get(RESET_FORM)
    assert form.status_code == 200
    assert b"Choose a new password" in form.data
    done = client.post(RESET_FORM, data={"password": NEW, "confirm": NEW})
    assert done.status_code == 302

    assert sign_in(client, user.email, PASSWORD).status_code == 400
    assert sign_in(client, user.email, NEW).status_code == 302
    assert whoami(client) == user.email
    actions = [e.action for e in entries_for(user)]
    assert "user.password_reset_requested" in actions
    assert "user.password_reset" in actions


def test_the_token_is_stored_only_as_a_hash(client, people, outbox):
    link = ask_for_link(client, people.reviewer.email, outbox)
    token = link.rsplit("/", 1)[-1]
    stored = db.session.execute(sa.select(PasswordResetToken.token_hash)).scalars().all()
    assert len(stored) == 1 and token not in stored[0]


def test_a_link_works_only_once(client, people, outbox):
    link = ask_for_link(client, people.reviewer.email, outbox)
    assert reset_through(client, link, NEW).status_code == 302
    again = client.get(link)
    assert again.status_code == 404
    assert b"This link no longer works" in again.data
    other = "yet-another-pass"
    reuse = client.post(RESET_FORM, data={"password": other, "confirm": other})
    assert reuse.status_code == 404
    assert b"This link no longer works" in reuse.data
    db.session.expire_all()
    assert people.reviewer.check_password(NEW)


def test_an_expired_link_does_not_work(client, people, outbox):
    link = ask_for_link(client, people.reviewer.email, outbox)
    row = db.session.execute(sa.select(PasswordResetToken)).scalar_one()
    row.expires_at = utcnow() - timedelta(minutes=1)
    commit()
    assert client.get(link).status_code == 404
    response = client.post(RESET_FORM, data={"password": NEW, "confirm": NEW})
    assert response.status_code == 404
    db.session.expire_all()
    assert people.reviewer.check_password(PASSWORD)


def test_a_link_that_expires_after_it_was_opened_stops_working(client, people, outbox):
    link = ask_for_link(client, people.reviewer.email, outbox)
    open_reset_link(client, link)
    row = db.session.execute(sa.select(PasswordResetToken)).scalar_one()
    row.expires_at = utcnow() - timedelta(minutes=1)
    commit()
    assert client.get(RESET_FORM).status_code == 404
    assert client.post(RESET_FORM, data={"password": NEW, "confirm": NEW}).status_code == 404
    db.session.expire_all()
    assert people.reviewer.check_password(PASSWORD)


def test_the_link_lives_as_configured(app, client, people, outbox):
    ask_for_link(client, people.reviewer.email, outbox)
    row = db.session.execute(sa.select(PasswordResetToken)).scalar_one()
    lifetime = row.expires_at - row.created_at
    assert abs(lifetime - timedelta(hours=app.config["PASSWORD_RESET_HOURS"])) < timedelta(
        minutes=1
    )


def test_a_reset_kills_every_other_outstanding_link(client, people, outbox):
    first = ask_for_link(client, people.reviewer.email, outbox)
    second = ask_for_link(client, people.reviewer.email, outbox)
    assert first != second
    assert reset_through(client, second, NEW).status_code == 302
    assert client.get(first).status_code == 404


def test_a_reset_ends_existing_sessions(app, client, people, outbox, login):
    other = login(app.test_client(), people.reviewer)
    assert whoami(other) == people.reviewer.email
    link = ask_for_link(client, people.reviewer.email, outbox)
    assert reset_through(client, link, NEW).status_code == 302
    assert whoami(other) is None


def test_forgot_password_answers_the_same_for_unknown_addresses(client, people, outbox):
    known = client.post("/password/forgot", data={"email": people.reviewer.email})
    unknown = client.post("/password/forgot", data={"email": "ghost@nowhere.example"})
    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"]
    assert SAME_ANSWER in client.get(unknown.headers["Location"]).data
    assert [m.to for m in outbox()] == [people.reviewer.email]


def test_forgot_password_sends_nothing_to_inactive_accounts(client, people, make_user, outbox):
    for status in (AccountStatus.PENDING, AccountStatus.DISABLED, AccountStatus.REJECTED):
        user = make_user(Role.PROVIDER, org=people.org_a, status=status)
        response = client.post("/password/forgot", data={"email": user.email})
        assert response.status_code == 302
    assert outbox() == []
    assert db.session.execute(sa.select(sa.func.count(PasswordResetToken.id))).scalar() == 0


def test_forgot_password_needs_an_address(client):
    response = client.post("/password/forgot", data={"email": ""})
    assert response.status_code == 400
    assert b'id="email-errors"' in response.data


def test_weak_passwords_are_refused_next_to_the_field(client, people, outbox):
    link = ask_for_link(client, people.reviewer.email, outbox)
    open_reset_link(client, link)
    short = client.post(RESET_FORM, data={"password": "short", "confirm": "short"})
    assert short.status_code == 400
    assert b'id="password-errors"' in short.data
    assert b"at least 10 characters" in short.data

    email = people.reviewer.email
    same_as_email = client.post(RESET_FORM, data={"password": email, "confirm": email})
    assert same_as_email.status_code == 400
    assert b'id="password-errors"' in same_as_email.data
    assert b"must not be your e-mail address" in same_as_email.data

    differ = client.post(RESET_FORM, data={"password": NEW, "confirm": NEW + "x"})
    assert differ.status_code == 400
    assert b'id="confirm-errors"' in differ.data

    # Refusals do not use up the link.
    assert client.post(RESET_FORM, data={"password": NEW, "confirm": NEW}).status_code == 302


def test_a_disabled_account_cannot_use_an_old_link(client, people, outbox):
    from qa_portal.accounts import operations

    link = ask_for_link(client, people.reviewer.email, outbox)
    open_reset_link(client, link)
    operations.set_user_status(people.admin, people.reviewer, AccountStatus.DISABLED)
    commit()
    assert client.get(link).status_code == 404
    assert client.get(RESET_FORM).status_code == 404


def test_an_unsendable_email_stays_queued_and_the_request_succeeds(
    app, client, people, monkeypatch
):
    import socket

    with socket.socket() as probe:  # a port nobody listens on: the SMTP server is down
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", port)
    response = client.post("/password/forgot", data={"email": people.reviewer.email})
    assert response.status_code == 302
    row = db.session.execute(sa.select(OutboxMessage)).scalar_one()
    assert row.sent_at is None and "ConnectionRefusedError" in row.last_error


def test_the_reset_page_leaks_the_token_nowhere(client, people, outbox):
    link = ask_for_link(client, people.reviewer.email, outbox)
    for page in (client.get(link), client.get(RESET_FORM)):
        assert page.headers["Referrer-Policy"] == "no-referrer"
        assert "no-store" in page.headers["Cache-Control"]
    bad = client.get("/password/reset/not-a-token")
    assert bad.status_code == 404 and bad.headers["Referrer-Policy"] == "no-referrer"


# -- the token leaves the address bar at once ----------------------------------------------
def _token(link: str) -> str:
    return link.rsplit("/", 1)[-1]


def test_the_link_sends_the_browser_on_to_an_address_without_the_token(app, client, people, outbox):
    link = ask_for_link(client, people.reviewer.email, outbox)
    opened = client.get(link)
    assert opened.status_code == 303
    assert opened.headers["Location"] == RESET_FORM
    assert _token(link) not in opened.headers["Location"]
    form = client.get(opened.headers["Location"])
    assert form.status_code == 200
    assert _token(link) not in form.get_data(as_text=True)
    # the session remembers which link was opened, never the token itself
    session_cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"], domain="qa.test")
    assert _token(link) not in session_cookie.value
    with client.session_transaction() as session:
        assert _token(link) not in str(dict(session))


def test_the_form_works_from_the_session_of_the_browser_that_opened_the_link(
    app, client, people, outbox
):
    link = ask_for_link(client, people.reviewer.email, outbox)
    open_reset_link(client, link)
    elsewhere = app.test_client()
    refused = elsewhere.post(RESET_FORM, data={"password": NEW, "confirm": NEW})
    assert refused.status_code == 404
    assert b"This link no longer works" in refused.data
    assert client.post(RESET_FORM, data={"password": NEW, "confirm": NEW}).status_code == 302
    db.session.expire_all()
    assert people.reviewer.check_password(NEW)


def test_opening_the_link_does_not_use_it_up(client, people, outbox):
    link = ask_for_link(client, people.reviewer.email, outbox)
    open_reset_link(client, link)
    open_reset_link(client, link)  # reloaded, or opened again from the e-mail
    assert db.session.execute(sa.select(PasswordResetToken.used_at)).scalar_one() is None


def test_the_link_replayed_after_use_fails_cleanly(app, client, people, outbox):
    link = ask_for_link(client, people.reviewer.email, outbox)
    assert reset_through(client, link, NEW).status_code == 302
    for browser in (client, app.test_client()):  # the same browser, and a copy of the link
        replay = browser.get(link)
        assert replay.status_code == 404
        assert b"This link no longer works" in replay.data
        assert RESET_FORM not in replay.headers.get("Location", "")
        assert browser.get(RESET_FORM).status_code == 404
    db.session.expire_all()
    assert people.reviewer.check_password(NEW)


def test_the_form_without_an_opened_link_explains_itself(client):
    for response in (client.get(RESET_FORM), client.post(RESET_FORM, data={"password": NEW})):
        assert response.status_code == 404
        assert b"This link no longer works" in response.data
        assert b"Ask for a new link" in response.data


def test_the_token_route_takes_no_form(client, people, outbox):
    link = ask_for_link(client, people.reviewer.email, outbox)
    assert client.post(link, data={"password": NEW, "confirm": NEW}).status_code == 405
    db.session.expire_all()
    assert people.reviewer.check_password(PASSWORD)


# -- the link's address never comes from the request ----------------------------------------
FORGED = {"Host": "evil.example"}


def test_the_reset_link_uses_the_public_base_url_whatever_the_host_header(
    app, client, people, outbox, monkeypatch
):
    monkeypatch.setitem(app.config, "SERVER_NAME", None)
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://portal.example/qa")
    user = people.provider_a
    assert client.post("/password/forgot", data={"email": user.email}, headers=FORGED).status_code
    [mail] = outbox(to=user.email)
    assert "https://portal.example/qa/password/reset/" in mail.body
    assert "evil.example" not in mail.body


def test_without_a_public_base_url_development_links_point_at_the_local_server(
    app, client, people, outbox, monkeypatch
):
    monkeypatch.setitem(app.config, "SERVER_NAME", None)
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", None)
    user = people.provider_a
    assert client.post("/password/forgot", data={"email": user.email}, headers=FORGED).status_code
    [mail] = outbox(to=user.email)
    assert "http://127.0.0.1:5000/password/reset/" in mail.body
    assert "evil.example" not in mail.body
