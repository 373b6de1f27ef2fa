"""The test harness's plain parts: the configuration of the app under test, its test
client, emptying the database, and the one password every test user has. The root
conftest builds its fixtures from these; tests that build an app of their own import them."""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from flask import current_app, has_app_context
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from qa_portal.extensions import db
from qa_portal.reviews.defaults import insert_defaults

PASSWORD = "correct-horse-battery"
PASSWORD_HASH = generate_password_hash(PASSWORD)


def test_config(database_url: str, tmp: Path) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
        "AUDIT_KEY": "test-audit-key-that-is-long-enough-9876543210",
        "AUDIT_CHECKPOINT_FILE": str(tmp / "audit_checkpoints.jsonl"),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "UPLOAD_DIR": str(tmp / "uploads"),
        "REPORT_DIR": str(tmp / "reports"),
        "MAIL_OUTBOX_DIR": str(tmp / "outbox"),
        "SIGNING_KEYS_DIR": str(tmp / "keys"),
        "MAIL_SERVER": None,
        "CELERY_BROKER_URL": None,
        # Jobs run right after the commit, in the test's process (core/job_runner.py); the
        # tests of the separate runner process set up an instance of their own.
        "JOBS_INLINE": True,
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
    """Each request runs as a server runs it: in a context of its own, outside the test's
    application context, so Flask pushes an application context (a database session) for
    the request and tears it down when the request ends — before the response is closed, as
    in production. As a server does, the client reads the whole response and closes it,
    which runs the work scheduled after the response (``core.db.after_response``) with no
    transaction of the request's still open; ``buffered=False`` leaves that to the test.
    The test's own session ends its transaction before (so it holds no lock the request
    waits for) and after (so it reads what the request committed: on SQLite a transaction
    reads one snapshot) and forgets what it had loaded."""

    def open(self, *args, **kwargs):
        kwargs.setdefault("buffered", True)
        if not has_app_context():  # a redirect followed, already in the request's own context
            return super().open(*args, **kwargs)
        session = db.session()  # the test's (a streamed response keeps the request's current)
        end_transaction(session)
        response = contextvars.Context().run(super().open, *args, **kwargs)
        end_transaction(session)
        return response


class CliRunner(FlaskCliRunner):
    """A command runs in the test's application context (its session): the test's
    transaction ends before and after it, as around a request."""

    def invoke(self, *args, **kwargs):
        session = db.session()
        end_transaction(session)
        result = super().invoke(*args, **kwargs)
        end_transaction(session)
        return result


def end_transaction(session: Session) -> None:
    """Commit what the session holds (usually only reads) and forget what it loaded."""
    session.expire_all()
    session.commit()


_FAST_DELETE = {"postgresql": True}


@contextmanager
def audit_triggers_lifted(connection: sa.Connection) -> Iterator[None]:
    """The audit trail's append-only triggers out of the way within ``connection``'s
    transaction, as the database's owner can do (the test harness empties the tables; a
    test plays a forger): on SQLite dropped and created again from their stored SQL, on
    PostgreSQL disabled and enabled again. If the block fails, the rollback restores them."""
    if connection.dialect.name == "postgresql":
        connection.execute(sa.text("ALTER TABLE audit_entry DISABLE TRIGGER USER"))
        yield
        connection.execute(sa.text("ALTER TABLE audit_entry ENABLE TRIGGER USER"))
        return
    triggers = connection.execute(
        sa.text(
            "SELECT name, sql FROM sqlite_master "
            "WHERE type = 'trigger' AND tbl_name = 'audit_entry'"
        )
    ).all()
    for name, _sql in triggers:
        connection.execute(sa.text(f'DROP TRIGGER "{name}"'))
    yield
    for _name, sql in triggers:
        connection.execute(sa.text(sql))


def empty_all_tables() -> None:
    """Empty every table, and forget the audit checkpoints (they describe a trail that is
    gone). On PostgreSQL, DELETE with triggers off (the audit trail's append-only
    triggers, foreign keys) is ten times faster than TRUNCATE for the few rows a test
    leaves; it needs a superuser, so TRUNCATE remains the fallback."""
    Path(current_app.config["AUDIT_CHECKPOINT_FILE"]).unlink(missing_ok=True)
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
    with engine.begin() as conn, audit_triggers_lifted(conn):
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
