"""The test harness's plain parts: the configuration of the app under test, its test
client, emptying the database, and the one password every test user has. The root
conftest builds its fixtures from these; tests that build an app of their own import them."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from flask.testing import FlaskClient
from werkzeug.security import generate_password_hash

from qa_portal.extensions import db
from qa_portal.reviews.defaults import insert_defaults

PASSWORD = "correct-horse-battery"
PASSWORD_HASH = generate_password_hash(PASSWORD)


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


test_config.__test__ = False  # a helper, not a test (pytest would collect it where imported)


class Client(FlaskClient):
    """Each request runs in its own application context (its own database session), as in
    production; afterwards the test's session forgets what it had loaded. As a server does,
    the client reads the whole response and closes it, which runs the work scheduled after
    the response (``core.db.after_response``); ``buffered=False`` leaves that to the test."""

    def open(self, *args, **kwargs):
        kwargs.setdefault("buffered", True)
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        db.session.expire_all()
        return response


_FAST_DELETE = {"postgresql": True}


def empty_all_tables() -> None:
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


def reset_database() -> None:
    """Back to the state the migrations leave: empty tables, except the default review
    policy and rubric version 1 (inserted by the function migration 0007 calls)."""
    empty_all_tables()
    with db.engine.begin() as conn:
        insert_defaults(conn)
