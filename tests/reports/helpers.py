"""PDF helpers for the report tests: each page's text, words, characters and rectangles
(pdfplumber), table columns read whole, overlapping or escaping text, the metadata; and a
report requested and rendered in-process."""

from __future__ import annotations

import functools
import io
import re
from dataclasses import dataclass

import pdfplumber
from pypdf import PdfReader

from qa_portal.core import job_runner
from qa_portal.core.db import commit
from qa_portal.core.job_queue import Job
from qa_portal.extensions import db
from qa_portal.reports import operations as reports
from qa_portal.reports.models import ReportVariant


@dataclass(frozen=True)
class Page:
    width: float
    height: float
    text: str
    words: list[dict]
    chars: list[dict]
    rects: list[dict]


@functools.lru_cache(maxsize=8)
def pdf_pages(data: bytes) -> tuple[Page, ...]:
    """Each page's text, words, characters and filled rectangles (parsed once per PDF)."""
    keep = ("x0", "x1", "top", "bottom", "text")
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return tuple(
            Page(
                width=page.width,
                height=page.height,
                text=page.extract_text() or "",
                words=page.extract_words(),
                chars=[{k: c[k] for k in keep} for c in page.chars],
                rects=[{k: r[k] for k in ("x0", "x1", "top", "bottom")} for r in page.rects],
            )
            for page in pdf.pages
        )


def pdf_text(data: bytes) -> str:
    return "\n".join(page.text for page in pdf_pages(data))


def page_texts(data: bytes) -> list[str]:
    return [page.text for page in pdf_pages(data)]


def normalised(text: str) -> str:
    return " ".join(text.split())


def squeezed(text: str) -> str:
    """Without any white space: finds a phrase even where a line break split it."""
    return re.sub(r"\s+", "", text)


def _cell_of(page: Page, word: dict) -> dict | None:
    """The header cell (its background rectangle) around ``word``, if any."""
    cells = [
        r
        for r in page.rects
        if r["x0"] <= word["x0"] + 0.5
        and r["x1"] >= word["x1"] - 0.5
        and r["top"] <= word["top"] + 0.5
        and r["bottom"] >= word["bottom"] - 0.5
    ]
    return min(cells, key=lambda r: r["x1"] - r["x0"]) if cells else None


def header_cell(page: Page, first: str, second: str | None) -> dict | None:
    """The cell of header word ``first`` whose right-hand neighbour cell holds ``second``."""
    for word in page.words:
        if word["text"] != first or (cell := _cell_of(page, word)) is None:
            continue
        if second is None:
            return cell
        for other in page.words:
            if other["text"] != second or other["x0"] < cell["x1"] - 0.5:
                continue
            neighbour = _cell_of(page, other)
            if neighbour and abs(neighbour["top"] - cell["top"]) < 1:
                return cell
    return None


def _lines(words: list[dict]) -> str:
    lines: list[list[dict]] = []
    for word in sorted(words, key=lambda w: (w["top"], w["x0"])):
        if lines and abs(lines[-1][0]["top"] - word["top"]) < 2:
            lines[-1].append(word)
        else:
            lines.append([word])
    return "\n".join(" ".join(w["text"] for w in sorted(ln, key=lambda w: w["x0"])) for ln in lines)


def column_text(data: bytes, header: str, next_header: str | None) -> tuple[str, list[int]]:
    """The text of one table column on every page where the table's header row appears
    (``next_header`` is the header of the column to its right, to find the right table).
    Returns the text and the page numbers.

    A cell's wrapped lines interleave with the other cells' lines in the page text; read
    column by column, each cell is whole again."""
    first = header.split()[0]
    second = next_header.split()[0] if next_header else None
    parts, pages = [], []
    for number, page in enumerate(pdf_pages(data), start=1):
        cell = header_cell(page, first, second)
        if cell is None:
            continue
        inside = [
            w
            for w in page.words
            if w["x0"] >= cell["x0"] - 0.5
            and w["x1"] <= cell["x1"] + 0.5
            and w["top"] >= cell["bottom"] - 0.5
        ]
        parts.append(_lines(inside))
        pages.append(number)
    return "\n".join(parts), pages


def overlapping_text(data: bytes) -> list[tuple[int, str, str]]:
    """Pairs of characters printed over each other: (page number, one, the other). A block
    laid over another (a cover element under the title, a cell under its neighbour) shows
    here; neighbouring letters of a word only touch (or, kerned, overlap a little: letters
    that follow each other in the page's text are not compared)."""
    cell = 8.0  # points: characters are only compared with those in the grid cells they touch
    found = []
    for number, page in enumerate(pdf_pages(data), start=1):
        grid: dict[tuple[int, int], list[dict]] = {}
        for i, c in enumerate(page.chars):
            if not c["text"].strip():
                continue
            c = {**c, "i": i}
            cells = [
                (gx, gy)
                for gx in range(int(c["x0"] // cell), int(c["x1"] // cell) + 1)
                for gy in range(int(c["top"] // cell), int(c["bottom"] // cell) + 1)
            ]
            seen = set()
            for key in cells:
                for a in grid.get(key, ()):
                    if a["i"] in seen or abs(a["i"] - c["i"]) == 1:
                        continue
                    seen.add(a["i"])
                    width = min(a["x1"] - a["x0"], c["x1"] - c["x0"])
                    height = min(a["bottom"] - a["top"], c["bottom"] - c["top"])
                    dx = min(a["x1"], c["x1"]) - max(a["x0"], c["x0"])
                    dy = min(a["bottom"], c["bottom"]) - max(a["top"], c["top"])
                    if dx > 0.3 * width and dy > 0.3 * height:
                        found.append((number, a["text"], c["text"]))
            for key in cells:
                grid.setdefault(key, []).append(c)
    return found


def outside_the_page(data: bytes) -> list[tuple[int, str]]:
    """Characters not wholly inside their page box: (page number, character)."""
    return [
        (number, c["text"])
        for number, page in enumerate(pdf_pages(data), start=1)
        for c in page.chars
        if c["x0"] < 0 or c["top"] < 0 or c["x1"] > page.width or c["bottom"] > page.height
    ]


def pdf_metadata(data: bytes) -> dict[str, str]:
    """The document information dictionary, plus the XMP packet as text if there is one."""
    reader = PdfReader(io.BytesIO(data))
    info = {str(k): str(v) for k, v in (reader.metadata or {}).items()}
    root = reader.trailer["/Root"]
    if "/Metadata" in root:
        info["XMP"] = root["/Metadata"].get_object().get_data().decode("utf-8", "replace")
    return info


def issue(actor, decision, variant=ReportVariant.PUBLIC):
    """Request a report and let the in-process job render it: (report, PDF bytes)."""
    from qa_portal.extensions import db

    report = reports.request_report(actor, decision, variant)
    commit()
    db.session.refresh(report)
    assert report.is_ready, report.error
    return report, reports.read(report)


def hold_jobs(monkeypatch) -> list[int]:
    """Jobs are recorded but not dispatched (as with a broker and no worker): the list
    receives the id of each report whose rendering job would have been dispatched."""
    held: list[int] = []

    def hold(job_id: int) -> None:
        held.append(db.session.get(Job, job_id).arguments["report_id"])

    monkeypatch.setattr(job_runner, "dispatch", hold)
    return held
