"""The one commit per request, and work that must run only after a commit.

Operations queue e-mails and jobs with ``after_commit(fn)``; they run when the surrounding
transaction commits and are dropped when it rolls back, so a failed request never mails
anybody. Views, CLI commands and jobs end their unit of work with ``commit()``.

``after_response(fn)`` goes one step further: ``fn`` runs after the commit *and* after the
response has been sent, in a transaction of its own. A page whose work depends on a secret
(whether an address has an account) answers in the same time whatever that work is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import after_this_request, current_app, has_request_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from qa_portal.extensions import db

_PENDING = "qa_after_commit_pending"
_READY = "qa_after_commit_ready"
_LOCALS = "qa_transaction_locals"


def after_commit(callback: Callable[[], None]) -> None:
    """Run ``callback`` once the current transaction has committed (never if it rolls back)."""
    db.session.info.setdefault(_PENDING, []).append(callback)


def per_transaction(key: str, factory: Callable[[], Any]) -> Any:
    """A value that lives until the current transaction commits or rolls back."""
    values = db.session.info.setdefault(_LOCALS, {})
    if key not in values:
        values[key] = factory()
    return values[key]


@event.listens_for(Session, "after_commit")
def _move_to_ready(session: Session) -> None:
    session.info.pop(_LOCALS, None)
    pending = session.info.pop(_PENDING, [])
    if pending:
        session.info.setdefault(_READY, []).extend(pending)


@event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
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


def after_response(callback: Callable[[], None]) -> None:
    """Run ``callback`` once the current transaction has committed and, in a request, the
    response has been sent (when the server closes it), in an application context and a
    transaction of its own that is committed after it; a failure is rolled back and logged.
    Outside a request (a command, a job) it runs right after the commit."""
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
