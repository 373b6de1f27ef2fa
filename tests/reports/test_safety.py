"""The PDF renderer reads nothing but the app's own static files and ``data:`` URLs.

Every piece of text a person typed that reaches the report carries HTML that would make
WeasyPrint's default fetcher read local files (``file:``) or call a local HTTP server: the
rendered reports hold no local file's content, no embedded file, and the server sees no
request. ``SafeFetcher`` is also tested on its own, and on hostile HTML given to it
unescaped (as if a template forgot to escape), against WeasyPrint's default fetcher as a
control that shows the checks detect a leak.
"""

from __future__ import annotations

import base64
import io
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from pypdf import PdfReader
from pypdf.generic import StreamObject

from qa_portal.core.pdf import RefusedURL, SafeFetcher, html_to_pdf
from qa_portal.reports import record
from qa_portal.reports.models import ReportVariant

from .helpers import normalised, outside_the_page, overlapping_text, pdf_text
from .world import Spec, render_world

PASSWD = [line for line in Path("/etc/passwd").read_text().splitlines() if len(line) > 12]
HOSTNAME = Path("/etc/hostname").read_text().strip()


# -- a local server that records every request ----------------------------------------------
class Recorder(BaseHTTPRequestHandler):
    requests: list[str]

    def do_GET(self):  # noqa: N802 - the http.server API
        self.requests.append(self.path)
        body = b"LEAKED-OVER-HTTP"
        self.send_response(200)
        self.send_header("Content-Type", "text/css" if self.path.endswith(".css") else "image/png")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_GET  # noqa: N815

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    """A local HTTP server on a free port, in a thread; ``server.requests`` lists the paths
    it was asked for."""
    handler = type("Handler", (Recorder,), {"requests": []})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    httpd.requests = handler.requests
    httpd.port = httpd.server_address[1]
    yield httpd
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)


def payloads(port: int, where: str) -> list[str]:
    """HTML that fetches local files or the local server; the URL path names the field."""
    http = f"http://127.0.0.1:{port}/{where}"
    return [
        '<img src="file:///etc/hostname">',
        '<link rel="attachment" href="file:///etc/passwd">',
        f'<img src="{http}/img.png">',
        '<p style="background:url(file:///etc/passwd)">x</p>',
        f'<link rel="stylesheet" href="{http}/link.css">',
        f"<style>@import url({http}/import.css); body {{ background: url(file:///etc/passwd) }}"
        f" h1 {{ background: url({http}/style.png) }}</style>",
        f'<iframe src="{http}/iframe"></iframe>',
        f'<object data="{http}/object.svg"></object>',
        f'<svg><image href="{http}/svg.png" width="9" height="9"/></svg>',
        f'<div style="background-image:url({http}/attr.png)">y</div>',
        f'<embed src="{http}/embed">',
        f'<a rel="attachment" href="{http}/a-attachment">z</a>',
    ]


def packed(port: int, where: str, limit: int | None = None, lead: str = "") -> str:
    """``lead`` and as many payloads as fit in ``limit`` characters (a column's length)."""
    text = lead
    for piece in payloads(port, where):
        if limit is not None and len(text) + len(piece) > limit:
            continue
        text += piece
    assert text != lead, where
    return text


