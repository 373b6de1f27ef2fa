"""Test set-up: one database per test session (SQLite file, or PostgreSQL when DATABASE_URL
points at one), built by the migrations, emptied after every test (then given back the rows
the migrations insert: the review policy and rubric version 1); factory fixtures."""

from __future__ import annotations

import io
import os
import uuid
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from werkzeug.security import generate_password_hash

from qa_portal import create_app
from qa_portal.accounts import operations as accounts
from qa_portal.accounts.models import AccountStatus, Organisation, OrgKind, Role, User
from qa_portal.core.db import commit
from qa_portal.extensions import db
from qa_portal.reviews.defaults import insert_defaults

PASSWORD = "correct-horse-battery"
_PASSWORD_HASH = generate_password_hash(PASSWORD)


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


def test_config(database_url: str, tmp: Path) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "UPLOAD_DIR": str(tmp / "uploads"),
        "REPORT_DIR": str(tmp / "reports"),
        "MAIL_OUTBOX_DIR": str(tmp / "outbox"),
        "MAIL_SERVER": None,
        "CELERY_BROKER_URL": None,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        # Rendering two PDFs per decision would triple the suite's time; the report tests
        # request their reports, and one test covers the automatic rendering.
        "REPORTS_ON_DECISION": False,
        "SERVER_NAME": "qa.test",
        "PUBLIC_BASE_URL": "http://qa.test",
    }


class Client(FlaskClient):
    """Each request runs in its own application context (its own database session), as in
    production; afterwards the test's session forgets what it had loaded."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        db.session.expire_all()
        return response


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("instance")
    os.environ.setdefault("QA_PORTAL_INSTANCE", str(tmp))
    application = create_app(test_config(database_url, tmp))
    application.test_client_class = Client
    with application.app_context():
        from flask_migrate import upgrade

        upgrade(directory=application.extensions["migrate"].directory)
        db.session.remove()
    return application


_FAST_DELETE = {"postgresql": True}


def _empty_all_tables() -> None:
    """Empty every table. On PostgreSQL, DELETE with triggers off (the audit trail's
    append-only trigger, foreign keys) is ten times faster than TRUNCATE for the few rows
    a test leaves; it needs a superuser, so TRUNCATE remains the fallback."""
    tables = list(reversed(db.metadata.sorted_tables))
    engine = db.engine
    if engine.dialect.name == "postgresql" and _FAST_DELETE["postgresql"]:
        try:
            with engine.begin() as conn:
                conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
                for table in tables:
                    conn.execute(table.delete())
            return
        except sa.exc.DBAPIError:
            _FAST_DELETE["postgresql"] = False
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())


def _reset_database() -> None:
    """Back to the state the migrations leave: empty tables, except the default review
    policy and rubric version 1 (inserted by the function migration 0007 calls)."""
    _empty_all_tables()
    with db.engine.begin() as conn:
        insert_defaults(conn)


@pytest.fixture(autouse=True)
def ctx(app):
    """An application context for the test's own database work; tables reset after."""
    with app.app_context():
        yield
        db.session.rollback()
        db.session.remove()
        _reset_database()


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
            password_hash=_PASSWORD_HASH,
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


def pdf_bytes(text: str = "Evidence", pages: int = 1) -> bytes:
    """A small, valid PDF (pypdf), fast enough to make in every test."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": text})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


@pytest.fixture
def make_dossier():
    """A dossier of ``member``'s organisation: complete (with files) or a bare draft."""
    from qa_portal.demo import complete_dossier_data
    from qa_portal.dossiers import operations as dossiers

    def make(
        member: User,
        *,
        complete: bool = True,
        files: bool = True,
        submit: bool = False,
        title: str = "Cloud-Native Operations",
        **overrides,
    ):
        dossier = dossiers.create_dossier(member, title)
        if complete:
            data = complete_dossier_data(title)
            data.update(overrides)
            dossiers.save_dossier(member, dossier, data, dossier.lock_version)
        elif overrides:
            dossiers.save_dossier(member, dossier, overrides, dossier.lock_version)
        if files:
            dossiers.add_evidence_file(
                member, dossier, "curriculum", "curriculum.pdf", pdf_bytes("Curriculum")
            )
            dossiers.add_evidence_file(
                member, dossier, "assessment_sample", "sample.pdf", pdf_bytes("Assessment sample")
            )
        if submit:
            dossiers.submit_dossier(member, dossier)
        commit()
        return dossier

    return make


@pytest.fixture
def audit_ok():
    """Assert that the audit chain is intact (used at the end of workflow tests)."""
    from qa_portal.core.audit import verify_chain

    def check():
        report = verify_chain()
        assert report.intact, report
        return report

    return check


__all__ = ["PASSWORD", "pdf_bytes", "accounts"]
