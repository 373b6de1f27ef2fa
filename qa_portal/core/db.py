"""The one commit per request, work that must run only after a commit, and how a
transaction begins on SQLite.

Operations queue e-mails and jobs with ``after_commit(fn)``; they run when the surrounding
transaction commits and are dropped when it rolls back, so a failed request never mails
anybody. Views, CLI commands and jobs end their unit of work with ``commit()``.

**SQLite: writers take the write lock first.** pysqlite's own transaction handling is off
(it began a transaction only at the first ``INSERT``/``UPDATE``/``DELETE``, so what a
request had read before — the audit chain's head, a review's state — could be outdated by
the time it wrote, and the write failed on a unique constraint or "database is locked").
Every transaction begins with our own ``BEGIN``:

- ``BEGIN IMMEDIATE`` (the write lock, waiting up to the busy timeout for it) for a request
  that may write — any method but GET, HEAD and OPTIONS, and the few GET views marked
  ``@writes_on_get`` (the access log of a confidential file) — and for all work outside a
  request: CLI commands and jobs. Writers run one after the other, each reading what the
  previous one committed, so a lost race is a clear refusal (409), never a 500;
- ``BEGIN`` (deferred) for the other GET, HEAD and OPTIONS requests: pages read a consistent
  snapshot alongside the writer (WAL) and never wait for the write lock.

Savepoints (``begin_nested``) work inside either. Work outside a request ends its
transaction before it waits for another service (e-mail delivery, before each SMTP
exchange), or it would hold the write lock meanwhile. PostgreSQL is untouched: its writers
serialise on row locks, conditional updates and the audit trail's advisory lock.

``after_response(fn)`` goes one step further: ``fn`` runs after the commit *and* after the
response has been sent, in a transaction of its own. A page whose work depends on a secret
(whether an address has an account) answers in the same time whatever that work is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from flask import (
    after_this_request,
    current_app,
    g,
    has_app_context,
    has_request_context,
    request,
)
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as SATimeoutError
from sqlalchemy.orm import Session, SessionTransaction

from qa_portal.extensions import db

_PENDING = "qa_after_commit_pending"
_READY = "qa_after_commit_ready"
_LOCALS = "qa_transaction_locals"


def after_commit(callback: Callable[[], None]) -> None:
    """Run ``callback`` once the current transaction has committed (never if it rolls back;
    queued inside a savepoint, never if that savepoint rolls back)."""
    session = db.session()
    session.info.setdefault(_PENDING, []).append((open_savepoints(session), callback))


def per_transaction(key: str, factory: Callable[[], Any]) -> Any:
    """A value that lives until the current transaction commits or rolls back."""
    values = db.session.info.setdefault(_LOCALS, {})
    if key not in values:
        values[key] = factory()
    return values[key]


def open_savepoints(session: Session) -> tuple[SessionTransaction, ...]:
    """The savepoints open in ``session``, innermost first."""
    found = []
    transaction = session.get_nested_transaction()
    while transaction is not None:
        if transaction.nested:
            found.append(transaction)
        transaction = transaction.parent
    return tuple(found)


@event.listens_for(Session, "after_commit")
def _move_to_ready(session: Session) -> None:
    if session.get_nested_transaction() is not None:
        return  # a savepoint was released: the transaction goes on
    session.info.pop(_LOCALS, None)
    pending = session.info.pop(_PENDING, [])
    if pending:
        session.info.setdefault(_READY, []).extend(callback for _, callback in pending)


@event.listens_for(Session, "after_soft_rollback")
def _drop_savepoint(session: Session, previous_transaction: SessionTransaction) -> None:
    """A savepoint rolled back: what was queued inside it goes; what came before stays."""
    if previous_transaction.nested and session.info.get(_PENDING):
        session.info[_PENDING] = [
            (savepoints, callback)
            for savepoints, callback in session.info[_PENDING]
            if previous_transaction not in savepoints
        ]


@event.listens_for(Session, "after_transaction_end")
def _drop_pending(session: Session, transaction: SessionTransaction) -> None:
    """The outermost transaction ended without a commit (rolled back, or closed): nothing
    queued in it runs. (After a commit, ``_move_to_ready`` has already taken it all.)"""
    if transaction.parent is None:
        session.info.pop(_PENDING, None)
        session.info.pop(_LOCALS, None)


def run_after_commit_callbacks() -> None:
    """Run callbacks whose transaction committed. Failures are logged, never raised."""
    session = db.session()
    while session.info.get(_READY):
        callback = session.info[_READY].pop(0)
        try:
            callback()
        except Exception:  # a failed e-mail or job must not break the request that caused it
            current_app.logger.exception("after-commit callback failed")


def commit() -> None:
    """Commit the unit of work, then run what waited for it."""
    db.session.commit()
    run_after_commit_callbacks()


# The failures that say the database is out of reach (refused, gone, too slow), not that it
# refused a statement.
DATABASE_OUTAGES = (OperationalError, InterfaceError, SATimeoutError, DisconnectionError)
_UNAVAILABLE = "qa_database_unavailable"


def mark_database_unavailable() -> None:
    """This request found the database out of reach: what remains of it (the error page)
    asks it nothing more."""
    setattr(g, _UNAVAILABLE, True)


def database_unavailable() -> bool:
    return has_app_context() and bool(g.get(_UNAVAILABLE))


def after_response(callback: Callable[[], None]) -> None:
    """Run ``callback`` once the current transaction has committed and, in a request, the
    response has been sent (when the server closes it), in an application context and a
    transaction of its own that is committed after it; a failure is rolled back and logged.
    Outside a request (a command, a job) it runs right after the commit. A server closes
    the response after the request's application context has been torn down, so the
    request's session holds no transaction by then (on SQLite, no write lock)."""
    app = current_app._get_current_object()

    def run() -> None:
        with app.app_context():
            try:
                callback()
                commit()
            except Exception:  # nobody is waiting for an answer any more: log it
                rollback_quietly()
                app.logger.exception("work after the response failed")

    def schedule() -> None:
        if not has_request_context():
            run()
            return

        @after_this_request
        def _run_on_close(response):
            response.call_on_close(run)
            return response

    after_commit(schedule)


