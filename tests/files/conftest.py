"""Fixtures of the file tests: a provider's draft, and an approval with two open conditions."""

from __future__ import annotations

import pytest

from tests.decisions.helpers import future


@pytest.fixture
def draft(people, make_dossier):
    """A bare draft of provider A (no file yet)."""
    return make_dossier(people.provider_a, files=False)


@pytest.fixture
def approved(workflow):
    """Provider A's dossier approved with two open conditions: ``(dossier, decision)``."""
    return workflow.decided(
        "approved_with_conditions",
        conditions=[
            {"text": "Publish the grading scheme.", "due_date": future(30)},
            {"text": "Appoint an external examiner.", "due_date": future(60)},
        ],
    )


@pytest.fixture
def own_folders(app, tmp_path, monkeypatch):
    """Upload and report folders of this test's own (the session's are shared by every test,
    and hold the files of rows other tests created and the database has forgotten)."""
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(tmp_path / "uploads"))
    monkeypatch.setitem(app.config, "REPORT_DIR", str(tmp_path / "reports"))
