"""Errors are answered with a friendly page for people and JSON for programs; an unexpected
error shows no internals and saves nothing; ``/healthz`` tells whether the database answers."""

from __future__ import annotations

import contextlib
import io
import socket
import threading
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa

from qa_portal.accounts.models import Organisation, OrgKind
from qa_portal.core.db import after_commit, commit
from qa_portal.core.jobs import init_celery
from qa_portal.extensions import db
from tests.helpers import pdf_bytes

HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
JSON = {"Accept": "application/json"}


# -- 403, 404, 405, 409, 413 as a page and as JSON ----------------------------------------
@pytest.fixture
def scene(client, login, people, make_dossier, monkeypatch, app):
    """Set up one error: returns (method, url, request kwargs)."""

    def setup(status: int):
        if status == 403:
            login(client, people.officer)
            return "GET", "/admin/users", {}
        if status == 404:
            login(client, people.provider_b)
            dossier = make_dossier(people.provider_a, complete=False, files=False)
            return "GET", f"/dossiers/{dossier.id}", {}
        if status == 405:
            return "GET", "/logout", {}
        if status == 409:
            dossier = make_dossier(people.provider_a, submit=True)
            login(client, people.provider_a)
            url = f"/dossiers/{dossier.id}/files/{dossier.files[0].id}/remove"
            return "POST", url, {"data": {"blank": ""}}
        if status == 413:
            monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 4096)
            dossier = make_dossier(people.provider_a, complete=False, files=False)
            login(client, people.provider_a)
            body = pdf_bytes() + b"\n%" + b"x" * 8192
            data = {"kind": "curriculum", "file": (io.BytesIO(body), "big.pdf")}
            return "POST", f"/dossiers/{dossier.id}/files", {"data": data}
        raise AssertionError(status)

    return setup


ERRORS = {
    # status: (title on the page, what the message says)
    403: ("Not allowed", "Your account is not allowed to do this."),
    404: ("Page not found", "There is nothing here, or you are not allowed to see it."),
    405: ("Method not allowed", "This address does not accept that kind of request."),
    409: ("Not possible right now", "it can be edited only as a draft"),
    413: ("File too large", "Evidence files may be at most 10 MB"),
}


@pytest.mark.parametrize("status", list(ERRORS))
def test_error_page(client, scene, status):
    method, url, kwargs = scene(status)
    response = client.open(url, method=method, headers=HTML, **kwargs)
    title, message = ERRORS[status]
    assert response.status_code == status
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert f'<p class="error-code">{status}</p>' in page
    assert f"<h1>{title}</h1>" in page
    assert message in page
    assert 'href="/"' in page  # a way back


@pytest.mark.parametrize("status", list(ERRORS))
def test_error_json(client, scene, status):
    method, url, kwargs = scene(status)
    response = client.open(url, method=method, headers=JSON, **kwargs)
    assert response.status_code == status
    assert response.is_json
    body = response.get_json()
    assert set(body) == {"error", "message"}
    assert ERRORS[status][1] in body["message"]


def test_api_paths_answer_json_without_asking(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.get_json()["error"] == "page_not_found"


def test_405_says_which_methods_are_allowed(client):
    for headers in (HTML, JSON):
        response = client.get("/logout", headers=headers)
        assert response.status_code == 405
        assert "POST" in response.headers["Allow"]


def test_signed_in_pages_redirect_people_and_answer_programs_401(client, people, make_dossier):
    dossier = make_dossier(people.provider_a, complete=False, files=False)
    page = client.get(f"/dossiers/{dossier.id}/edit", headers=HTML)
    assert page.status_code == 302
    location = urlsplit(page.headers["Location"])
    assert location.path == "/login"
    assert parse_qs(location.query)["next"] == [f"/dossiers/{dossier.id}/edit"]

    check = client.post(f"/dossiers/{dossier.id}/check", headers=JSON, data={"title": "x"})
    assert check.status_code == 401
    assert check.get_json() == {"error": "unauthorized", "message": "Sign in to continue."}


# -- 500 ----------------------------------------------------------------------------------
@pytest.fixture
def failing_app(make_app):
    """An app with routes that fail half-way through a change, after queueing an e-mail."""
    application = make_app()
    mails: list[str] = []

    @application.post("/boom")
    def boom():
        db.session.add(Organisation(name="Half-saved College", kind=OrgKind.PROVIDER))
        db.session.flush()
        after_commit(lambda: mails.append("sent"))
        raise RuntimeError("secret internal detail: password=hunter2")

    @application.post("/boom-in-sql")
    def boom_in_sql():
        after_commit(lambda: mails.append("sent"))
        db.session.add(Organisation(name="Quality Agency", kind=OrgKind.PROVIDER))
        db.session.flush()  # the name is taken: IntegrityError, the transaction is broken
        commit()

    return application, mails


@pytest.mark.parametrize("url", ["/boom", "/boom-in-sql"])
def test_unexpected_error_page_shows_no_internals_and_saves_nothing(
    failing_app, qa_body, url, caplog
):
    application, mails = failing_app
    client = application.test_client()

    page = client.post(url, headers=HTML)
    data = client.post(url, headers=JSON)

    assert page.status_code == 500
    text = page.get_data(as_text=True)
    assert "Something went wrong" in text
    assert "Nothing was saved" in text
    assert "Traceback" not in text and "hunter2" not in text and "Integrity" not in text
    # the page could still read the database: the failed transaction was rolled back
    assert "Quality Agency" in text

    assert data.status_code == 500
    assert data.get_json()["error"] == "something_went_wrong"
    assert "hunter2" not in data.get_data(as_text=True)

    assert (
        db.session.execute(
            sa.select(sa.func.count())
            .select_from(Organisation)
            .where(Organisation.name == "Half-saved College")
        ).scalar()
        == 0
    )
    assert mails == []  # nothing committed, so nothing announced
    assert "Unhandled error on POST " + url in caplog.text  # but the operator can see it


# -- health check -------------------------------------------------------------------------
def test_healthz_checks_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


@pytest.fixture
def app_without_database(make_app, tmp_path):
    missing = tmp_path / "no-such-folder" / "qa.sqlite"
    return make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{missing}", QA_BODY_NAME=None)


def test_healthz_reports_an_unreachable_database(app_without_database):
    response = app_without_database.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "message": "database unavailable"}