def hostile_spec(port: int) -> Spec:
    """A world where every text a person typed that reaches the report is hostile."""
    from qa_portal.demo import complete_dossier_data

    def p(where: str, limit: int | None = None, lead: str = "") -> str:
        return packed(port, where, limit, lead)

    base = complete_dossier_data("x")
    outcomes = [
        {
            **o,
            "statement": p(f"outcome{i}", lead=f"Deploy unit {i} "),
            "framework_name": p(f"framework_name{i}", 200),
            "framework_code": p(f"framework_code{i}", 200),
            "framework_url": p(f"framework_url{i}", 500),
        }
        for i, o in enumerate(base["outcomes"])
    ]
    assessments = [
        {**a, "description": p(f"assessment{i}"), "pass_criteria": p(f"pass{i}")}
        for i, a in enumerate(base["assessments"])
    ]
    dossier = {
        "title": p("title", 300, "Hostile "),
        "summary": p("summary"),
        "description": p("description"),
        "web_page": p("web_page", 500),
        "partners": [p("partner")],
        "region": p("region", 200),
        "languages_instruction": ["en", p("language")],
        "languages_assessment": ["en", p("language_assessment")],
        "keywords": [p("keyword")],
        "national_level": p("national_level", 200),
        "recognition_arrangements": p("recognition"),
        "internal_qa": p("internal_qa"),
        "earlier_reviews": p("earlier_reviews"),
        "target_audience": p("audience"),
        "cost": p("cost", 200),
        "grading_scheme": p("grading"),
        "issuance_standards": ["open_badges_3", p("standard")],
        "outcomes": outcomes,
        "assessments": assessments,
        "prerequisites": [
            {
                "kind": "skill",
                "description": p("prerequisite"),
                "related_reference": p("ref", 40),
            }
        ],
        "stackability": [
            {
                "qualification": p("qualification", 300),
                "awarding_body": p("stack_body", 300),
                "credits": 5.0,
            }
        ],
    }
    return Spec(
        qa_body=p("qa_body", 200, "Agency "),
        provider=p("provider", 200, "Provider "),
        member=p("member", 200),
        decider=p("decider", 200),
        reviewers=[
            (p("reviewer1", 200), "first.reviewer@reviewers.example"),
            (p("reviewer2", 200), "second.reviewer@reviewers.example"),
        ],
        dossier=dossier,
        files=[
            ("curriculum", p("file1", 190) + ".pdf"),
            ("assessment_sample", p("file2", 190)),
        ],
        rubric=[(p(f"criterion{i}", 300), p(f"guidance{i}")) for i in range(1, 4)],
        scores=[{2: 1}, {2: 3}],  # criterion 2 diverges: a moderation note is needed
        criterion_comment=p("criterion_comment").replace("{", "{{").replace("}", "}}"),
        comments_to_provider=p("to_provider").replace("{", "{{").replace("}", "}}"),
        confidential=p("confidential").replace("{", "{{").replace("}", "}}"),
        moderation=p("moderation").replace("{", "{{").replace("}", "}}"),
        general_note=p("general_note"),
        rationale=p("rationale"),
        conditions=[p("condition1"), p("condition2")],
    )


# -- what a PDF holds ------------------------------------------------------------------------
def streams(data: bytes) -> bytes:
    """Every stream of the PDF, decompressed (pages, fonts, images, embedded files)."""
    reader = PdfReader(io.BytesIO(data))
    out = []
    for number in range(1, int(reader.trailer["/Size"])):
        try:
            obj = reader.get_object(number)
        except Exception:  # noqa: S112 - free or missing object numbers
            continue
        if isinstance(obj, StreamObject):
            out.append(obj.get_data())
    return b"\n".join(out)


def embedded_files(data: bytes) -> list[str]:
    """Names of attachments: document-level embedded files and file-attachment annotations."""
    reader = PdfReader(io.BytesIO(data))
    names = list(reader.attachments)
    for page in reader.pages:
        for annot in page.get("/Annots") or []:
            annot = annot.get_object()
            if annot.get("/Subtype") == "/FileAttachment":
                names.append(str(annot.get("/Contents", "annotation")))
    return names


def assert_no_local_content(data: bytes, attachments: tuple[str, ...] = ()) -> None:
    """No local file, host name or served content in ``data``; no embedded file but the
    ``attachments`` expected (a report carries its decision record)."""
    text = pdf_text(data)
    raw = streams(data)
    assert embedded_files(data) == list(attachments)
    if not attachments:
        assert b"/EmbeddedFile" not in raw and b"/EmbeddedFiles" not in data
    for line in PASSWD:
        assert line not in text, line
        assert line.encode() not in raw, line
    assert not re.search(rf"(?<![\w.-]){re.escape(HOSTNAME)}(?![\w.-])", text), HOSTNAME
    assert "LEAKED-OVER-HTTP" not in text and b"LEAKED-OVER-HTTP" not in raw


