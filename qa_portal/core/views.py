"""Health check for load balancers and monitoring; the QA body's DID document."""

from __future__ import annotations

import threading

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify
from sqlalchemy.engine import Engine

from qa_portal.core import keys
from qa_portal.core.db import reads_first
from qa_portal.extensions import db

bp = Blueprint("core", __name__)


@bp.get("/healthz")
def healthz():
    """For load balancers and monitoring: 200 only when the database answers a query within
    ``HEALTHZ_TIMEOUT`` seconds (2), else 503 — then too within that time, however the
    database fails (refused, or a server that accepts and never answers)."""
    timeout = current_app.config["HEALTHZ_TIMEOUT"]
    failure = _probe(db.engine, timeout)
    if failure:
        current_app.logger.warning("health check: database unavailable: %s", failure)
        response = jsonify(status="error", message="database unavailable")
        response.status_code = 503
    else:
        response = jsonify(status="ok")
    response.headers["Cache-Control"] = "no-store"
    return response


def _probe(engine: Engine, timeout: float) -> str | None:
    """Ask the database ``SELECT 1`` and wait at most ``timeout`` seconds for the answer;
    what went wrong, or None. The query runs in a thread of its own, which the answer does
    not wait for beyond the timeout: connecting can take ``DATABASE_CONNECT_TIMEOUT`` (and a
    server that stopped answering on a pooled connection, longer), so no connection setting
    alone bounds the check. The thread ends with the connection attempt."""
    outcome: list[str | None] = []

    def run() -> None:
        try:
            with reads_first(), engine.connect() as conn:  # never SQLite's write lock
                if conn.dialect.name == "postgresql":  # the server stops the query too
                    milliseconds = max(1, round(timeout * 1000))
                    conn.execute(sa.text(f"SET LOCAL statement_timeout = {milliseconds}"))
                conn.execute(sa.text("SELECT 1")).scalar_one()
                conn.rollback()
        except Exception as exc:  # any failure of the database is an unhealthy answer
            outcome.append(f"{type(exc).__name__}: {exc}".splitlines()[0])
        else:
            outcome.append(None)

    thread = threading.Thread(target=run, name="healthz-probe", daemon=True)
    thread.start()
    thread.join(timeout)
    return outcome[0] if outcome else f"no answer within {timeout:g} s"


@bp.get("/.well-known/did.json")
def did_document():
    """The QA body's ``did:web`` DID document: the public keys its credentials are signed
    with (``Multikey``), retired ones included, so that anyone can verify them."""
    response = jsonify(keys.did_document())
    response.mimetype = "application/did+json"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
