"""Helpers for the dossier tests: form posts built from snapshot-shaped data, query counts."""

from __future__ import annotations

import contextlib
import copy
from typing import Any

from sqlalchemy import event

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
