"""Domain errors raised by operations, and the handlers that turn every error into a clear page.

Operations raise ``DomainError`` subclasses; views never catch them just to re-render a
generic page: the handlers here answer 409/403/400 with the message, as HTML for browsers
and as JSON (``{"error": ..., "message": ...}``) for API and JSON requests. Refusals (403)
and rate limits (429) are written to the security log (``core/security_log.py``).
"""

from __future__ import annotations

from flask import Flask, current_app, flash, jsonify, redirect, render_template, request
from flask.globals import request_ctx
from flask_login import current_user
from flask_login.utils import login_url
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, SecurityError

from qa_portal.core import security_log
from qa_portal.core.db import (
    DATABASE_OUTAGES,
    database_unavailable,
    mark_database_unavailable,
    rollback_quietly,
)
from qa_portal.core.storage import megabytes
from qa_portal.extensions import login_manager


class DomainError(Exception):
    """A rule of the product refused the action; nothing was changed."""

    status_code = 400
    code = "invalid"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class TransitionNotAllowed(DomainError):
    """The action is valid in general but not for this object in its current state."""

    status_code = 409
    code = "conflict"


class StaleObject(DomainError):
    """Someone else changed the object since it was loaded."""

    status_code = 409
    code = "stale"


class NotPermitted(DomainError):
    status_code = 403
    code = "forbidden"


class InvalidInput(DomainError):
    status_code = 400
    code = "invalid"


TITLES = {
    400: "Bad request",
    401: "Sign-in required",
    403: "Not allowed",
    404: "Page not found",
    405: "Method not allowed",
    409: "Not possible right now",
    413: "File too large",
    429: "Too many requests",
    500: "Something went wrong",
}


def wants_json() -> bool:
    if request.path.startswith("/api/") or request.is_json:
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return (
        best == "application/json"
        and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


# Headers of an HTTP error that must survive when we replace its body (405 needs Allow,
# 429 and 503 may carry Retry-After, 401 may carry WWW-Authenticate).
_KEPT_HEADERS = {"allow", "retry-after", "www-authenticate"}


def error_response(status: int, message: str, code: str | None = None, headers: list | None = None):
    """Roll back the unit of work and answer ``status`` as a page or as JSON."""
    rollback_quietly()
    kept = [(k, v) for k, v in headers or [] if k.lower() in _KEPT_HEADERS]
    if wants_json():
        body = {"error": code or TITLES.get(status, "error").lower().replace(" ", "_")}
        body["message"] = message
        return jsonify(body), status, kept
    page = _error_page(status=status, title=TITLES.get(status, "Error"), message=message)
    return page, status, kept


def _error_page(**context) -> str:
    """The error page; drawn without the database when it is out of reach. The signed-in
    user (their name, roles and inbox come from the database) is then shown the page as a
    visitor who is not signed in would see it. A request for a host the portal does not
    serve has no URL adapter: no link of the site can be built for it, so it gets a page
    that needs none."""
    if not request_ctx.url_adapter:
        return render_template("errors/bare.html", **context)
    if not database_unavailable():
        try:
            return render_template("errors/error.html", **context)
        except DATABASE_OUTAGES:  # failed while drawing the page (loading the user…)
            rollback_quietly()
            mark_database_unavailable()
    current_app.login_manager._update_request_context_with_user()  # anonymous, no query
    return render_template("errors/error.html", **context)


CSRF_MESSAGE = (
    "This form has expired or was not sent from this site, so nothing was saved. "
    "Go back, reload the page and try again."
)


def _http_message(exc: HTTPException) -> str:
    if isinstance(exc, CSRFError):
        return CSRF_MESSAGE
    if isinstance(exc, SecurityError):
        message = "This request was addressed to a host name this portal does not answer to."
        public = current_app.config.get("PUBLIC_BASE_URL")
        return f"{message} Use its public address, {public}." if public else message
    if exc.code == 405:
        return "This address does not accept that kind of request."
    if exc.code == 413:
        if request.mimetype != "multipart/form-data":
            return (
                "The form you sent is too large to be accepted. Please shorten the longest "
                "texts and try again."
            )
        limit = megabytes(current_app.config["EVIDENCE_MAX_BYTES"])
        return (
            f"The file you sent is too large. Evidence files may be at most {limit}; "
            "please compress the PDF or split it and try again."
        )
    if exc.code == 404:
        return "There is nothing here, or you are not allowed to see it."
    if exc.code == 403:
        return "Your account is not allowed to do this."
    if exc.code == 429:
        return "Too many requests in a short time. Please wait a moment and try again."
    return exc.description or TITLES.get(exc.code or 500, "Error")


def log_refusal(event: str, status: int, reason: str | None) -> None:
    """A 403 (``access.denied``) or a rate limit (``access.rate_limited``) in the security
    log: who was refused what, written before the unit of work is rolled back, while the
    signed-in person is still loaded. Visitors who are not signed in are sent to the sign-in
    page instead of a 403, which is not logged: expired sessions and bookmarks cause most."""
    user = None
    if not database_unavailable():
        try:
            user = current_user._get_current_object() if current_user.is_authenticated else None
        except DATABASE_OUTAGES:
            mark_database_unavailable()
    security_log.record(event, user, status=status, endpoint=request.endpoint, reason=reason)


def _stated_reason(exc: HTTPException) -> str | None:
    """What raised ``exc`` said (``abort(403, description)``, the limit exceeded), if it
    said more than Werkzeug's default."""
    return exc.description if exc.description != type(exc).description else None


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def handle_domain_error(exc: DomainError):
        if exc.status_code == 403:
            log_refusal("access.denied", 403, exc.message)
        return error_response(exc.status_code, exc.message, exc.code)

    @app.errorhandler(HTTPException)
    def handle_http_error(exc: HTTPException):
        if exc.code == 401 and not wants_json():
            return exc.get_response()
        if exc.code == 403:
            log_refusal("access.denied", 403, _stated_reason(exc))
        elif exc.code == 429:
            log_refusal("access.rate_limited", 429, _stated_reason(exc))
        code = "csrf_failed" if isinstance(exc, CSRFError) else None
        return error_response(exc.code or 500, _http_message(exc), code, exc.get_headers())

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception):
        if isinstance(exc, HTTPException):  # pragma: no cover - handled above
            return handle_http_error(exc)
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        if isinstance(exc, DATABASE_OUTAGES):
            mark_database_unavailable()
        return error_response(
            500,
            "An unexpected error occurred and has been logged. Nothing was saved; please try "
            "again, and contact the QA body if it happens again.",
        )

    login_manager.unauthorized_handler(_sign_in_required)


def _sign_in_required():
    """Anonymous visitors of a signed-in page: browsers go to the sign-in page (and come
    back afterwards); JSON clients get a 401 they can act on instead of an HTML redirect."""
    if wants_json():
        return error_response(401, "Sign in to continue.", "unauthorized")
    flash(login_manager.login_message, login_manager.login_message_category)
    return redirect(login_url(login_manager.login_view, next_url=request.url))
