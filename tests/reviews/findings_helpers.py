"""Helpers of the panel-findings tests: complete findings by the operation, and making a
reviewer the chair of a round's panel (``panel_role``, added by the panel composition rules;
patched on the model while it does not exist yet)."""

from __future__ import annotations

from typing import Any

import pytest

from qa_portal.core.db import commit
from qa_portal.reviews import findings
from qa_portal.reviews.models import PanelFindings, ReviewAssignment, ReviewRound

SUMMARY = "The microcredential meets the standards; its assessment needs a published rubric."


def findings_form(round_: ReviewRound, **overrides: Any) -> dict[str, Any]:
    """Keywords for ``findings.save_findings``: a judgement of 3 and a text on every
    criterion, a summary, a strength, a recommendation, no conditions."""
    values = {
        "summary": SUMMARY,
        "strengths": "Clear learning outcomes.",
        "recommendations": ["Involve employers in the annual review."],
        "conditions": [],
        "proposed_outcome": "approve",
        "criteria": {
            c.id: {"judgement": 3, "text": f"Finding on criterion {c.position}."}
            for c in round_.rubric.criteria
        },
    }
    values.update(overrides)
    return values


def write_findings(actor, round_: ReviewRound, **overrides: Any) -> PanelFindings:
    saved = findings.save_findings(actor, round_, **findings_form(round_, **overrides))
    commit()
    return saved


def make_chair(assignment: ReviewAssignment, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``assignment``'s reviewer the chair of its round's panel."""
    if "panel_role" in ReviewAssignment.__table__.c:
        assignment.panel_role = "chair"
        commit()
        return
    chair_id = assignment.id
    monkeypatch.setattr(
        ReviewAssignment,
        "panel_role",
        property(lambda a: "chair" if a.id == chair_id else "member"),
        raising=False,
    )
