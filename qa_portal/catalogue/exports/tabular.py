"""The catalogue as a CSV download: one row per listing, cells neutralised against formula
injection when the file is opened in a spreadsheet."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

from qa_portal.catalogue.exports.common import iso
from qa_portal.core.urls import external_url

CSV_COLUMNS = (
    "id",
    "reference",
    "title",
    "provider",
    "country",
    "eqf_level",
    "isced_code",
    "ects",
    "workload_hours",
    "participation",
    "languages",
    "keywords",
    "status",
    "valid_from",
    "valid_until",
    "url",
)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """A text cell that a spreadsheet would read as a formula (it starts with ``=``, ``+``,
    ``-``, ``@``, a tab or a carriage return, also after spaces) gets a leading apostrophe,
    so it is shown as text and never run. Numbers are left alone."""
    if isinstance(value, str) and value.lstrip(" ")[:1] in FORMULA_START and value:
        return "'" + value
    return value


def csv_rows(listings, today: date):
    """The CSV document, row by row (a UTF-8 byte-order mark first, so spreadsheets read the
    accents right)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    yield "\ufeff" + buffer.getvalue()
    for listing in listings:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(
            [
                neutralise(v)
                for v in (
                    listing.id,
                    listing.reference,
                    listing.title,
                    listing.provider_name,
                    listing.country,
                    listing.eqf_level,
                    listing.isced_code,
                    None if listing.ects is None else f"{float(listing.ects):g}",
                    listing.workload_hours,
                    listing.participation,
                    listing.languages,
                    listing.keywords_text,
                    listing.public_status(today).value,
                    iso(listing.valid_from),
                    iso(listing.valid_until),
                    external_url("catalogue.detail", listing_id=listing.id),
                )
            ]
        )
        yield buffer.getvalue()
