"""Where the security log goes and how requests are told apart: JSON lines on Flask's error
stream (stderr) and in ``SECURITY_LOG_FILE``, independent of the app's other logging; a
request id on every response, reused from ``X-Request-ID`` when well formed."""

from __future__ import annotations

import json
import logging
import re

import pytest

from qa_portal.config import load_config
from qa_portal.core import security_log as log

GENERATED = re.compile(r"[0-9a-f]{32}")


def _failed_sign_in(client, headers=None):
    data = {"email": "someone@nowhere.example", "password": "not-the-password-1"}
    return client.post("/login", data=data, headers=headers or {})


# -- request ids ---------------------------------------------------------------------------
def test_every_response_carries_a_new_request_id(client):
    ids = set()
    for url in ("/", "/login", "/no-such-page", "/static/css/app.css", "/admin/users"):
        response = client.get(url)
        response.close()
        assert GENERATED.fullmatch(response.headers["X-Request-ID"]), url
        ids.add(response.headers["X-Request-ID"])
    assert len(ids) == 5


def test_a_well_formed_incoming_request_id_is_kept(client, security_log):
    incoming = "0b5f8a7e-1c2d-4e3f-9a8b-7c6d5e4f3a2b"
    response = _failed_sign_in(client, {"X-Request-ID": incoming})
    assert response.headers["X-Request-ID"] == incoming
    assert security_log.one("auth.login.failure")["request_id"] == incoming


@pytest.mark.parametrize(
    "incoming",
    ["short", "x" * 129, "has spaces in it", '{"event":"auth.login.success"}', "id;rm -rf"],
)
def test_a_malformed_incoming_request_id_is_replaced(client, security_log, incoming):
    response = _failed_sign_in(client, {"X-Request-ID": incoming})
    assert GENERATED.fullmatch(response.headers["X-Request-ID"])
    record = security_log.one("auth.login.failure")
    assert record["request_id"] == response.headers["X-Request-ID"]
    assert incoming not in security_log.text


# -- where the records go --------------------------------------------------------------------
def test_records_go_to_stderr_as_json_lines(client, capsys):
    _failed_sign_in(client)
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    records = [json.loads(line) for line in lines]
    assert [r["event"] for r in records] == ["auth.login.failure"]
    assert records[0]["path"] == "/login"


def test_the_log_ignores_the_logging_set_up_of_the_rest_of_the_app(client, security_log):
    app_logger = logging.getLogger("qa_portal")
    root = logging.getLogger()
    levels = app_logger.level, root.level
    app_logger.setLevel(logging.CRITICAL)
    root.setLevel(logging.CRITICAL)
    try:
        _failed_sign_in(client)
    finally:
        app_logger.setLevel(levels[0])
        root.setLevel(levels[1])
    assert security_log.events() == ["auth.login.failure"]
    assert logging.getLogger(log.LOGGER_NAME).propagate is False


@pytest.fixture
def log_file(tmp_path):
    """A ``SECURITY_LOG_FILE`` path; its handler is taken off the process's logger after."""
    path = tmp_path / "logs" / "security.log"
    yield path
    logger = logging.getLogger(log.LOGGER_NAME)
    for handler in list(logger.handlers):
        if getattr(handler, "baseFilename", None) == str(path.resolve()):
            logger.removeHandler(handler)
            handler.close()


def test_security_log_file_receives_the_records_too(make_app, log_file, capsys):
    app = make_app(SECURITY_LOG_FILE=str(log_file))
    make_app(SECURITY_LOG_FILE=str(log_file))  # a second app: still one line per record
    response = _failed_sign_in(app.test_client())
    lines = log_file.read_text().splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record["event"] == "auth.login.failure"
    assert record["request_id"] == response.headers["X-Request-ID"]
    assert lines[0] in capsys.readouterr().err  # stderr as well


def test_security_log_file_is_read_from_the_environment(tmp_path, monkeypatch):
    assert load_config(str(tmp_path))["SECURITY_LOG_FILE"] is None
    monkeypatch.setenv("SECURITY_LOG_FILE", "/var/log/qa_portal/security.log")
    assert load_config(str(tmp_path))["SECURITY_LOG_FILE"] == "/var/log/qa_portal/security.log"


def test_outside_a_request_the_request_fields_are_empty(app, security_log):
    log.record("account.role_changed", role="reviewer")
    record = security_log.one("account.role_changed")
    assert all(record[field] is None for field in log.REQUEST_FIELDS)
    assert record["user_id"] is None and record["role"] == "reviewer"
