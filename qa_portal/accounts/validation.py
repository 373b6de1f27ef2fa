"""Checking and normalising account input: e-mail addresses, web domains, countries, web sites,
password strength. Bad input raises ``FieldError`` naming the field it belongs to, so forms
show the message next to it.

Password strength is estimated by zxcvbn (Dropbox's estimator, PyPI ``zxcvbn``), whose
shipped lists of common passwords, words and names, keyboard patterns, repeats and sequences
refuse "1234567890", "aaaaaaaaaa" or "password12" however long they are.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pycountry
import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from zxcvbn import zxcvbn

from qa_portal.core.errors import InvalidInput
from qa_portal.extensions import db

MIN_PASSWORD_LENGTH = 10
# zxcvbn's score: 0 and 1 fall to fewer than a million guesses (common passwords, words with
# digits, repeats, sequences, keyboard rows); 2 and more are kept out of reach by the sign-in
# limits. zxcvbn reads at most this many characters (a longer password is judged by its start).
MIN_PASSWORD_SCORE = 2
STRENGTH_CHECKED_CHARS = 72


DOMAIN_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


class FieldError(InvalidInput):
    """Bad input that belongs to one field (``email``, ``domain``, ``password``…)."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def normalise_email(email: str) -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise FieldError("email", f"“{email}” is not a valid e-mail address: {exc}") from exc


def normalise_domain(domain: str | None) -> str | None:
    if not domain or not domain.strip():
        return None
    value = domain.strip().lower()
    value = re.sub(r"^https?://", "", value).split("/", 1)[0].removeprefix("www.")
    if not DOMAIN_RE.match(value):
        raise FieldError("domain", f"“{domain}” is not a web domain (for example: uni-example.eu).")
    return value


def check_country(code: str | None) -> str | None:
    if not code:
        return None
    if pycountry.countries.get(alpha_2=code.upper()) is None:
        raise FieldError("country", f"“{code}” is not an ISO 3166 country code.")
    return code.upper()


def normalise_website(url: str | None) -> str | None:
    """An http(s) address (``https://`` is added when the scheme is missing), or None."""
    value = (url or "").strip()
    if not value:
        return None
    if "://" not in value:
        value = "https://" + value
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.hostname or " " in value:
        raise FieldError("website", f"“{url}” is not a web address (https://…).")
    try:
        normalise_domain(parts.hostname)
    except FieldError:
        raise FieldError("website", f"“{url}” is not a web address (https://…).") from None
    return value


def check_password_strength(
    password: str, email: str | None = None, name: str | None = None
) -> None:
    """Refuse a short password, the person's e-mail address, and an easily guessed one
    (common, a word with a few digits, a repeat or a sequence, or made of their address or
    name), with zxcvbn's reason and advice."""
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise FieldError(
            "password", f"The password must have at least {MIN_PASSWORD_LENGTH} characters."
        )
    if email and password.strip().lower() == email.lower():
        raise FieldError("password", "The password must not be your e-mail address.")
    personal = [value for value in (email, name) if value]
    if email:
        personal += email.replace("@", " ").replace(".", " ").split()
    result = zxcvbn(password[:STRENGTH_CHECKED_CHARS], user_inputs=personal)
    if result["score"] < MIN_PASSWORD_SCORE:
        feedback = result["feedback"]
        reason = feedback.get("warning") or "It is too easy to guess."
        advice = " ".join(feedback.get("suggestions") or [])
        message = f"This password is too easy to guess. {reason}"
        if advice:
            message += f" {advice}"
        raise FieldError("password", message.strip())


def flush_unique(field: str, message: str) -> None:
    """Flush; a unique constraint hit by a concurrent request (a double click) becomes the
    same message as the check before it. The caller must roll back, as for any error."""
    try:
        db.session.flush()
    except sa.exc.IntegrityError as exc:
        raise FieldError(field, message) from exc
