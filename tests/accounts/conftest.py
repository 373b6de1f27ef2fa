"""Helpers for the account tests: signing in through the real form, reading sent e-mail."""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import current_app

from qa_portal.core.mail import OutboxMessage
from qa_portal.extensions import db
from tests.harness import PASSWORD


@dataclass
class SentEmail:
    row: OutboxMessage
    to: str
    subject: str
    body: str

    def link(self, path: str) -> str:
        """The first link in the body whose path starts with ``path``."""
        match = re.search(r"https?://[^/\s]+(" + re.escape(path) + r"[^\s]*)", self.body)
        assert match, f"no link to {path} in:\n{self.body}"
        return match.group(1)


def _eml_path(row: OutboxMessage) -> Path:
    folder = Path(current_app.config["MAIL_OUTBOX_DIR"])
    return folder / f"{row.created_at.strftime('%Y%m%dT%H%M%S')}-{row.id:06d}.eml"


@pytest.fixture
def outbox():
    """``outbox(to=None)``: the e-mails delivered so far, read back from the .eml files."""

    def read(to: str | None = None) -> list[SentEmail]:
        db.session.expire_all()
        query = sa.select(OutboxMessage).order_by(OutboxMessage.id)
        if to is not None:
            query = query.where(OutboxMessage.recipient == to)
        result = []
        for row in db.session.execute(query).scalars():
            assert row.sent_at is not None, f"message {row.id} was not sent: {row.last_error}"
            path = _eml_path(row)
            assert path.exists(), f"no .eml file for message {row.id}"
            parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            assert parsed["Message-ID"] == row.message_id
            result.append(
                SentEmail(
                    row=row,
                    to=str(parsed["To"]),
                    subject=str(parsed["Subject"]),
                    body=parsed.get_content(),
                )
            )
        return result

    return read


@pytest.fixture
def sign_in():
    """Sign in through the login form; returns the response."""

    def do(client, email_address: str, password: str = PASSWORD, next_url: str | None = None):
        url = "/login" if next_url is None else f"/login?next={next_url}"
        return client.post(url, data={"email": email_address, "password": password})

    return do
