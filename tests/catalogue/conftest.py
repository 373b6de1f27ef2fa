"""Fixtures for the catalogue: published listings built through the real workflow."""

from __future__ import annotations

import pytest

from qa_portal.catalogue import operations as catalogue
from qa_portal.core.db import commit

from ..workflow.conftest import full_scores, panel, workflow  # noqa: F401


@pytest.fixture
def published(workflow, people):  # noqa: F811 - the imported fixture
    """Publish a freshly approved dossier; returns the listing."""

    def make(outcome="approved", **kwargs):
        dossier, decision = workflow.decided(outcome, **kwargs)
        listing = catalogue.publish_listing(people.officer, dossier)
        commit()
        return listing

    return make
