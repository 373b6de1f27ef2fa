"""Pages of a long list: the page number comes from the query string, and a number past
the last page (however large) shows the last page instead of an empty one or an error."""

from __future__ import annotations

from flask import request
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select

from qa_portal.extensions import db

# The database's OFFSET is a signed 64-bit integer: larger page numbers are cut down to
# one that still fits before they reach it (they are past the end of any list anyway).
_LARGEST_OFFSET = 2**62


def paginate(select: Select, per_page: int, page: int | None = None) -> Pagination:
    """Page ``page`` (default: the query string's ``page``, 1 when missing or not a number)
    of ``select``, ``per_page`` rows each; a page past the last is the last page."""
    if page is None:
        page = request.args.get("page", 1, type=int)
    page = min(max(page or 1, 1), _LARGEST_OFFSET // per_page)
    result = db.paginate(select, page=page, per_page=per_page, error_out=False)
    if page > 1 and not result.items and result.total:
        result = db.paginate(select, page=result.pages, per_page=per_page, error_out=False)
    return result
