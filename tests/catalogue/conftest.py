"""Fixtures for the catalogue: published listings built through the real workflow."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from qa_portal.cases import screening
from qa_portal.catalogue import operations as catalogue
from qa_portal.core.db import commit
from qa_portal.decisions import operations as decisions
from qa_portal.reviews import invitations, rounds, scoring

from ..workflow.conftest import full_scores, panel, workflow  # noqa: F401

SCHEMAS = Path(__file__).resolve().parents[1] / "data" / "schemas"


def load_schema(relative: str) -> dict:
    return json.loads((SCHEMAS / relative).read_text(encoding="utf-8"))


@pytest.fixture
def published(workflow, people):  # noqa: F811 - the imported fixture
    """Publish a freshly approved dossier; returns the listing."""

    def make(outcome="approved", **kwargs):
        dossier, decision = workflow.decided(outcome, **kwargs)
        listing = catalogue.publish_listing(people.officer, dossier)
        commit()
        return listing

    return make


def decide(people, panel, dossier, outcome="approved", conditions=None, **kwargs):  # noqa: F811
    """Take a submitted dossier through screening and review to a decision."""
    screening.take_up(people.officer, dossier)  # from round 2, re-invites the last panel
    invited = {a.reviewer_id: a for a in rounds.require_round(dossier).assignments}
    for reviewer in panel[:2]:
        assignment = invited.get(reviewer.id) or invitations.invite_reviewer(
            people.officer, dossier, reviewer
        )
        invitations.accept_invitation(reviewer, assignment, no_conflict=True)
    rounds.open_review(people.officer, dossier)
    commit()
    round_ = rounds.require_round(dossier)
    for assignment in round_.assignments:
        scoring.submit_review(assignment.reviewer, assignment, **full_scores(assignment))
    commit()
    if outcome == "approved_with_conditions" and conditions is None:
        conditions = [{"text": "Publish the assessment rubric.", "due_date": None}]
    decision = decisions.decide_round(
        people.officer,
        dossier,
        outcome=outcome,
        rationale="Meets the standards.",
        conditions=conditions,
        **kwargs,
    )
    commit()
    return decision


@pytest.fixture
def make_listing(people, panel, make_dossier):  # noqa: F811 - the imported fixture
    """``make_listing(title, member=provider A, outcome="approved", publish=True, **dossier)``:
    a dossier with those fields, reviewed, decided and (by default) published."""

    def make(
        title="Cloud-Native Operations",
        *,
        member=None,
        outcome="approved",
        conditions=None,
        publish=True,
        **overrides,
    ):
        dossier = make_dossier(member or people.provider_a, submit=True, title=title, **overrides)
        decision = decide(people, panel, dossier, outcome, conditions)
        if not publish:
            return dossier, decision
        listing = catalogue.publish_listing(people.officer, dossier)
        commit()
        return listing

    return make


@pytest.fixture
def travel(monkeypatch):
    """``travel(days)``: the portal's clock runs ``days`` ahead from now on (for expiry)."""
    from qa_portal.core import clock, models

    real = models.utcnow

    def go(days: int) -> None:
        monkeypatch.setattr(clock, "utcnow", lambda: real() + timedelta(days=days))

    return go
