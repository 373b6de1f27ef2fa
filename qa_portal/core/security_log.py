"""The security log: one JSON object per line for every security event (sign-in, sign-out,
lockout, denied access, password reset, role and status changes), written by the logger
``qa_portal.security``.

Each record holds ``ts`` (UTC, ISO 8601), ``event``, ``user_id`` (the account the event is
about; null when none is known), ``ip`` (``request.remote_addr``, the visitor's address
once ``TRUSTED_PROXIES`` has let ProxyFix read ``X-Forwarded-For``), ``request_id``,
``method``, ``path`` and ``user_agent`` (all null outside a web request: a command, a job),
then the event's own fields. No record holds a password, a token, a cookie or a reset link:
callers pass none, a field whose name suggests one is refused, and a route whose path
carries a secret (``/password/reset/<token>``) is logged by its pattern. Typed e-mail
addresses are logged only as ``address_hash``, keyed with the secret key (the key
``accounts/throttle.py`` stores), so a password typed into the address field never reaches
the log, while failures against one address can still be told apart.

The logger is independent of the rest of the app's logging: it does not propagate, writes
INFO and up through Flask's error stream (the WSGI server's, else stderr), and appends to
``SECURITY_LOG_FILE`` as well when that is set.

Every request gets an id: the ``X-Request-ID`` it came with when that is well formed,
otherwise a new one; it is in ``g.request_id``, in every record of the request and in the
response's ``X-Request-ID`` header.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from logging.handlers import WatchedFileHandler
from pathlib import Path
from typing import Any

from flask import Flask, current_app, g, has_request_context, request
from flask.logging import wsgi_errors_stream

from qa_portal.core.db import after_commit

LOGGER_NAME = "qa_portal.security"
logger = logging.getLogger(LOGGER_NAME)

REQUEST_ID_HEADER = "X-Request-ID"
# An incoming id is reused when it is 8 to 128 of these characters (a UUID, a proxy's hex
# id); anything else could carry text meant to mislead whoever reads the logs.
_WELL_FORMED_ID = re.compile(r"[A-Za-z0-9._-]{8,128}")
# Field names that would carry a secret: refused, so that a mistake fails loudly in tests.
_SECRET_FIELD = re.compile(r"password|token|secret|cookie|session|link|url", re.IGNORECASE)
_HIDDEN_PATH = "qa_logs_route_pattern"
_USER_AGENT_CHARS = 256
REQUEST_FIELDS = ("ip", "request_id", "method", "path", "user_agent")


# -- request ids ---------------------------------------------------------------------------
def request_id() -> str | None:
    """This request's id (the incoming ``X-Request-ID`` if well formed, else a new one);
    None outside a request."""
    if not has_request_context():
        return None
    if "request_id" not in g:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = incoming if _WELL_FORMED_ID.fullmatch(incoming) else uuid.uuid4().hex
    return g.request_id


def _echo_request_id(response):
    response.headers[REQUEST_ID_HEADER] = request_id()
    return response


# -- records -------------------------------------------------------------------------------
def secret_path(view: Callable) -> Callable:
    """Mark a view whose URL carries a secret: its records show the route's pattern
    (``/password/reset/<token>``) instead of the path."""
    setattr(view, _HIDDEN_PATH, True)
    return view


def request_details() -> dict[str, Any]:
    """Who is asking, as the records show it: address, request id, method, path, browser
    (every value None outside a request). Work that runs after the response keeps these
    from the request that scheduled it and passes them as ``context`` to ``record``."""
    if not has_request_context():
        return dict.fromkeys(REQUEST_FIELDS)
    view = current_app.view_functions.get(request.endpoint or "")
    path = request.path
    if getattr(view, _HIDDEN_PATH, False) and request.url_rule is not None:
        path = request.url_rule.rule
    agent = request.headers.get("User-Agent", "")[:_USER_AGENT_CHARS]
    return {
        "ip": request.remote_addr,
        "request_id": request_id(),
        "method": request.method,
        "path": path,
        "user_agent": agent or None,
    }


def record(
    event: str,
    user: Any = None,
    *,
    context: dict[str, Any] | None = None,
    on_commit: bool = False,
    **fields: Any,
) -> None:
    """Write the security event ``event`` about ``user`` (an account, or None) with its own
    ``fields``. ``on_commit``: written when the current transaction commits, never if it
    rolls back (for changes: a role granted, a password reset); attempts (a failed
    sign-in) are written at once. ``context``: the request details to use instead of the
    current request's (see ``request_details``)."""
    secret = [name for name in fields if _SECRET_FIELD.search(name)]
    if secret:
        raise ValueError(f"the security log takes no secret, and {secret} looks like one")
    data: dict[str, Any] = {
        "ts": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "event": event,
        "user_id": getattr(user, "id", None),
        **(context if context is not None else request_details()),
        **fields,
    }
    if on_commit:
        after_commit(lambda: _write(data))
    else:
        _write(data)


def _write(data: dict[str, Any]) -> None:
    line = json.dumps(data, default=str, separators=(",", ":"))
    logger.info(line, extra={"security_event": data})


# -- where records go ------------------------------------------------------------------------
class _ErrorStreamHandler(logging.StreamHandler):
    """Flask's error stream: the WSGI server's (gunicorn's error log), else stderr."""


class _FileHandler(WatchedFileHandler):
    """``SECURITY_LOG_FILE``: appended to, line by line, by every process; reopened when
    log rotation moves it away."""


def init_security_log(app: Flask) -> None:
    """Give every response its request id, and send the records to Flask's error stream
    and, when ``SECURITY_LOG_FILE`` is set, to that file (the logger is the process's: a
    file once added stays for every app of the process)."""
    logger.setLevel(logging.INFO)
    logger.propagate = False
    plain = logging.Formatter("%(message)s")
    if not any(isinstance(h, _ErrorStreamHandler) for h in logger.handlers):
        stream = _ErrorStreamHandler(wsgi_errors_stream)
        stream.setFormatter(plain)
        logger.addHandler(stream)
    path = app.config.get("SECURITY_LOG_FILE")
    if path:
        target = str(Path(path).resolve())
        if not any(
            isinstance(h, _FileHandler) and h.baseFilename == target for h in logger.handlers
        ):
            Path(target).parent.mkdir(parents=True, exist_ok=True)
            file = _FileHandler(target, encoding="utf-8", delay=True)
            file.setFormatter(plain)
            logger.addHandler(file)
    app.after_request(_echo_request_id)