# -- the reports -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def hostile(app, server):
    return render_world(app, hostile_spec(server.port))


@pytest.mark.parametrize("variant", list(ReportVariant), ids=lambda v: v.value)
def test_hostile_text_reaches_the_report_as_text_and_fetches_nothing(hostile, server, variant):
    data = hostile.pdfs[variant]
    assert_no_local_content(data, attachments=(record.NAME,))  # only the decision's record
    (attached,) = PdfReader(io.BytesIO(data)).attachments[record.NAME]
    assert json.loads(attached)["report"]["code"] == hostile.reports[variant]["code"]
    assert server.requests == []
    # the payloads are printed, harmlessly, as the characters the person typed
    text = normalised(pdf_text(data))
    assert '<img src="file:///etc/hostname">' in text
    assert 'rel="attachment" href="file:///etc/passwd">' in text
    for field in ("rationale", "condition1", "to_provider", "moderation", "outcome0"):
        assert f"127.0.0.1:{server.port}/{field}/" in text.replace(" ", ""), field
    if variant == ReportVariant.INTERNAL:
        assert f"127.0.0.1:{server.port}/confidential/" in text.replace(" ", "")
        assert f"127.0.0.1:{server.port}/reviewer1/" in text.replace(" ", "")
    # long, unbreakable text wraps inside its box: nothing off the page or printed over
    assert outside_the_page(data) == []
    assert overlapping_text(data) == []


def test_every_hostile_field_reached_the_report(hostile, server):
    """The payload test is only as good as its reach: each field's marker (the path of its
    URLs, ``/field/``) is in the PDF. Markers are read as words: in table cells the URLs wrap
    and interleave with the neighbouring cells' lines."""
    internal = pdf_text(hostile.pdfs[ReportVariant.INTERNAL])
    public = pdf_text(hostile.pdfs[ReportVariant.PUBLIC])

    def has(text: str, field: str) -> bool:
        return re.search(rf"(?<![\w-]){re.escape(field)}/", text) is not None

    fields = [
        "title",
        "summary",
        "description",
        "web_page",
        "partner",
        "region",
        "language",
        "language_assessment",
        "keyword",
        "national_level",
        "recognition",
        "internal_qa",
        "earlier_reviews",
        "audience",
        "cost",
        "grading",
        "standard",
        "outcome0",
        "framework_name0",
        "framework_code0",
        "framework_url0",
        "assessment0",
        "pass0",
        "prerequisite",
        "qualification",
        "stack_body",
        "criterion1",
        "criterion_comment",
        "to_provider",
        "moderation",
        "general_note",
        "rationale",
        "condition1",
        "condition2",
        "qa_body",
        "provider",
    ]
    missing = [f for f in fields if not has(public, f)]
    assert not missing, missing
    assert has(public, "criterion_comment") and not has(public, "confidential")
    for field in ("confidential", "reviewer1", "reviewer2", "decider"):
        assert has(internal, field), field
        assert not has(public, field), field
    assert server.requests == []


# -- SafeFetcher on its own ------------------------------------------------------------------
@pytest.fixture
def fetcher(app):
    return SafeFetcher(app.static_folder)


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "FILE:///etc/passwd",
        "file://localhost/etc/passwd",
        "/etc/passwd",
        "../../../../etc/passwd",
        "http://127.0.0.1:{port}/plain",
        "HTTP://127.0.0.1:{port}/upper",
        "https://127.0.0.1:{port}/tls",
        "ftp://127.0.0.1:{port}/ftp",
        "//127.0.0.1:{port}/protocol-relative",
        "qa-static:/../../etc/passwd",
        "qa-static:/reports/../../../../../../etc/passwd",
        "qa-static:///../../../etc/hostname",
        "qa-static:/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "qa-static:/reports/../../qa_portal/config.py",
        "qa-static:/reports",  # a folder, not a file
        "qa-static:/no-such-file.css",
        "qa-static:http://127.0.0.1:{port}/smuggled",
        "javascript:alert(1)",
        "gopher://127.0.0.1:{port}/",
    ],
)
def test_safe_fetcher_refuses(fetcher, server, url):
    url = url.format(port=server.port)
    with pytest.raises(RefusedURL):
        fetcher.fetch(url)
    assert url in fetcher.refused
    assert server.requests == []


