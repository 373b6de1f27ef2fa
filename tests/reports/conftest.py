"""Fixtures for reports: a decided dossier and its rendered reports."""

from __future__ import annotations

import io

import pdfplumber
import pytest

from qa_portal.core.db import commit
from qa_portal.reports import operations as reports
from qa_portal.reports.models import ReportVariant

from ..workflow.conftest import full_scores, panel, workflow  # noqa: F401


def pdf_text(data: bytes) -> str:
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return "\n".join(page.extract_text() or "" for page in pdf.pages)


def normalised(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def rendered(workflow, people):  # noqa: F811 - the imported fixture
    """Render the report of a freshly decided dossier; returns (dossier, decision, {variant:
    (report, bytes)})."""

    def make(outcome="approved", **kwargs):
        dossier, decision = workflow.decided(outcome, **kwargs)
        result = {}
        for variant in ReportVariant:
            report = reports.request_report(people.officer, decision, variant)
            commit()  # renders after the commit (in-process job)
            from qa_portal.extensions import db

            db.session.refresh(report)
            assert report.is_ready, report.error
            result[variant] = (report, reports.read(report))
        return dossier, decision, result

    return make


__all__ = ["full_scores", "pdf_text", "normalised"]
