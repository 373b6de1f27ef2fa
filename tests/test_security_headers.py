"""The security headers (core/headers.py) on error pages, public pages and in production, and
the templates that make a strict Content-Security-Policy possible: no inline script, event
handler or style attribute. The access matrix (test_access_matrix.py) checks the headers
of every route for every visitor."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.helpers import security_header_problems

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"
SCRIPTS = ROOT / "qa_portal" / "static" / "js"
# Rendered by WeasyPrint on the server (the PDF reports) or sent as e-mail: no browser
# applies the portal's Content-Security-Policy to them.
NOT_SERVED = ("email/", "reports/report.html")

INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"<[a-z][^>]*\sstyle\s*=", re.IGNORECASE)
STYLE_BLOCK = re.compile(r"<style\b", re.IGNORECASE)
JAVASCRIPT_URL = re.compile(r"""=\s*["']?\s*javascript:""", re.IGNORECASE)
CHECKS = {
    "inline <script>": INLINE_SCRIPT,
    "event handler attribute": EVENT_HANDLER,
    "style attribute": STYLE_ATTRIBUTE,
    "<style> block": STYLE_BLOCK,
    "javascript: URL": JAVASCRIPT_URL,
}


def inline_code(text: str) -> list[str]:
    """What in ``text`` a strict Content-Security-Policy would block."""
    return [name for name, pattern in CHECKS.items() if pattern.search(text)]


def served_templates() -> list[Path]:
    return [
        path
        for path in sorted(TEMPLATES.rglob("*.html"))
        if not path.relative_to(TEMPLATES).as_posix().startswith(NOT_SERVED)
    ]


def test_no_template_holds_inline_script_or_style():
    found = {
        path.relative_to(TEMPLATES).as_posix(): problems
        for path in served_templates()
        if (problems := inline_code(path.read_text()))
    }
    assert len(served_templates()) > 40
    assert not found, f"move these to qa_portal/static (js/ or css/app.css): {found}"


@pytest.mark.parametrize(
    "snippet",
    [
        "<script>alert(1)</script>",
        '<script type="module">go()</script>',
        '<button type="submit" onclick="return confirm(\'Sure?\')">',
        '<body onload="start()">',
        '<form method="post"\n      onsubmit="check()">',
        '<p style="white-space:pre-line">',
        "<style>p { color: red }</style>",
        '<a href="javascript:void(0)">',
    ],
)
def test_the_scan_finds_inline_code(snippet):
    assert inline_code(snippet)


@pytest.mark.parametrize(
    "snippet",
    [
        '<script src="/static/js/dossier.js" defer></script>',
        '<form data-confirm="Desk-reject this dossier?" class="inline-form">',
        '<input name="reason" placeholder="Reason to reopen" class="width-m">',
        "<p>Write one outcome per row; the online form checks it as you type.</p>",
    ],
)
def test_the_scan_lets_allowed_markup_pass(snippet):
    assert not inline_code(snippet)


def test_the_scripts_build_no_code_from_strings():
    for path in SCRIPTS.glob("*.js"):
        text = path.read_text()
        for pattern in (r"\beval\(", r"new Function\(", r"setAttribute\(\s*['\"](on|style)"):
            assert not re.search(pattern, text), (path.name, pattern)


# -- headers on answers the access matrix does not cover ------------------------------------
def test_error_pages_carry_the_headers(client, login, people):
    anonymous = [client.get("/no-such-page"), client.get("/logout")]
    for response in anonymous:
        assert response.status_code in (404, 405)
        assert security_header_problems(response, signed_in=False) == []
    login(client, people.provider_a)
    for response in (client.get("/no-such-page"), client.get("/admin/users")):
        assert response.status_code in (403, 404)
        assert security_header_problems(response, signed_in=True) == []


def test_an_unexpected_error_carries_the_headers(make_app, people, login):
    application = make_app()

    @application.get("/boom")
    def boom():
        raise RuntimeError("failure")

    client = login(application.test_client(), people.reviewer)
    response = client.get("/boom")
    assert response.status_code == 500
    assert security_header_problems(response, signed_in=True) == []


def test_the_error_page_without_a_database_carries_the_headers(make_app, tmp_path):
    missing = tmp_path / "no-such-folder" / "qa.sqlite"
    application = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{missing}", QA_BODY_NAME=None)
    response = application.test_client().post(
        "/login", data={"email": "ada@provider-a.example", "password": "x" * 12}
    )
    assert response.status_code == 500
    assert security_header_problems(response, signed_in=False) == []


def test_public_pages_keep_their_caching_for_everyone_else(client, login, people):
    anonymous = client.get("/catalogue")
    assert anonymous.status_code == 200 and "no-store" not in anonymous.headers.get(
        "Cache-Control", ""
    )
    login(client, people.provider_a)
    assert client.get("/catalogue").headers["Cache-Control"] == "no-store"  # shows the person
    api = client.get("/api/v1/listings")
    assert api.headers["Cache-Control"] == "public, max-age=60"  # the same for everyone


def test_strict_transport_security_in_production_only(app, make_app):
    production = make_app(ENV_MODE="production").test_client().get("/catalogue")
    assert production.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    development = app.test_client().get("/catalogue")
    assert "Strict-Transport-Security" not in development.headers


def test_a_download_keeps_its_own_sandbox(client, login, people, make_dossier):
    dossier = make_dossier(people.provider_a)
    login(client, people.provider_a)
    response = client.get(f"/dossiers/{dossier.id}/files/{dossier.files[0].id}")
    response.close()
    assert response.status_code == 200
    policy = response.headers["Content-Security-Policy"]
    assert policy.endswith("; sandbox") and "frame-ancestors 'none'" in policy
    assert security_header_problems(response, signed_in=True) == []
