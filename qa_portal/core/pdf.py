"""PDF rendering: a Jinja template rendered from plain data, then WeasyPrint.

WeasyPrint's default fetcher reads local files and fetches any URL, so a document could leak
``/etc/passwd`` or make the server call an internal host. ``SafeFetcher`` serves only this
application's own static files (through the ``qa-static:`` scheme) and ``data:`` URLs, and
refuses everything else — ``file:``, ``http(s):``, any host — so the PDF depends on nothing
but the data given to it.

Documents are written as PDF/A-3a (``PDF_VARIANT``): an archival PDF (ISO 19005-3) at its
"accessible" level, which WeasyPrint meets by tagging the document (a structure tree a screen
reader follows, ``/MarkInfo``, the language and title from ``<html lang>`` and ``<title>``),
embedding every font and declaring an sRGB output intent. Of WeasyPrint 70's tagged variants
it is the one that is both archival and made for attached files: PDF/A-3 allows any file to
be embedded and relates each to the document (``/AF``, ``/AFRelationship``), so a machine-
readable record travels inside the report (``PdfAttachment``). PDF/UA-1 would also be tagged,
but neither archival nor able to declare what an attachment is to the document.
"""

from __future__ import annotations

import io
import logging
import mimetypes
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import current_app

# Without the HarfBuzz-Subset library (Debian: libharfbuzz-subset0), WeasyPrint subsets the
# embedded fonts with fontTools instead: the PDFs carry the same glyphs and read the same. It
# says so with a DeprecationWarning when it is imported, and with a log warning for every font
# of every document it renders (28 lines in `flask demo`), both only announcing that a future
# WeasyPrint will need the library. Exactly these two notices are silenced, nothing else from
# WeasyPrint; this module is the first to import WeasyPrint, so the filter is in place before
# it. Where the library is installed (CI installs it) WeasyPrint uses it and says nothing.
warnings.filterwarnings(
    "ignore",
    message="HarfBuzz-Subset will be required",
    category=DeprecationWarning,
    module=r"weasyprint\.text\.ffi",
)
FONTTOOLS_FALLBACK_NOTICE = "Using fontTools instead of HarfBuzz-Subset"


class _WithoutFontToolsFallbackNotice(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(FONTTOOLS_FALLBACK_NOTICE)


logging.getLogger("weasyprint").addFilter(_WithoutFontToolsFallbackNotice())

from weasyprint import HTML, Attachment  # noqa: E402  (after the filters above)
from weasyprint.urls import URLFetcher, URLFetcherResponse  # noqa: E402

STATIC_SCHEME = "qa-static:"
PDF_VARIANT = "pdf/a-3a"
# WeasyPrint 70 opens its sRGB profile for the PDF/A output intent and never closes the file:
# a ResourceWarning as the file object is dropped, during every PDF/A rendering.
SRGB_PROFILE_LEAK = r"unclosed file <_io\.BufferedReader name='[^']*sRGB2014\.icc'>"


class RefusedURL(ValueError):
    """A URL the PDF renderer will not fetch (WeasyPrint skips the resource)."""


class SafeFetcher(URLFetcher):
    """Serve ``qa-static:/path`` from the static folder and ``data:`` URLs; refuse the rest."""

    def __init__(self, static_folder: str | Path):
        super().__init__(allowed_protocols={"data"}, allow_redirects=False, timeout=1)
        self.root = Path(static_folder).resolve()
        self.refused: list[str] = []

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        if url.startswith("data:"):
            return super().fetch(url, headers)
        if url.startswith(STATIC_SCHEME):
            relative = url[len(STATIC_SCHEME) :].split("?", 1)[0].split("#", 1)[0].lstrip("/")
            path = (self.root / relative).resolve()
            if path.is_file() and path.is_relative_to(self.root):
                mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": mime})
        self.refused.append(url)
        raise RefusedURL(
            f"refused to fetch {url!r}: only the application's static files "
            "and data: URLs are allowed in PDFs"
        )


def static_url(path: str) -> str:
    """The address of a static file as the PDF renderer fetches it."""
    return f"{STATIC_SCHEME}/{path.lstrip('/')}"


def render_html(template: str, **context: Any) -> str:
    """The template rendered with ``context`` only (no request globals, no database)."""
    return current_app.jinja_env.get_template(template).render(static_url=static_url, **context)


@dataclass(frozen=True)
class PdfAttachment:
    """A file embedded in the PDF (``relationship``: what it is to the document, PDF/A-3's
    ``/AFRelationship``: ``Data`` for the data the document presents, ``Source``,
    ``Alternative``, ``Supplement`` or ``Unspecified``)."""

    name: str
    data: bytes
    description: str
    relationship: str = "Data"
    modified: datetime | None = None

    def for_weasyprint(self, fetcher: SafeFetcher) -> Attachment:
        return Attachment(
            file_obj=io.BytesIO(self.data),
            url_fetcher=fetcher,
            name=self.name,
            description=self.description,
            relationship=self.relationship,
            created=self.modified,
            modified=self.modified,
        )


def html_to_pdf(
    html: str,
    *,
    attachments: Sequence[PdfAttachment] = (),
    variant: str | None = PDF_VARIANT,
) -> bytes:
    """HTML (from our own templates) to PDF bytes, with the safe fetcher: tagged PDF/A-3a
    by default (``variant=None``: a plain, untagged PDF), ``attachments`` embedded."""
    fetcher = SafeFetcher(current_app.static_folder)
    document = HTML(string=html, base_url=static_url(""), url_fetcher=fetcher)
    with warnings.catch_warnings():
        # only WeasyPrint's own leak (see SRGB_PROFILE_LEAK), only while it writes
        warnings.filterwarnings("ignore", message=SRGB_PROFILE_LEAK, category=ResourceWarning)
        pdf = document.write_pdf(
            pdf_variant=variant,
            attachments=[a.for_weasyprint(fetcher) for a in attachments] or None,
        )
    if fetcher.refused:
        current_app.logger.warning(
            "PDF rendering refused %d URL(s): %s",
            len(fetcher.refused),
            ", ".join(fetcher.refused[:5]),
        )
    return pdf


def render_pdf(
    template: str, *, attachments: Sequence[PdfAttachment] = (), **context: Any
) -> bytes:
    """Render ``template`` with ``context`` (plain data, not ORM objects) to PDF bytes."""
    return html_to_pdf(render_html(template, **context), attachments=attachments)