def test_error_page_renders_when_the_database_is_down(app_without_database):
    client = app_without_database.test_client()
    response = client.post(
        "/login", data={"email": "ada@provider-a.example", "password": "x" * 12}, headers=HTML
    )
    assert response.status_code == 500
    text = response.get_data(as_text=True)
    assert "Something went wrong" in text
    assert "QA Portal" in text


# -- a database that does not answer ------------------------------------------------------
@pytest.fixture
def silent_server():
    """A TCP port on 127.0.0.1 that accepts connections and never answers: a database
    server that hangs. Its sockets are closed at the end, which ends any attempt waiting."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []

    def accept() -> None:
        with contextlib.suppress(OSError):  # closed at the end
            while True:
                accepted.append(listener.accept()[0])

    thread = threading.Thread(target=accept, name="silent-server", daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    listener.close()
    for conn in accepted:
        conn.close()
    thread.join(5)


def test_healthz_answers_503_in_time_when_the_database_hangs(make_app, silent_server):
    """The server accepts and never answers; connecting would wait a minute (the connect
    timeout is raised here so that only the health check's own limit, 2 s, can answer
    sooner). The bound of 15 s is generous for a loaded machine shared by several test runs,
    and still fails a check that waits for the connection."""
    url = f"postgresql+psycopg://qa@127.0.0.1:{silent_server}/qa"
    hanging = make_app(SQLALCHEMY_DATABASE_URI=url, DATABASE_CONNECT_TIMEOUT=60)
    started = time.monotonic()
    response = hanging.test_client().get("/healthz")
    assert time.monotonic() - started < 15
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "message": "database unavailable"}
    assert response.headers["Cache-Control"] == "no-store"


@pytest.fixture
def database_down(monkeypatch):
    """Make ``application``'s database fail every connection (as when its server is down);
    returns the list of attempts."""

    def down(application) -> list[str]:
        attempts: list[str] = []

        def refuse(*args, **kwargs):
            attempts.append("connect")
            raise sa.exc.OperationalError("connect", {}, ConnectionRefusedError("refused"))

        with application.app_context():
            monkeypatch.setattr(db.engine, "connect", refuse)
        return attempts

    return down


@pytest.mark.parametrize("url", ["/inbox/", "/no-such-page"])
def test_a_signed_in_user_gets_an_error_page_while_the_database_is_down(
    make_app, login, people, database_down, url
):
    """The page fails on the database (500), or fails on its own and its page would load the
    user from the database (404): either way the page renders, as to a visitor not signed in,
    and the error page asks the database nothing more."""
    application = make_app()
    client = login(application.test_client(), people.provider_a)
    attempts = database_down(application)
    response = client.get(url, headers=HTML)
    page = response.get_data(as_text=True)
    status, title = (500, "Something went wrong") if url == "/inbox/" else (404, "Page not found")
    assert response.status_code == status
    assert f"<h1>{title}</h1>" in page
    assert "QA Portal" in page  # the QA body's name falls back without the database
    assert "Sign in" in page and "Sign out" not in page
    assert attempts == ["connect"]  # the request's own attempt; none for the error page


def test_timeouts_reach_postgresql_and_redis(app, make_app):
    application = make_app(
        SQLALCHEMY_DATABASE_URI="postgresql+psycopg://qa@127.0.0.1:5432/qa",
        DATABASE_CONNECT_TIMEOUT=4,
        DATABASE_STATEMENT_TIMEOUT=12.5,
        RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/3",
        REDIS_TIMEOUT=3,
        CELERY_BROKER_URL="redis://127.0.0.1:6379/3",
    )
    try:
        connect_args = application.config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"]
        assert connect_args == {"connect_timeout": 4, "options": "-c statement_timeout=12500"}
        assert application.config["RATELIMIT_STORAGE_OPTIONS"] == {
            "socket_connect_timeout": 3,
            "socket_timeout": 3,
        }
        conf = application.extensions["celery"].conf
        assert conf.broker_connection_timeout == 3
        assert conf.broker_transport_options["socket_connect_timeout"] == 3
        assert conf.broker_transport_options["socket_timeout"] == 3
    finally:
        init_celery(app)  # jobs go back to the harness's app (and run in-process)
