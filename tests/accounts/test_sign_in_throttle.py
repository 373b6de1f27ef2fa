"""Failed sign-ins are counted per e-mail address in the database and lock the address out
for a growing time; success (or a password reset) clears the count; an unknown address is
treated exactly like a known one, so the answers reveal no account."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from qa_portal.accounts import throttle
from qa_portal.accounts.models import SignInThrottle
from qa_portal.core.db import commit
from qa_portal.core.models import utcnow
from qa_portal.extensions import db
from tests.accounts.helpers import reset_through, whoami
from tests.accounts.test_password_reset import ask_for_link
from tests.harness import PASSWORD

WRONG = "not-the-password"
LOCKED = b"Too many failed sign-ins with this e-mail address"


def fail(sign_in, client, address, times):
    for _ in range(times):
        assert sign_in(client, address, WRONG).status_code == 400


def rows() -> list[SignInThrottle]:
    db.session.expire_all()
    return list(db.session.execute(sa.select(SignInThrottle)).scalars())


def unlock_now() -> None:
    """As if the current lockout had run out."""
    db.session.execute(sa.update(SignInThrottle).values(locked_until=utcnow()))
    commit()


def test_after_five_failures_even_the_right_password_waits(client, people, sign_in):
    address = people.reviewer.email
    fail(sign_in, client, address, throttle.FREE_FAILURES)
    assert sign_in(client, address, PASSWORD).status_code == 302  # five are free
    client.post("/logout")

    fail(sign_in, client, address, throttle.FREE_FAILURES + 1)
    refused = sign_in(client, address, PASSWORD)
    assert refused.status_code == 429
    assert LOCKED in refused.data and b"Try again in 1 minute" in refused.data
    assert whoami(client) is None

    unlock_now()
    assert sign_in(client, address, PASSWORD).status_code == 302
    assert whoami(client) == address
    assert rows() == []  # success starts afresh


def test_the_lockout_doubles_with_each_further_failure(client, people, sign_in):
    address = people.reviewer.email
    fail(sign_in, client, address, throttle.FREE_FAILURES + 1)
    locks = []
    for _ in range(3):
        [row] = rows()
        locks.append(row.locked_until - row.last_failure_at)
        unlock_now()
        fail(sign_in, client, address, 1)
    assert locks == [timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4)]
    assert throttle.lock_duration(40) == throttle.LONGEST_LOCK == timedelta(hours=1)


def test_while_locked_attempts_are_not_counted_nor_checked(client, people, sign_in):
    address = people.reviewer.email
    fail(sign_in, client, address, throttle.FREE_FAILURES + 1)
    for _ in range(3):
        assert sign_in(client, address, WRONG).status_code == 429
    [row] = rows()
    assert row.failures == throttle.FREE_FAILURES + 1


def test_unknown_and_known_addresses_get_the_same_answers(client, people, sign_in):
    known, unknown = people.reviewer.email, "ghost@nowhere.example"
    for _ in range(throttle.FREE_FAILURES + 3):
        answers = [sign_in(client, address, WRONG) for address in (known, unknown)]
        assert answers[0].status_code == answers[1].status_code
        bodies = [
            a.get_data(as_text=True).replace(known, "X").replace(unknown, "X") for a in answers
        ]
        assert bodies[0] == bodies[1]  # but for the address typed into the form
    assert answers[0].status_code == 429
    assert len(rows()) == 2


def test_each_address_counts_alone_and_is_stored_only_hashed(client, people, sign_in):
    fail(sign_in, client, people.reviewer.email, throttle.FREE_FAILURES + 1)
    assert sign_in(client, people.officer.email, PASSWORD).status_code == 302
    client.post("/logout")
    [row] = rows()
    assert "reviewer" not in row.address_key and len(row.address_key) == 64
    # The same address, typed differently, is the same count.
    assert sign_in(client, f"  {people.reviewer.email.upper()} ", PASSWORD).status_code == 429


def test_a_password_reset_lifts_the_lockout(client, people, sign_in, outbox):
    address = people.reviewer.email
    fail(sign_in, client, address, throttle.FREE_FAILURES + 1)
    link = ask_for_link(client, address, outbox)
    new = "a-fresh-password-42"
    assert reset_through(client, link, new).status_code == 302
    assert sign_in(client, address, new).status_code == 302


def test_counts_are_forgotten_a_day_after_the_last_failure(client, people, sign_in):
    address = people.reviewer.email
    fail(sign_in, client, address, throttle.FREE_FAILURES)
    db.session.execute(
        sa.update(SignInThrottle).values(last_failure_at=utcnow() - timedelta(days=1, minutes=1))
    )
    commit()
    fail(sign_in, client, address, 1)
    [row] = rows()
    assert (row.failures, row.locked_until) == (1, None)


@pytest.mark.parametrize("failures", [0, 1, throttle.FREE_FAILURES])
def test_no_lock_within_the_free_failures(failures):
    assert throttle.lock_duration(failures) is None
