"""Helpers of the account tests."""

from __future__ import annotations

import re


def whoami(client) -> str | None:
    """The e-mail of the signed-in user as the account page shows it, or None."""
    response = client.get("/account")
    if response.status_code != 200:
        return None
    match = re.search(rb"<dt>E-mail</dt><dd>([^<]+)</dd>", response.data)
    return match.group(1).decode() if match else None


def field_errors(response, field: str) -> str:
    """The text of the error list shown next to ``field`` ("" when there is none)."""
    body = response.get_data(as_text=True)
    match = re.search(rf'id="{re.escape(field)}-errors"[^>]*>(.*?)</', body, re.S)
    return match.group(1) if match else ""


RESET_FORM = "/password/reset"


def open_reset_link(client, link: str):
    """Open an e-mailed reset link as a browser does: the link answers 303 to the form's
    address, which carries no token; returns that answer."""
    opened = client.get(link)
    assert opened.status_code == 303, opened.status_code
    assert opened.headers["Location"] == RESET_FORM
    return opened


def reset_through(client, link: str, password: str, confirm: str | None = None):
    """Choose ``password`` through an e-mailed link: open it, then send the form; returns
    the form's answer."""
    open_reset_link(client, link)
    data = {"password": password, "confirm": password if confirm is None else confirm}
    return client.post(RESET_FORM, data=data)
