"""Helpers of the file tests: what the upload and report folders hold, uploads through the
portal's forms, and a report row stored without rendering."""

from __future__ import annotations

import io
import re
from pathlib import Path

from flask import current_app
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from qa_portal.core import storage
from qa_portal.core.models import utcnow
from qa_portal.extensions import db
from qa_portal.reports import operations as reports
from qa_portal.reports.models import Report, ReportStatus, ReportVariant
from tests.helpers import page_text, pdf_bytes


def folder(kind: str = "uploads") -> Path:
    return Path(current_app.config["UPLOAD_DIR" if kind == "uploads" else "REPORT_DIR"])


def names(kind: str = "uploads") -> set[str]:
    """The names of the files in the folder."""
    root = folder(kind)
    return {p.name for p in root.iterdir()} if root.exists() else set()


def parts(kind: str = "uploads") -> set[str]:
    return {n for n in names(kind) if n.endswith(".part")}


def post_evidence(
    client, dossier_id: int, data: bytes, name="evidence.pdf", kind="curriculum", **kw
):
    """Upload a dossier evidence file as the edit page's form does."""
    boundary, body = encode_multipart(
        {"kind": kind, "file": FileStorage(io.BytesIO(data), filename=name)}
    )
    return client.post(
        f"/dossiers/{dossier_id}/files",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
        **kw,
    )


def post_condition_evidence(client, dossier, condition, note="", files=(), **kw):
    """Submit evidence for a condition as the dossier page's form does."""
    data = {"note": note, "files": [(io.BytesIO(content), name) for name, content in files]}
    return client.post(
        f"/dossiers/{dossier.id}/conditions/{condition.id}/evidence",
        data=data,
        content_type="multipart/form-data",
        **kw,
    )


def stored_report(dossier, decision) -> Report:
    """A ready public report whose PDF is stored (not rendered: cheap)."""
    stored = storage.save_bytes(pdf_bytes("Report"), kind="reports")
    report = Report(
        dossier_id=dossier.id,
        decision=decision,
        variant=ReportVariant.PUBLIC,
        revision=1,
        number="QA-FILES-1",
        code=reports.new_code(),
        status=ReportStatus.READY,
        stored_name=stored.stored_name,
        sha256=stored.sha256,
        size=stored.size,
        pages=1,
        rendered_at=utcnow(),
    )
    db.session.add(report)
    db.session.flush()
    return report


def field_errors(response, field_id: str) -> str:
    """The errors shown next to the field ``field_id``."""
    found = re.search(
        rf'<ul class="field-errors" id="{field_id}-errors">(.*?)</ul>', page_text(response), re.S
    )
    return found.group(1) if found else ""
