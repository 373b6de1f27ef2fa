"""Fixtures for the report tests (the PDF helpers are in helpers.py).

``rendered`` renders the reports of a freshly decided dossier for one test. Modules whose
tests all read the same PDFs build their world once with ``world.render_world`` in a
module-scoped fixture instead (rendering costs about a second per PDF).
"""

from __future__ import annotations

import pytest

from qa_portal.reports.models import ReportVariant

from .helpers import issue


@pytest.fixture
def decided(workflow):
    """Provider A's dossier, reviewed by two reviewers and approved: (dossier, decision)."""
    return workflow.decided("approved")


@pytest.fixture
def rendered(workflow, people):
    """Render the report of a freshly decided dossier; returns (dossier, decision, {variant:
    (report, bytes)})."""

    def make(outcome="approved", **kwargs):
        dossier, decision = workflow.decided(outcome, **kwargs)
        # each rendered by the in-process job after the request's commit
        result = {variant: issue(people.officer, decision, variant) for variant in ReportVariant}
        return dossier, decision, result

    return make
