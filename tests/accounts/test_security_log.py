"""The security log: each security event writes one JSON record with the person, the
address, the request id and what happened, and no record holds a password, a reset token
or a session cookie."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from qa_portal.accounts import operations as ops
from qa_portal.accounts import registration, throttle
from qa_portal.accounts.models import AccountStatus, Role
from qa_portal.core import security_log as log
from qa_portal.core.db import commit
from qa_portal.core.errors import NotPermitted
from qa_portal.extensions import db
from tests.accounts.helpers import open_reset_link, reset_through
from tests.accounts.test_password_reset import ask_for_link
from tests.harness import PASSWORD

REQUEST_FIELDS = ("ts", "event", "user_id", "ip", "request_id", "method", "path", "user_agent")
WRONG = "not-the-right-password-1"
NEW = "a-fresh-password-42"


def assert_from_request(record: dict, response, path: str, method: str = "POST") -> None:
    """``record`` names the request that ``response`` answered."""
    assert all(field in record for field in REQUEST_FIELDS), record
    assert record["ip"] == "127.0.0.1"
    assert record["request_id"] == response.headers["X-Request-ID"]
    assert (record["method"], record["path"]) == (method, path)
    assert record["user_agent"].startswith("Werkzeug/")
    ts = datetime.fromisoformat(record["ts"].replace("Z", "+00:00"))
    assert ts.utcoffset() == timedelta(0)
    assert abs(datetime.now(UTC) - ts) < timedelta(minutes=1)


# -- signing in and out ----------------------------------------------------------------------
def test_a_sign_in_is_logged(client, people, sign_in, security_log):
    response = sign_in(client, people.reviewer.email)
    assert response.status_code == 302
    record = security_log.one("auth.login.success")
    assert record["user_id"] == people.reviewer.id
    assert_from_request(record, response, "/login")
    assert security_log.events() == ["auth.login.success"]


def test_a_failed_sign_in_is_logged_with_its_reason(client, people, sign_in, security_log):
    response = sign_in(client, people.reviewer.email, WRONG)
    assert response.status_code == 400
    record = security_log.one("auth.login.failure")
    assert_from_request(record, response, "/login")
    assert record["user_id"] == people.reviewer.id
    assert record["reason"] == "wrong_password" and record["failures"] == 1
    assert record["address_hash"] == throttle.address_key(people.reviewer.email)
    assert WRONG not in security_log.text


def test_an_unknown_address_is_logged_only_as_its_keyed_hash(client, sign_in, security_log):
    typed = "Somebody@Nowhere.example"
    sign_in(client, typed, WRONG)
    record = security_log.one("auth.login.failure")
    assert record["user_id"] is None and record["reason"] == "unknown_address"
    assert record["address_hash"] == throttle.address_key(typed)
    assert "nowhere" not in security_log.text.lower()


def test_a_password_typed_into_the_address_field_is_not_logged(
    client, people, sign_in, security_log
):
    sign_in(client, PASSWORD, PASSWORD)
    assert security_log.one("auth.login.failure")["reason"] == "unknown_address"
    assert PASSWORD not in security_log.text


def test_an_inactive_account_is_logged_as_such(client, people, make_user, sign_in, security_log):
    disabled = make_user(Role.REVIEWER, status=AccountStatus.DISABLED)
    sign_in(client, disabled.email)
    record = security_log.one("auth.login.failure")
    assert record["user_id"] == disabled.id and record["reason"] == "account_disabled"


def test_a_lockout_is_logged_once_and_refused_attempts_after_it(
    client, people, sign_in, security_log
):
    address = people.reviewer.email
    for _ in range(throttle.FREE_FAILURES):
        sign_in(client, address, WRONG)
    assert security_log.records("auth.lockout") == []
    locking = sign_in(client, address, WRONG)
    lockout = security_log.one("auth.lockout")
    assert_from_request(lockout, locking, "/login")
    assert lockout["user_id"] == people.reviewer.id
    assert lockout["failures"] == throttle.FREE_FAILURES + 1
    assert lockout["lock_seconds"] == throttle.FIRST_LOCK.total_seconds()
    assert lockout["address_hash"] == throttle.address_key(address)

    assert sign_in(client, address, PASSWORD).status_code == 429
    refused = security_log.records("auth.login.failure")[-1]
    assert refused["reason"] == "locked" and refused["user_id"] is None
    assert len(security_log.records("auth.lockout")) == 1


def test_signing_out_is_logged(client, people, sign_in, security_log):
    sign_in(client, people.reviewer.email)
    response = client.post("/logout")
    record = security_log.one("auth.logout")
    assert record["user_id"] == people.reviewer.id
    assert_from_request(record, response, "/logout")


def test_signing_out_everywhere_is_logged(client, people, login, security_log):
    login(client, people.reviewer)
    response = client.post("/account/sessions/end")
    record = security_log.one("auth.logout_everywhere")
    assert record["user_id"] == people.reviewer.id
    assert_from_request(record, response, "/account/sessions/end")
    assert security_log.records("auth.logout") == []


# -- denied access ---------------------------------------------------------------------------
def test_a_refused_page_is_logged(client, people, login, security_log):
    login(client, people.reviewer)
    response = client.get("/admin/users")
    assert response.status_code == 403
    record = security_log.one("access.denied")
    assert_from_request(record, response, "/admin/users", "GET")
    assert record["user_id"] == people.reviewer.id
    assert record["status"] == 403 and record["endpoint"] == "admin.users"
    assert record["reason"] == "needs the role qa_admin"


def test_an_action_a_rule_refuses_is_logged(make_app, people, login, security_log):
    app = make_app()

    @app.post("/refused")
    def refused():
        raise NotPermitted("Only QA officers decide.")

    client = login(app.test_client(), people.provider_a)
    response = client.post("/refused")
    assert response.status_code == 403
    record = security_log.one("access.denied")
    assert_from_request(record, response, "/refused")
    assert record["user_id"] == people.provider_a.id
    assert record["reason"] == "Only QA officers decide."


def test_visitors_sent_to_sign_in_are_not_logged_as_denied(client, security_log):
    response = client.get("/admin/users")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert security_log.records() == []


# -- password reset --------------------------------------------------------------------------
def test_a_reset_request_is_logged_with_the_request_that_asked(client, people, security_log):
    response = client.post("/password/forgot", data={"email": people.reviewer.email})
    assert response.status_code == 302
    record = security_log.one("password.reset.requested")
    # the reset runs after the response: the record still names that request
    assert_from_request(record, response, "/password/forgot")
    assert record["user_id"] == people.reviewer.id and record["sent"] is True


def test_a_reset_request_for_an_unknown_address_is_logged_as_not_sent(client, security_log):
    response = client.post("/password/forgot", data={"email": "ghost@nowhere.example"})
    record = security_log.one("password.reset.requested")
    assert_from_request(record, response, "/password/forgot")
    assert record["user_id"] is None and record["sent"] is False
    assert record["address_hash"] == throttle.address_key("ghost@nowhere.example")
    assert "ghost" not in security_log.text


def test_a_reset_through_a_link_is_logged_without_the_token(client, people, outbox, security_log):
    link = ask_for_link(client, people.reviewer.email, outbox)
    opened = open_reset_link(client, link)
    done = client.post("/password/reset", data={"password": NEW, "confirm": NEW})
    assert done.status_code == 302

    record = security_log.one("password.reset.opened")
    assert_from_request(record, opened, "/password/reset/<token>", "GET")
    assert record["user_id"] == people.reviewer.id
    completed = security_log.one("password.reset.completed")
    assert_from_request(completed, done, "/password/reset")
    assert completed["user_id"] == people.reviewer.id
    assert completed["reset_id"] == record["reset_id"]
    assert link.rsplit("/", 1)[-1] not in security_log.text


def test_a_dead_link_is_logged_as_rejected(client, people, outbox, security_log):
    link = ask_for_link(client, people.reviewer.email, outbox)
    reset_through(client, link, NEW)
    replay = client.get(link)
    assert replay.status_code == 404
    record = security_log.one("password.reset.rejected")
    assert_from_request(record, replay, "/password/reset/<token>", "GET")
    assert record["user_id"] is None
    assert link.rsplit("/", 1)[-1] not in security_log.text


def test_a_password_change_is_logged(client, people, login, security_log):
    login(client, people.reviewer)
    response = client.post(
        "/account",
        data={
            "pw-current_password": PASSWORD,
            "pw-password": NEW,
            "pw-confirm": NEW,
            "pw-submit": "1",
        },
    )
    assert response.status_code == 302
    assert security_log.one("password.changed")["user_id"] == people.reviewer.id
    assert PASSWORD not in security_log.text and NEW not in security_log.text


# -- roles and status --------------------------------------------------------------------------
def test_role_changes_by_an_admin_are_logged(client, people, login, security_log):
    login(client, people.admin)
    user = people.reviewer
    response = client.post(
        f"/admin/users/{user.id}",
        data={"name": user.name, "roles": ["reviewer", "qa_officer"], "organisation_id": "0"},
    )
    assert response.status_code == 302
    record = security_log.one("account.role_changed")
    assert_from_request(record, response, f"/admin/users/{user.id}")
    assert record["user_id"] == user.id and record["actor_id"] == people.admin.id
    assert (record["role"], record["change"]) == ("qa_officer", "granted")

    client.post(
        f"/admin/users/{user.id}",
        data={"name": user.name, "roles": ["qa_officer"], "organisation_id": "0"},
    )
    revoked = security_log.records("account.role_changed")[-1]
    assert (revoked["role"], revoked["change"]) == ("reviewer", "revoked")


def test_status_changes_by_an_admin_are_logged(client, people, login, security_log):
    login(client, people.admin)
    user = people.reviewer
    response = client.post(f"/admin/users/{user.id}/status", data={"status": "disabled"})
    assert response.status_code == 302
    record = security_log.one("account.status_changed")
    assert_from_request(record, response, f"/admin/users/{user.id}/status")
    assert record["user_id"] == user.id and record["actor_id"] == people.admin.id
    assert (record["from_status"], record["to_status"]) == ("active", "disabled")
    assert record["action"] == "disable" and record["acting_as"] == "qa_admin"


def test_registration_decisions_and_new_accounts_are_logged(people, make_user, security_log):
    pending = make_user(Role.PROVIDER, org=people.org_a, status=AccountStatus.PENDING)
    registration.approve_registration(people.admin, pending)
    created = ops.create_user(
        people.admin, email="new@reviewers.example", name="New", roles=[Role.REVIEWER]
    )
    commit()
    approved = security_log.one("account.status_changed")
    assert approved["user_id"] == pending.id and approved["action"] == "approve"
    new = security_log.one("account.created")
    assert new["user_id"] == created.id and new["roles"] == ["reviewer"]
    assert new["actor_id"] == people.admin.id
    assert new["ip"] is None and new["request_id"] is None  # not a web request


def test_command_line_changes_are_logged_as_the_system(app, people, security_log):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "grant-role", people.reviewer.email, "qa_officer"])
    assert result.exit_code == 0, result.output
    record = security_log.one("account.role_changed")
    assert record["user_id"] == people.reviewer.id and record["actor_id"] is None
    result = runner.invoke(args=["users", "disable", people.reviewer.email])
    assert result.exit_code == 0, result.output
    status = security_log.one("account.status_changed")
    assert status["acting_as"] == "system" and status["to_status"] == "disabled"


def test_changes_rolled_back_are_not_logged(people, security_log):
    ops.grant_role(people.admin, people.reviewer, Role.QA_OFFICER)
    ops.set_user_status(people.admin, people.provider_a, AccountStatus.DISABLED)
    db.session.rollback()
    assert security_log.records() == []
    ops.grant_role(people.admin, people.reviewer, Role.QA_OFFICER)
    assert security_log.records() == []  # not before the commit
    commit()
    assert security_log.events() == ["account.role_changed"]


# -- nothing secret, ever ----------------------------------------------------------------------
def test_no_record_holds_a_password_a_token_or_a_cookie(
    app, client, people, sign_in, outbox, security_log
):
    address = people.reviewer.email
    sign_in(client, address, WRONG)
    sign_in(client, PASSWORD, address)  # the fields swapped
    client.post("/login", data={"email": address, "password": PASSWORD, "remember": "y"})
    cookies = [
        client.get_cookie(name, domain="qa.test").value
        for name in (app.config["SESSION_COOKIE_NAME"], "remember_token")
    ]
    client.get("/admin/users")  # denied, with both cookies
    client.post("/logout")
    link = ask_for_link(client, address, outbox)
    token = link.rsplit("/", 1)[-1]
    reset_through(client, link, NEW)
    client.get(link)  # replayed
    sign_in(client, address, NEW)

    events = set(security_log.events())
    assert {
        "auth.login.failure",
        "auth.login.success",
        "access.denied",
        "auth.logout",
        "password.reset.requested",
        "password.reset.opened",
        "password.reset.completed",
        "password.reset.rejected",
    } <= events
    text = security_log.text
    for secret in (WRONG, PASSWORD, NEW, token, *cookies):
        assert secret not in text
    assert "/password/reset/" + token not in text


@pytest.mark.parametrize("field", ["password", "reset_token", "session_cookie", "reset_url"])
def test_a_field_that_would_carry_a_secret_is_refused(field, security_log):
    with pytest.raises(ValueError, match="takes no secret"):
        log.record("auth.login.failure", **{field: "hunter2"})
    assert security_log.records() == []
