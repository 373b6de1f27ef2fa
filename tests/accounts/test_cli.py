"""``flask users …`` and ``flask orgs …`` through the test CLI runner."""

from __future__ import annotations

import pytest

from qa_portal.accounts import queries
from qa_portal.accounts.models import AccountStatus, OrgKind, Role
from qa_portal.core.audit import entries_for
from qa_portal.extensions import db


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()

    def run(*args: str, ok: bool = True):
        result = runner.invoke(args=list(args))
        db.session.expire_all()
        if ok:
            assert result.exit_code == 0, result.output
        else:
            assert result.exit_code != 0, result.output
        return result

    return run


def test_create_a_user_with_a_password(cli, people, sign_in, client):
    result = cli(
        "users",
        "create",
        "Eva@Experts.example",
        "--name",
        "Eva Expert",
        "--role",
        "reviewer",
        "--role",
        "qa_officer",
        "--password",
        "eva-password-1",
    )
    assert "Created eva@experts.example" in result.output
    user = queries.user_by_email("eva@experts.example")
    assert user.roles == {Role.REVIEWER, Role.QA_OFFICER}
    assert user.password_hash.startswith("scrypt:")
    entry = entries_for(user)[0]
    assert (entry.action, entry.actor_label) == ("user.create", "system")
    assert sign_in(client, "eva@experts.example", "eva-password-1").status_code == 302


def test_create_a_provider_member_without_password_sends_an_invitation(cli, people, outbox):
    cli(
        "users",
        "create",
        "finn@provider-a.example",
        "--name",
        "Finn",
        "--role",
        "provider",
        "--org",
        "provider a",
    )
    user = queries.user_by_email("finn@provider-a.example")
    assert user.organisation_id == people.org_a.id and user.roles == {Role.PROVIDER}
    [mail] = outbox(to=user.email)
    assert mail.link("/password/reset/")


def test_invitation_links_use_the_public_base_url_outside_a_request(
    app, cli, people, outbox, monkeypatch
):
    monkeypatch.setitem(app.config, "SERVER_NAME", None)
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://portal.example/qa")
    cli("users", "create", "gus@experts.example", "--name", "Gus", "--role", "reviewer")
    [mail] = outbox(to="gus@experts.example")
    assert "https://portal.example/qa/password/reset/" in mail.body


def test_without_any_base_url_production_refuses_clearly(app, cli, people, monkeypatch):
    monkeypatch.setitem(app.config, "SERVER_NAME", None)
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", None)
    monkeypatch.setitem(app.config, "ENV_MODE", "production")
    result = cli(
        "users", "create", "hal@experts.example", "--name", "Hal", "--role", "reviewer", ok=False
    )
    assert "Set PUBLIC_BASE_URL" in result.output
    assert queries.user_by_email("hal@experts.example") is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "provider"], "must belong to a provider organisation"),
        (["--role", "provider", "--org", "Quality Agency"], "must belong to a provider"),
        (["--org", "No Such Org"], "No organisation named “No Such Org”"),
        (["--role", "wizard"], "Invalid value for '--role'"),
        (["--password", "short"], "at least 10 characters"),
    ],
)
def test_create_user_errors(cli, people, args, message):
    result = cli("users", "create", "ivy@experts.example", "--name", "Ivy", *args, ok=False)
    assert message in result.output
    assert "Traceback" not in result.output
    assert queries.user_by_email("ivy@experts.example") is None


def test_create_a_duplicate_user_fails(cli, people):
    result = cli("users", "create", people.reviewer.email.upper(), "--name", "Again", ok=False)
    assert "already exists" in result.output


def test_create_needs_a_name(cli, people):
    result = cli("users", "create", "jo@experts.example", ok=False)
    assert "Missing option '--name'" in result.output


