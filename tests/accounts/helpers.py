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
