"""Jinja filters and globals shared by every template. Each domain package adds its own
(``app_template_filter`` and ``app_context_processor`` on its blueprint)."""

from __future__ import annotations

from datetime import datetime

import pycountry
from flask import Flask
from flask_login import current_user


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
    app.jinja_env.filters["date"] = _date
    app.jinja_env.filters["datetime"] = _datetime
    app.jinja_env.filters["filesize"] = _filesize
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    @app.context_processor
    def _globals():
        return {
            "current_user": current_user,
        }
