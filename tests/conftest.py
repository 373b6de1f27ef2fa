"""Test set-up: one database per test session (SQLite file, or PostgreSQL when DATABASE_URL
points at one), built by the migrations, emptied after every test (then given back the rows
the migrations insert: the review policy and rubric version 1); factory fixtures."""

from __future__ import annotations

import os
import uuid

import psycopg
import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from qa_portal import create_app
from qa_portal.accounts.models import AccountStatus, Organisation, OrgKind, Role, User
from qa_portal.core.db import commit, reads_first
from qa_portal.extensions import db
from tests.builders import new_dossier
from tests.harness import PASSWORD_HASH, Client, CliRunner, reset_database, test_config

# Fixtures shared by the tests of several folders (a conftest may not import another's).
pytest_plugins = [
    "tests.fixtures.workflow",
    "tests.fixtures.catalogue",
    "tests.fixtures.apps",
    "tests.fixtures.security_log",
    "tests.fixtures.credentials",
]


# -- database -----------------------------------------------------------------------------
def _pg_admin_url(url: sa.engine.URL) -> str:
    return url.set(drivername="postgresql", database="postgres").render_as_string(
        hide_password=False
    )


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """A fresh database for this session (and xdist worker); dropped at the end."""
    env = os.environ.get("DATABASE_URL", "")
    if not env.startswith("postgres"):
        path = tmp_path_factory.mktemp("db") / "test.sqlite"
        yield f"sqlite:///{path}"
        return
    url = sa.engine.make_url(env.replace("postgres://", "postgresql://", 1))
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"{url.database or 'qa_portal'}_t{worker}_{uuid.uuid4().hex[:6]}"
    admin = _pg_admin_url(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield url.set(drivername="postgresql+psycopg", database=name).render_as_string(
        hide_password=False
    )
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("instance")
    os.environ.setdefault("QA_PORTAL_INSTANCE", str(tmp))
    application = create_app(test_config(database_url, tmp))
    application.test_client_class = Client
    application.test_cli_runner_class = CliRunner
    with application.app_context():
        from flask_migrate import upgrade

        upgrade(directory=application.extensions["migrate"].directory)
        db.session.remove()
    yield application
    with application.app_context():  # close the pool's connections before the database goes
        db.engine.dispose()


@pytest.fixture(autouse=True)
def ctx(app):
    """An application context for the test's own database work; tables reset after. The
    test's transactions begin deferred on SQLite (``reads_first``): they read between the
    requests and jobs the test runs and must not hold the write lock while those run."""
    with app.app_context(), reads_first():
        yield
        db.session.rollback()
        db.session.remove()
        reset_database()


@pytest.fixture
def client(app):
    return app.test_client()


# -- factories ----------------------------------------------------------------------------
@pytest.fixture
def make_org():
    counter = iter(range(1, 10_000))

    def make(
        name: str | None = None,
        *,
        kind: OrgKind = OrgKind.PROVIDER,
        domain: str | None = None,
        country: str = "IE",
        status: AccountStatus = AccountStatus.ACTIVE,
    ) -> Organisation:
        n = next(counter)
        org = Organisation(
            name=name or f"Provider {n}",
            kind=kind,
            domain=domain or f"provider{n}-{uuid.uuid4().hex[:4]}.example",
            country=country,
            status=status,
        )
        db.session.add(org)
        commit()
        return org

    return make


@pytest.fixture
def qa_body(make_org):
    return make_org("Quality Agency", kind=OrgKind.QA_BODY, domain="agency.example")


@pytest.fixture
def make_user():
    def make(
        *roles: Role,
        org: Organisation | None = None,
        email: str | None = None,
        name: str | None = None,
        status: AccountStatus = AccountStatus.ACTIVE,
    ) -> User:
        user = User(
            email=email or f"user-{uuid.uuid4().hex[:8]}@{org.domain if org else 'mail.example'}",
            name=name or f"User {uuid.uuid4().hex[:4]}",
            organisation=org,
            status=status,
            password_hash=PASSWORD_HASH,
            auth_epoch=1,
        )
        for role in roles:
            user.grant(role)
        db.session.add(user)
        commit()
        return user

    return make


@pytest.fixture
def people(make_org, make_user, qa_body):
    """Two providers with one member each, a reviewer, a QA officer and a QA admin."""

    class People:
        org_a = make_org("Provider A", domain="provider-a.example")
        org_b = make_org("Provider B", domain="provider-b.example")
        provider_a = make_user(Role.PROVIDER, org=org_a, name="Ada Provider")
        provider_b = make_user(Role.PROVIDER, org=org_b, name="Ben Provider")
        reviewer = make_user(
            Role.REVIEWER, email="rita.reviewer@reviewers.example", name="Rita Reviewer"
        )
        officer = make_user(Role.QA_OFFICER, org=qa_body, name="Otto Officer")
        admin = make_user(Role.QA_ADMIN, org=qa_body, name="Ann Admin")

    return People


@pytest.fixture
def login():
    def do(client: FlaskClient, user: User | None) -> FlaskClient:
        with client.session_transaction() as session:
            session.clear()
            if user is not None:
                session["_user_id"] = user.get_id()
                session["_fresh"] = True
        return client

    return do


@pytest.fixture
def make_dossier():
    """A dossier of ``member``'s organisation: complete (with files) or a bare draft (the
    workflow builder's ``new_dossier``)."""
    return new_dossier


@pytest.fixture
def audit_ok():
    """Assert that the audit chain is intact (used at the end of workflow tests)."""
    from qa_portal.core.audit import verify_chain

    def check():
        report = verify_chain()
        assert report.intact, report
        return report

    return check


@pytest.fixture
def appeals_member(make_user):
    """A member of the appeals committee, outside the QA body's staff: decides appeals."""
    return make_user(Role.APPEALS_COMMITTEE, name="Alma Appeals")
