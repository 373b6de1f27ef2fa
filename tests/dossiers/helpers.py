"""Helpers for the dossier tests: form posts built from snapshot-shaped data, query counts."""

from __future__ import annotations

import contextlib
import copy
from html.parser import HTMLParser
from typing import Any

from sqlalchemy import event
from werkzeug.datastructures import MultiDict

from qa_portal.demo import complete_dossier_data
from qa_portal.extensions import db

FILES = [
    {"id": 1, "kind": "curriculum", "name": "c.pdf", "sha256": "a" * 64, "size": 10},
    {"id": 2, "kind": "assessment_sample", "name": "s.pdf", "sha256": "b" * 64, "size": 10},
]


def complete_data(title: str = "Cloud-Native Operations") -> dict[str, Any]:
    """A complete dossier in the snapshot shape, with its awarding body and files."""
    data = complete_dossier_data(title)
    data["awarding_body"] = {"id": 1, "name": "Provider A", "country": "IE"}
    data["files"] = copy.deepcopy(FILES)
    return data


def form_fields(data: dict[str, Any], lock_version: Any) -> dict[str, Any]:
    """The fields a browser sends for the authoring form filled in with ``data``."""
    fields: dict[str, Any] = {"lock_version": str(lock_version), "save": "1"}
    for name, value in data.items():
        if name in {"outcomes", "assessments", "prerequisites", "stackability", "files"}:
            continue
        if name in {"awarding_body", "reference"}:
            continue
        if name == "partners":
            fields[name] = "\n".join(value)
        elif name in {"languages_instruction", "languages_assessment", "keywords"}:
            fields[name] = ", ".join(value)
        elif name == "level_not_applicable":
            if value:
                fields[name] = "y"
        elif name == "issuance_standards":
            fields[name] = list(value)
        elif value is None:
            fields[name] = ""
        else:
            fields[name] = str(value)
    for group in ("outcomes", "assessments", "prerequisites", "stackability"):
        for i, row in enumerate(data.get(group) or []):
            for key, value in row.items():
                name = f"{group}-{i}-{key}"
                if isinstance(value, list):
                    fields[name] = list(value)
                else:
                    fields[name] = "" if value is None else str(value)
    return fields


@contextlib.contextmanager
def count_queries():
    """Count the SQL statements run inside the block (``with count_queries() as n: …; n[0]``)."""
    counter = [0]

    def before(conn, cursor, statement, parameters, context, executemany):
        counter[0] += 1

    engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", before)


class _FormParser(HTMLParser):
    """Collects what a browser would send for one form: inputs, checked boxes, textareas,
    selected options (submit buttons excluded)."""

    def __init__(self, form_id: str):
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = False
        self.fields: list[tuple[str, str]] = []
        self._textarea: str | None = None
        self._text: list[str] = []
        self._select: str | None = None
        self._select_value: str | None = None
        self._first_option: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("id") == self.form_id
            return
        if not self.inside:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in {"submit", "button", "file"}:
                return
            if kind in {"checkbox", "radio"} and "checked" not in a:
                return
            self.fields.append((name, a.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []
        elif tag == "select" and name:
            self._select, self._select_value, self._first_option = name, None, None
        elif tag == "option" and self._select:
            value = a.get("value", "")
            if self._first_option is None:
                self._first_option = value
            if "selected" in a:
                self._select_value = value

    def handle_data(self, data):
        if self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "form" and self.inside:
            self.inside = False
        elif tag == "textarea" and self._textarea is not None:
            # browsers drop the line break right after <textarea>
            text = "".join(self._text).replace("\r\n", "\n")
            self.fields.append((self._textarea, text[1:] if text.startswith("\n") else text))
            self._textarea = None
        elif tag == "select" and self._select:
            value = self._select_value if self._select_value is not None else self._first_option
            self.fields.append((self._select, value or ""))
            self._select = None


def page_form(html: str, form_id: str = "dossier-form") -> MultiDict:
    """The fields the browser would post from ``form_id`` on this page."""
    parser = _FormParser(form_id)
    parser.feed(html)
    return MultiDict(parser.fields)
