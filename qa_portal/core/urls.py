"""Links that work in requests, CLI commands and background jobs alike.

Absolute links (e-mails, the API, the exports, a report's QR code) come from
``PUBLIC_BASE_URL``, never from the request's Host header, which a client controls; in
development without it they point at ``http://127.0.0.1:5000``, where ``flask run`` serves.
Production does not start without it (``config.ensure_public_base_url``). The inbox stores
site-relative paths.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, has_request_context, url_for

from qa_portal.core.errors import InvalidInput

DEV_BASE_URL = "http://127.0.0.1:5000"


def _adapter(base: str):
    """The URL builder for ``base``, bound once per application (an API page builds
    dozens of links)."""
    adapters = current_app.extensions.setdefault("qa_portal.url_adapters", {})
    adapter = adapters.get(base)
    if adapter is None:
        parts = urlsplit(base)
        adapter = adapters[base] = current_app.url_map.bind(
            parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme or "https"
        )
    return adapter


def external_url(endpoint: str, **values) -> str:
    """An absolute link to a page of the portal, in a request or outside one alike."""
    config = current_app.config
    base = config.get("PUBLIC_BASE_URL")
    if not base:
        if config.get("ENV_MODE") == "production":
            # Startup refuses this; a setting removed while running must not fall back to
            # the development address in links sent to people.
            raise InvalidInput(
                "Set PUBLIC_BASE_URL (for example https://qa.example.org) so that e-mailed "
                "links point at the portal."
            )
        base = DEV_BASE_URL
    return _adapter(base).build(endpoint, values, force_external=True)


def site_path(endpoint: str, **values) -> str:
    """The site-relative path of a page (with any path prefix), also outside a request."""
    if has_request_context():
        return url_for(endpoint, **values)
    base = current_app.config.get("PUBLIC_BASE_URL") or DEV_BASE_URL
    return _adapter(base).build(endpoint, values, force_external=False)
