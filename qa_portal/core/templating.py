"""Jinja filters and globals shared by every template."""

from __future__ import annotations

import time
from datetime import datetime

import pycountry
from flask import Flask
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.sql.dml import UpdateBase
from sqlalchemy.sql.elements import TextClause

from qa_portal.dossiers import isced
from qa_portal.dossiers.models import label_of


def _date(value: datetime | None, fmt: str = "%d %b %Y") -> str:
    return value.strftime(fmt) if value else ""


def _datetime(value: datetime | None) -> str:
    return value.strftime("%d %b %Y, %H:%M UTC") if value else ""


def _filesize(size: int | None) -> str:
    if size is None:
        return ""
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return str(size)


def country_name(code: str | None) -> str:
    if not code:
        return ""
    country = pycountry.countries.get(alpha_2=code)
    return country.name if country else code


def language_name(code: str | None) -> str:
    if not code:
        return ""
    language = pycountry.languages.get(alpha_2=code)
    return language.name if language else code


def init_templating(app: Flask) -> None:
    app.jinja_env.filters["country"] = country_name
    app.jinja_env.filters["language"] = language_name
    app.jinja_env.filters["isced"] = isced.name_of
    app.jinja_env.filters["label"] = label_of
    app.jinja_env.filters["date"] = _date
    app.jinja_env.filters["datetime"] = _datetime
    app.jinja_env.filters["filesize"] = _filesize
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    @app.context_processor
    def _globals():
        return {
            "current_user": current_user,
            "qa_body_name": _qa_body_name(app),
            "unread_notifications": _unread,
        }


def _unread() -> int:
    from qa_portal.notifications.operations import unread_count

    if not current_user.is_authenticated:
        return 0
    return unread_count(current_user)


# -- the QA body's name, shown on every page ------------------------------------------------
# Cached per application so that a page costs no query for it. The cache is dropped whenever
# this process writes to the organisation table (and again when that transaction ends, so a
# value read meanwhile is not kept); other processes pick a change up within the TTL.
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


def _qa_body_name(app: Flask) -> str:
    configured = app.config.get("QA_BODY_NAME")
    if configured:
        return configured
    cached = app.extensions.get(_CACHE_KEY)
    if cached and cached[1] == _generation[0] and cached[2] > time.monotonic():
        return cached[0]
    from qa_portal.accounts.queries import qa_body
    from qa_portal.core.db import rollback_quietly

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
