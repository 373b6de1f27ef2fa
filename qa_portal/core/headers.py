"""Security headers on every response, in this one place (an ``after_request`` of the app):
pages, redirects, files, JSON and error pages alike.

- ``Content-Security-Policy``: everything from the portal's own origin only; no inline
  script, no inline style, no ``eval``, no plugins; the portal may not be framed. A view may
  add directives of its own (downloads add ``sandbox``); it cannot loosen these, since the
  first occurrence of a directive wins. The templates hold no inline ``<script>``, event
  handler or ``style`` attribute (``tests/test_security_headers.py`` scans them). The PDF
  reports are rendered by WeasyPrint on the server and are not subject to it.
- ``X-Frame-Options``, ``X-Content-Type-Options``, ``Referrer-Policy`` (a view may choose a
  stricter one: the password-reset page sends none), ``Permissions-Policy``.
- ``Strict-Transport-Security`` in production only (development runs on plain HTTP).
- ``Cache-Control: no-store`` on every response to a signed-in person, unless the view
  declared it ``public`` (the JSON API, the same for everyone); static files aside.
"""

from __future__ import annotations

from flask import Flask, current_app, request
from flask_login import current_user

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
    )
)
STRICT_TRANSPORT_SECURITY = "max-age=31536000; includeSubDomains"


def init_security_headers(app: Flask) -> None:
    app.after_request(add_security_headers)


def add_security_headers(response):
    headers = response.headers
    own = headers.get("Content-Security-Policy")
    headers["Content-Security-Policy"] = (
        f"{CONTENT_SECURITY_POLICY}; {own}" if own else CONTENT_SECURITY_POLICY
    )
    headers["X-Frame-Options"] = "DENY"
    headers["X-Content-Type-Options"] = "nosniff"
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers["Permissions-Policy"] = PERMISSIONS_POLICY
    if current_app.config.get("ENV_MODE") == "production":
        headers["Strict-Transport-Security"] = STRICT_TRANSPORT_SECURITY
    if (
        request.endpoint != "static"
        and not response.cache_control.public
        and current_user.is_authenticated
    ):
        headers["Cache-Control"] = "no-store"
    return response