def test_grant_and_revoke_roles(cli, people):
    email = people.reviewer.email
    assert "now has the role qa_officer" in cli("users", "grant-role", email, "qa_officer").output
    assert "already had" in cli("users", "grant-role", email, "qa_officer").output
    result = cli("users", "grant-role", email, "provider", "--org", "Provider B")
    assert "now has the role provider" in result.output
    user = people.reviewer
    assert user.roles == {Role.REVIEWER, Role.QA_OFFICER, Role.PROVIDER}
    assert user.organisation_id == people.org_b.id

    assert "no longer has" in cli("users", "revoke-role", email, "qa_officer").output
    assert "did not have" in cli("users", "revoke-role", email, "qa_officer").output
    assert user.roles == {Role.REVIEWER, Role.PROVIDER}
    assert [e.action for e in entries_for(user)] == [
        "user.grant_role",
        "user.grant_role",
        "user.revoke_role",
    ]
    assert entries_for(user)[1].payload == {"role": "provider", "organisation_id": people.org_b.id}


def test_grant_role_errors(cli, people):
    result = cli("users", "grant-role", "ghost@nowhere.example", "reviewer", ok=False)
    assert "No user with e-mail ghost@nowhere.example" in result.output
    result = cli("users", "grant-role", people.reviewer.email, "provider", ok=False)
    assert "must belong to a provider organisation" in result.output
    result = cli(
        "users", "grant-role", people.provider_a.email, "provider", "--org", "Provider B", ok=False
    )
    assert "another organisation" in result.output
    assert people.provider_a.organisation_id == people.org_a.id
    result = cli("users", "revoke-role", "ghost@nowhere.example", "reviewer", ok=False)
    assert "No user with e-mail" in result.output
    assert entries_for(people.reviewer) == entries_for(people.provider_a) == []


def test_disable_and_enable(cli, people, client, sign_in):
    email = people.reviewer.email
    assert f"{email} is disabled." in cli("users", "disable", email).output
    assert people.reviewer.status == AccountStatus.DISABLED
    assert sign_in(client, email).status_code == 400
    assert f"{email} is active." in cli("users", "enable", email).output
    assert sign_in(client, email).status_code == 302
    assert [e.payload["to_state"] for e in entries_for(people.reviewer)] == ["disabled", "active"]
    assert "No user with e-mail" in cli("users", "disable", "x@y.example", ok=False).output
    assert "No user with e-mail" in cli("users", "enable", "x@y.example", ok=False).output


def test_enable_refuses_a_pending_registration(cli, people, make_user):
    pending = make_user(Role.PROVIDER, org=people.org_a, status=AccountStatus.PENDING)
    result = cli("users", "enable", pending.email, ok=False)
    assert "waiting for approval" in result.output
    assert pending.status == AccountStatus.PENDING


def test_list(cli, people):
    lines = cli("users", "list").output.strip().splitlines()
    assert len(lines) == 5
    assert f"{people.provider_a.email}\tactive\tprovider\tProvider A" in lines
    assert f"{people.reviewer.email}\tactive\treviewer\t-" in lines


def test_create_an_organisation(cli, people):
    result = cli(
        "orgs",
        "create",
        "Nordic Skills",
        "--domain",
        "nordicskills.example",
        "--country",
        "se",
        "--website",
        "https://nordicskills.example",
    )
    assert "Created organisation Nordic Skills" in result.output
    org = queries.organisation_by_domain("nordicskills.example")
    assert (org.name, org.country, org.kind) == ("Nordic Skills", "SE", OrgKind.PROVIDER)
    assert [e.action for e in entries_for(org)] == ["organisation.create"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["Provider A"], "already exists"),
        (["Elsewhere", "--country", "XX"], "“XX” is not an ISO 3166 country code"),
        (["Elsewhere", "--domain", "not a domain"], "is not a web domain"),
        (["Elsewhere", "--domain", "provider-b.example"], "already the domain of “Provider B”"),
        (["Second Body", "--kind", "qa_body"], "The QA body already exists"),
    ],
)
def test_create_organisation_errors(cli, people, args, message):
    result = cli("orgs", "create", *args, ok=False)
    assert message in result.output
    assert "Traceback" not in result.output
