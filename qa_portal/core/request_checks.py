"""Checks every request passes before any view (or CSRF check) sees it, in one place.

- **Host.** In production Flask refuses a Host header outside ``TRUSTED_HOSTS`` (set from
  ``PUBLIC_BASE_URL``); that refusal comes first, so such a request gets its own message.
- **Control characters.** A NUL byte or another C0 control character in the path, a
  query-string value, a form field, an uploaded file's name or a string of a JSON body is
  refused with a 400: PostgreSQL cannot store NUL in text, and no field of the portal
  means any of them. Tab, CR and LF pass in form fields and JSON strings (multi-line
  texts); names and query-string values (single-line by nature) accept none.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from flask import Flask, request
from werkzeug.exceptions import SecurityError

from qa_portal.core.errors import InvalidInput

# C0 controls, and the same without tab, LF and CR.
_CONTROL = re.compile(r"[\x00-\x1f]")
_CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")

MESSAGE = (
    "The {where} contains a control character (such as a NUL byte) that the portal does "
    "not accept, so nothing was saved. Remove it (retype the text rather than pasting it) "
    "and try again."
)


def register_request_checks(app: Flask) -> None:
    """Run the checks before every other ``before_request`` function (call before the
    extensions are initialised: CSRFProtect checks in its own hook)."""
    app.before_request(check_request)


def check_request() -> None:
    if isinstance(request.routing_exception, SecurityError):
        raise request.routing_exception  # a Host outside TRUSTED_HOSTS
    where = first_control_character()
    if where is not None:
        raise InvalidInput(MESSAGE.format(where=where))


def first_control_character() -> str | None:
    """Where the request carries a control character it may not, in words, or None."""
    if _CONTROL.search(request.path):
        return "address"
    for name, value in request.args.items(multi=True):
        if _CONTROL.search(name) or _CONTROL.search(value):
            return f"address's “{_printable(name)}” value"
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return None
    for name, value in request.form.items(multi=True):
        if _CONTROL.search(name) or _CONTROL_IN_TEXT.search(value):
            return f"form's “{_printable(name)}” field"
    for name, upload in request.files.items(multi=True):
        if _CONTROL.search(name) or _CONTROL.search(upload.filename or ""):
            return "name of an uploaded file"
    if request.is_json:
        for text, is_key in _json_strings(_json_body()):
            if (_CONTROL if is_key else _CONTROL_IN_TEXT).search(text):
                return "JSON body"
    return None


def _json_body():
    """The JSON body, None when it is not JSON; nesting too deep for the parser is a 400."""
    try:
        return request.get_json(silent=True)
    except RecursionError:
        raise InvalidInput("The JSON body is nested too deeply to be read.") from None


def _json_strings(document) -> Iterator[tuple[str, bool]]:
    """Every string of a JSON document, with whether it is an object's key (walked without
    recursion: the document may be nested as deeply as the parser allows)."""
    pending = [document]
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            yield value, False
        elif isinstance(value, dict):
            yield from ((key, True) for key in value)
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)


def _printable(name: str) -> str:
    return _CONTROL.sub("?", name)[:40]
