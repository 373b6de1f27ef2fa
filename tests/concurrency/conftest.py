"""The races use the workflow fixtures (a panel of reviewers, a dossier in review)."""

from __future__ import annotations

from tests.workflow.conftest import panel, workflow  # noqa: F401 - fixtures
