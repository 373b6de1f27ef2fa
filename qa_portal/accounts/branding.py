"""The QA body's name, shown on every page.

Cached per application so that a page costs no query for it. The cache is dropped whenever
this process writes to the organisation table (and again when that transaction ends, so a
value read meanwhile is not kept); other processes pick a change up within the TTL.
"""

from __future__ import annotations

import time

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.sql.dml import UpdateBase
from sqlalchemy.sql.elements import TextClause

from qa_portal.accounts.queries import qa_body
from qa_portal.core.db import database_unavailable, rollback_quietly

QA_BODY_NAME_TTL = 60.0
_CACHE_KEY = "qa_body_name_cache"
_generation = [0]


def _organisation_written(conn, clauseelement, *args) -> None:
    table = getattr(clauseelement, "table", None)
    if isinstance(clauseelement, UpdateBase) and getattr(table, "name", "") == "organisation":
        written = True
    else:
        written = isinstance(clauseelement, TextClause) and "organisation" in clauseelement.text
    if written:
        conn.info["qa_organisation_written"] = True
        _generation[0] += 1


def _transaction_ended(conn) -> None:
    if conn.info.pop("qa_organisation_written", False):
        _generation[0] += 1


event.listen(Engine, "after_execute", _organisation_written)
event.listen(Engine, "commit", _transaction_ended)
event.listen(Engine, "rollback", _transaction_ended)


def qa_body_name(app: Flask) -> str:
    configured = app.config.get("QA_BODY_NAME")
    if configured:
        return configured
    cached = app.extensions.get(_CACHE_KEY)
    if cached and cached[1] == _generation[0] and cached[2] > time.monotonic():
        return cached[0]
    if database_unavailable():  # the error page of a database outage asks it nothing
        return cached[0] if cached else "QA Portal"
    generation = _generation[0]
    try:
        body = qa_body()
    except SQLAlchemyError:
        # The error page must still render when the database is what failed.
        app.logger.warning("QA body name unavailable: database error", exc_info=True)
        rollback_quietly()
        return "QA Portal"
    name = body.name if body else "QA Portal"
    app.extensions[_CACHE_KEY] = (name, generation, time.monotonic() + QA_BODY_NAME_TTL)
    return name