def rollback_quietly() -> None:
    try:
        db.session.rollback()
    except Exception:  # pragma: no cover - connection already gone
        current_app.logger.exception("rollback failed")


# -- SQLite: how a transaction begins -----------------------------------------------------
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_WRITES_ON_GET = "qa_writes_on_get"
_reads_first: ContextVar[bool] = ContextVar("qa_reads_first", default=False)


def writes_on_get(view: Callable) -> Callable:
    """Mark a view that writes even when it answers a GET (the access log of a confidential
    file): on SQLite its transaction takes the write lock first, as a POST's does."""
    setattr(view, _WRITES_ON_GET, True)
    return view


@contextmanager
def reads_first() -> Iterator[None]:
    """Outside a request, transactions begun in this block start deferred (a plain
    ``BEGIN``) instead of taking the write lock: for work that only reads (the health
    check's query), and for a session that reads between other sessions' requests and must
    not hold the lock while they run (the test harness's)."""
    token = _reads_first.set(True)
    try:
        yield
    finally:
        _reads_first.reset(token)


def takes_write_lock() -> bool:
    """Whether a transaction begun now should take the write lock first (see above)."""
    if has_request_context():
        if request.method not in SAFE_METHODS:
            return True
        view = current_app.view_functions.get(request.endpoint or "")
        return bool(getattr(view, _WRITES_ON_GET, False))
    return not _reads_first.get()


def _is_sqlite(dbapi_connection) -> bool:
    return type(dbapi_connection).__module__.startswith("sqlite3")


@event.listens_for(Engine, "connect")
def _sqlite_connect(dbapi_connection, connection_record):
    """Enforce foreign keys, allow readers during a write (WAL), wait up to 10 s for the
    write lock, and leave the transactions to ``_sqlite_begin``."""
    if not _is_sqlite(dbapi_connection):
        return
    dbapi_connection.isolation_level = None  # pysqlite emits no BEGIN (nor COMMIT) of its own
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn) -> None:
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN IMMEDIATE" if takes_write_lock() else "BEGIN")
