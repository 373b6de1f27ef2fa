"""``flask demo`` on an empty database, then every demo account clicks through every page
it can reach: each link the portal shows someone opens without an error (no 4xx, no 500),
every page of every demo dossier is reached and renders for each person who may see it, and
nobody else learns that it exists (404); and no page writes when it is opened."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import urldefrag, urlsplit

import pytest
import sqlalchemy as sa
from werkzeug.exceptions import HTTPException
from werkzeug.security import generate_password_hash

from qa_portal.accounts.models import User
from qa_portal.demo import DEMO_PASSWORD, PROVIDER_MEMBERS, REVIEWERS, STAFF
from qa_portal.demo_decisions import APPEALS_MEMBERS, COMMITTEE_MEMBERS
from qa_portal.dossiers.models import Dossier
from qa_portal.extensions import db
from qa_portal.reviews.models import ReviewAssignment
from tests.helpers import pdf_bytes
from tests.test_access_matrix import ACCESS_LOGGED, AUDIT_INSERT, WRITE, statements_run

# Every demo account but the second member of Northbridge, who sees what the first one sees.
EMAILS = (
    [e for e, *_ in STAFF]
    + [e for e, *_ in PROVIDER_MEMBERS if not e.startswith("colleague@")]
    + [e for e, *_ in REVIEWERS]
    + [e for e, _ in COMMITTEE_MEMBERS]
    + [e for e, _ in APPEALS_MEMBERS]
)
MAX_PAGES = 600  # per person: far more than the demo has; stops a runaway crawl
HREF = re.compile(r'href="([^"]+)"')
# The inbox opens an unread entry with a form (a POST that marks it read on the way).
INBOX_ENTRY = re.compile(r'<form method="post" action="(/inbox/\d+)"')
# Links that are not pages of the portal, that end the session, or that only combine the
# catalogue's filters (every combination is the same page; tests/catalogue covers them).
SKIP = (
    "/static/",
    "/logout",
    "mailto:",
    "http://",
    "https://",
    "#",
    "/catalogue?",
    "/catalogue.csv?",
    "/api/v1/listings?",
)


@pytest.fixture
def demo(app, monkeypatch):
    # Seconds saved: the demo's evidence PDFs without WeasyPrint, its passwords hashed
    # cheaply (the sign-in below still checks them).
    monkeypatch.setattr("qa_portal.demo._pdf", lambda title, body: pdf_bytes(title))
    monkeypatch.setattr(
        "qa_portal.accounts.models.generate_password_hash",
        lambda password: generate_password_hash(password, method="pbkdf2:sha256:1000"),
    )
    result = app.test_cli_runner().invoke(args=["demo", "--no-upgrade"])
    assert result.exit_code == 0, result.output
    assert "Demo data ready" in result.output
    return {u.email: u for u in db.session.execute(sa.select(User)).scalars()}


def sign_in(client, email: str) -> None:
    client.post("/logout")
    response = client.post("/login", data={"email": email, "password": DEMO_PASSWORD})
    assert response.status_code == 302, (email, response.status_code)


def crawl(client) -> tuple[dict[str, int], list[str]]:
    """Every page reachable by following links from the home page (path → status), and the
    writes any of those GETs made (the access log of file downloads aside)."""
    seen: dict[str, int] = {}
    writes: list[str] = []
    todo = ["/"]
    opened: set[str] = set()  # inbox entries, opened as the inbox does it
    routes = client.application.url_map.bind("qa.test")
    while todo and len(seen) < MAX_PAGES:
        url = todo.pop()
        if url in seen:
            continue
        with statements_run() as statements:
            response = client.post(url) if url in opened else client.get(url)
        response.close()  # downloads stream from an open file
        seen[url] = response.status_code
        if url not in opened:
            try:
                endpoint = routes.match(urlsplit(url).path)[0]
            except HTTPException:
                endpoint = None
            writes += [
                f"GET {url}: {' '.join(statement.split())[:120]}"
                for statement in filter(WRITE.match, statements)
                if not (endpoint in ACCESS_LOGGED and AUDIT_INSERT.match(statement))
            ]
        if response.status_code in (301, 302, 303):
            location = urlsplit(response.headers["Location"])
            target = location.path + (f"?{location.query}" if location.query else "")
            if not location.netloc or location.netloc == "qa.test":
                todo.append(target)
            continue
        if response.mimetype != "text/html":
            continue
        for href in HREF.findall(response.text):
            href = urldefrag(unescape(href))[0]
            if href.startswith("/") and not href.startswith(SKIP) and href not in seen:
                todo.append(href)
        for action in INBOX_ENTRY.findall(response.text):
            if action not in seen:
                opened.add(action)
                todo.append(action)
    return seen, writes


def test_every_demo_account_clicks_through_its_pages(app, demo):
    dossiers = list(db.session.execute(sa.select(Dossier).order_by(Dossier.id)).scalars())
    assert len(dossiers) == 25
    assignments = db.session.execute(
        sa.select(ReviewAssignment.reviewer_id, ReviewAssignment.id)
    ).all()
    client = app.test_client()
    for email in EMAILS:
        user = demo[email]
        sign_in(client, email)
        seen, writes = crawl(client)
        assert not writes, f"{email}: pages that write when opened: {writes}"
        broken = {url: status for url, status in seen.items() if status not in (200, 302)}
        assert not broken, f"{email}: links that lead to an error: {broken}"
        assert 5 < len(seen) < MAX_PAGES, (email, len(seen))
        for dossier in dossiers:
            if dossier.is_member(user) or (user.is_staff and dossier.versions):
                # every page of the dossier was reached, and rendered
                page = f"/dossiers/{dossier.id}" if dossier.versions else None
                if dossier.is_member(user) and dossier.is_editable:
                    page = f"/dossiers/{dossier.id}/edit"
                assert seen.get(page) == 200, (email, page)
                for v in dossier.versions:
                    assert seen.get(f"/dossiers/{dossier.id}/versions/{v.number}") == 200
            else:
                # nobody else learns that it exists
                for url in (f"/dossiers/{dossier.id}", f"/dossiers/{dossier.id}/versions/1"):
                    assert client.get(url).status_code == 404, (email, url)
        for reviewer_id, assignment_id in assignments:
            url = f"/reviews/assignments/{assignment_id}"
            if reviewer_id == user.id:
                assert seen.get(url) == 200, (email, url)