def test_safe_fetcher_refuses_symlinks_out_of_the_static_folder(tmp_path):
    static = tmp_path / "static"
    (static / "reports").mkdir(parents=True)
    (static / "reports" / "report.css").write_text("body { color: black }")
    (static / "passwd.css").symlink_to("/etc/passwd")
    (static / "etc").symlink_to("/etc", target_is_directory=True)
    outside = tmp_path / "secret.txt"
    outside.write_text("secret")
    (static / "reports" / "secret.css").symlink_to(outside)
    fetcher = SafeFetcher(static)
    for url in (
        "qa-static:/passwd.css",
        "qa-static:/etc/passwd",
        "qa-static:/etc/hostname",
        "qa-static:/reports/secret.css",
    ):
        with pytest.raises(RefusedURL):
            fetcher.fetch(url)
    assert fetcher.fetch("qa-static:/reports/report.css").read() == b"body { color: black }"


def test_safe_fetcher_serves_the_report_stylesheet_fonts_and_data_urls(app, fetcher):
    css = fetcher.fetch("qa-static:/reports/report.css")
    assert css.content_type == "text/css"
    assert css.read() == (Path(app.static_folder) / "reports" / "report.css").read_bytes()
    font = fetcher.fetch("qa-static:/fonts/DejaVuSans.ttf?v=1#x")
    assert font.read()[:4] == b"\x00\x01\x00\x00"
    svg = "<svg xmlns='http://www.w3.org/2000/svg'/>"
    data = fetcher.fetch("data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode())
    assert data.read() == svg.encode()
    assert fetcher.fetch("data:text/plain,hello").read() == b"hello"
    assert fetcher.refused == []


# -- hostile HTML given to the renderer unescaped -------------------------------------------
def raw_hostile_html(port: int) -> str:
    return (
        "<html><head>"
        f'<link rel="stylesheet" href="http://127.0.0.1:{port}/head/link.css">'
        '<link rel="attachment" href="file:///etc/passwd" title="passwd">'
        '<link rel="attachment" href="qa-static:/../../../../../../etc/passwd">'
        f"<style>@import url(http://127.0.0.1:{port}/head/import.css);"
        "body { background: url(file:///etc/passwd) }"
        "@font-face { font-family: X; src: url(file:///etc/passwd) }</style>"
        "</head><body><h1>Report</h1>"
        + "".join(payloads(port, "body"))
        + '<img src="qa-static:/reports/../../../../../../etc/hostname">'
        + f'<a rel="attachment" href="http://127.0.0.1:{port}/body/anchor">a</a>'
        + "</body></html>"
    )


def test_unescaped_hostile_html_fetches_nothing_through_the_safe_fetcher(app, server):
    pdf = html_to_pdf(raw_hostile_html(server.port))
    assert pdf.startswith(b"%PDF")
    assert_no_local_content(pdf)
    assert server.requests == []


def test_the_checks_catch_what_the_default_fetcher_would_leak(server):
    """Control: bare WeasyPrint on the same HTML reads /etc/passwd into an attachment and
    calls the server, and the checks above see both."""
    from weasyprint import HTML

    pdf = HTML(string=raw_hostile_html(server.port)).write_pdf()
    assert embedded_files(pdf)
    with pytest.raises(AssertionError):
        assert_no_local_content(pdf)
    assert any(path.startswith("/body/") for path in server.requests)
    assert any(path.startswith("/head/") for path in server.requests)
    server.requests.clear()


def test_refused_urls_are_logged_not_fatal(app, server, caplog):
    """A refused resource is skipped with a warning; the document still renders."""
    with caplog.at_level("WARNING"):
        pdf = html_to_pdf(f'<p>ok</p><img src="http://127.0.0.1:{server.port}/logged.png">')
    assert pdf.startswith(b"%PDF")
    assert "refused" in caplog.text
    assert server.requests == []
