"""Registration and "forgot password" answer the same for an address with an account and one
without: the same status and page, the same SQL during the request, and the costly work
(password hashing, e-mail) only after the response has been sent."""

from __future__ import annotations

import re
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from qa_portal.accounts import queries
from qa_portal.accounts.models import AccountStatus, PasswordResetToken, Role, User
from qa_portal.core.mail import OutboxMessage
from qa_portal.extensions import db
from tests.accounts.test_registration import form
from tests.harness import PASSWORD, end_transaction
from tests.helpers import count

UNKNOWN = "nora@new-college.example"


@contextmanager
def sql_sent():
    """The SQL statements sent while the block runs."""
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def same_page(response, address: str) -> str:
    """The page with the typed address and any CSRF token blanked out."""
    text = response.get_data(as_text=True).replace(address, "ADDRESS")
    return re.sub(r'name="csrf_token"[^>]*value="[^"]*"', 'name="csrf_token"', text)


def answer(client, url: str, data: dict, address: str):
    """POST, and what happened before the response was closed: (response, the SQL sent,
    how many e-mails were queued)."""
    client.get(url)  # the same cached state (the QA body's name) before each request
    mails = count(OutboxMessage)
    with sql_sent() as statements:
        response = client.post(url, data=data, buffered=False)
    queued = count(OutboxMessage) - mails
    response.close()  # the server has sent it: the work after the response runs now
    end_transaction(db.session())  # the test reads what that work committed
    return response, statements, queued


@pytest.fixture
def existing(people, make_user):
    """An address with an account in each state but rejected (which may register again)."""
    return {
        "active": people.provider_a,
        "pending": make_user(Role.PROVIDER, org=people.org_a, status=AccountStatus.PENDING),
        "disabled": make_user(Role.PROVIDER, org=people.org_a, status=AccountStatus.DISABLED),
    }


@pytest.mark.parametrize("state", ["active", "pending", "disabled"])
def test_registration_answers_alike_and_tells_the_owner(client, people, outbox, existing, state):
    owner = existing[state]
    status, name = owner.status, owner.name
    users = count(User)
    new, new_sql, new_before = answer(client, "/register", form(), UNKNOWN)
    known_data = form(email=owner.email.upper(), organisation_name="New College Two")
    known_data["domain"] = "new-college-two.example"
    unknown_data = form(email="olga@new-college-two.example", organisation_name="New College Two")
    unknown_data["domain"] = "new-college-two.example"
    known, known_sql, known_before = answer(client, "/register", known_data, owner.email)
    unknown, unknown_sql, unknown_before = answer(
        client, "/register", unknown_data, "olga@new-college-two.example"
    )

    assert new.status_code == known.status_code == unknown.status_code == 200
    assert same_page(known, owner.email.upper()) == same_page(
        unknown, "olga@new-college-two.example"
    )
    assert known_sql == unknown_sql  # no look-up of the address during the request
    assert new_before == known_before == unknown_before == 0  # nothing mailed yet

    [notice] = outbox(to=owner.email)
    assert notice.subject == "Someone tried to register with your address"
    assert "already has an account" in notice.body and "If it was you, sign in" in notice.body
    assert notice.link("/login") and notice.link("/password/forgot")
    db.session.expire_all()
    assert (owner.status, owner.name) == (status, name) and owner.check_password(PASSWORD)
    assert count(User) == users + 2  # Nora and Olga; nothing for the owner's address
    assert queries.user_by_email("olga@new-college-two.example") is not None
    admin_mails = [m.body for m in outbox(to=people.admin.email)]
    assert len(admin_mails) == 2 and not any(owner.email in body for body in admin_mails)


def test_the_registration_is_made_after_the_response(client, people):
    response = client.post("/register", data=form(), buffered=False)
    assert response.status_code == 200
    assert queries.user_by_email(UNKNOWN) is None  # nor its password hashed yet
    response.close()
    end_transaction(db.session())  # the test reads what the work after the response committed
    assert queries.user_by_email(UNKNOWN).password_hash.startswith("scrypt:")


def test_input_errors_are_still_shown_next_to_their_field(client, people):
    refused = client.post("/register", data=form(email=people.provider_a.email, domain="x"))
    assert refused.status_code == 400
    assert b'id="domain-errors"' in refused.data


def test_forgot_password_answers_alike_and_mails_after_the_response(client, people, outbox):
    known_address, unknown_address = people.reviewer.email, "ghost@nowhere.example"
    known, known_sql, known_before = answer(
        client, "/password/forgot", {"email": known_address}, known_address
    )
    unknown, unknown_sql, unknown_before = answer(
        client, "/password/forgot", {"email": unknown_address}, unknown_address
    )
    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == unknown.headers["Location"]
    assert known.get_data() == unknown.get_data()
    assert known_sql == unknown_sql == []  # the request itself reads nothing
    assert known_before == unknown_before == 0
    assert [m.to for m in outbox()] == [known_address]
    assert db.session.execute(sa.select(sa.func.count(PasswordResetToken.id))).scalar() == 1
