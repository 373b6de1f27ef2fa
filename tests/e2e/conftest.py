"""Browser-test set-up: the real app served over HTTP, and the system's Chromium.

The live server is a second application built from the harness's test configuration on
the same session database, but with CSRF protection on and a real host name, so the
browser goes through exactly what a person's browser would. Playwright drives the
Debian ``chromium`` package; it never downloads a browser of its own.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from qa_portal import create_app
from qa_portal.core.jobs import init_celery
from qa_portal.extensions import db
from tests.harness import test_config as harness_config

CHROMIUM = os.environ.get("QA_PORTAL_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


@dataclass
class LiveServer:
    url: str
    app: object


@pytest.fixture(scope="session")
def live_server(app, database_url, tmp_path_factory) -> Iterator[LiveServer]:
    """The portal over HTTP on 127.0.0.1 (a free port), CSRF on, on the session database.

    Depends on ``app`` so the database is migrated before the first request.
    """
    tmp = tmp_path_factory.mktemp("live")
    config = harness_config(database_url, tmp)
    config.update(
        WTF_CSRF_ENABLED=True,
        SERVER_NAME=None,
        PUBLIC_BASE_URL=None,
    )
    live_app = create_app(config)
    # create_app binds the (global) Celery app's tasks to the newest Flask app; give them back
    # to the harness's, so jobs in later tests of the session use its configuration.
    init_celery(app)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # errors still show
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    live_app.config["PUBLIC_BASE_URL"] = url
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(url=url, app=live_app)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with live_app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="session")
def browser():
    """The system's Chromium, headless, without any call home; one for the session."""
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: install the Debian package (apt-get install "
            "chromium) or point QA_PORTAL_CHROMIUM at a Chromium binary.",
            pytrace=False,
        )
    from playwright.sync_api import expect, sync_playwright

    # The live checklist waits half a second after typing; leave room on a busy machine.
    expect.set_options(timeout=10_000)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class PageProblems:
    """What went wrong in the browser while a test ran: each one fails the test."""

    server_errors: list[str] = field(default_factory=list)
    script_errors: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def all(self) -> list[str]:
        return self.server_errors + self.script_errors + self.console_errors


def _new_context(browser, live_server, **options):
    problems = PageProblems()
    context = browser.new_context(base_url=live_server.url, **options)
    context.set_default_timeout(10_000)

    def watch(page):
        page.on(
            "response",
            lambda r: r.status >= 500 and problems.server_errors.append(f"{r.status} {r.url}"),
        )
        page.on("pageerror", lambda exc: problems.script_errors.append(str(exc)))
        page.on(
            "console",
            lambda m: m.type == "error" and problems.console_errors.append(m.text),
        )

    context.on("page", watch)
    return context, problems


@pytest.fixture
def browser_context(browser, live_server):
    """A fresh browser profile (cookies, storage) for one test; JavaScript on."""
    context, problems = _new_context(browser, live_server)
    yield context
    context.close()
    assert not problems.all(), problems


@pytest.fixture
def page(browser_context):
    return browser_context.new_page()


@pytest.fixture
def make_context(browser, live_server):
    """Factory for contexts with other options (no JavaScript, a phone's viewport…)."""
    made = []

    def make(**options):
        context, problems = _new_context(browser, live_server, **options)
        made.append((context, problems))
        return context

    yield make
    for context, problems in made:
        context.close()
        assert not problems.all(), problems


@pytest.fixture
def screenshot(request):
    """``screenshot(page, "step")`` saves artifacts/screenshots/<test>-<nn>-<step>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    test = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()).strip("-")
    counter = iter(range(1, 100))

    def shoot(page, step: str, *, full_page: bool = True) -> Path:
        path = SCREENSHOTS / f"{test}-{next(counter):02d}-{step}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return shoot


@pytest.fixture
def sign_in():
    """``sign_in(page, user)``: through the login form, as a person would."""
    from tests.harness import PASSWORD

    def do(page, user, password: str = PASSWORD) -> None:
        page.goto("/login")
        page.get_by_label("E-mail address").fill(user.email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.get_by_text(f"Welcome, {user.name}.").wait_for()

    return do
