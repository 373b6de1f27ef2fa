"""Checks every request passes before any view (or CSRF check) sees it, in one place.

- **Host.** In production Flask refuses a Host header outside ``TRUSTED_HOSTS`` (set from
  ``PUBLIC_BASE_URL``); that refusal comes first, so such a request gets its own message.
"""

from __future__ import annotations

from flask import Flask, request
from werkzeug.exceptions import SecurityError


def register_request_checks(app: Flask) -> None:
    """Run the checks before every other ``before_request`` function (call before the
    extensions are initialised: CSRFProtect checks in its own hook)."""
    app.before_request(check_request)


def check_request() -> None:
    if isinstance(request.routing_exception, SecurityError):
        raise request.routing_exception  # a Host outside TRUSTED_HOSTS
