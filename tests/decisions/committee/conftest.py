"""Fixtures of the decision-committee tests: the policy turned to the committee, three
committee members, and a dossier waiting for a decision."""

from __future__ import annotations

import pytest

from qa_portal.accounts.models import Role
from qa_portal.core.db import commit
from qa_portal.reviews.policy import current_policy

from .names import COMMITTEE_NAME


@pytest.fixture
def in_committee():
    """``in_committee(quorum=3, name=COMMITTEE_NAME)``: the committee decides."""

    def turn(quorum: int = 3, name: str = COMMITTEE_NAME):
        policy = current_policy()
        policy.decision_body = "committee"
        policy.committee_name = name
        policy.committee_quorum = quorum
        commit()
        return policy

    return turn


@pytest.fixture
def members(make_user):
    """Three members of the decision committee (no other role, no organisation)."""
    return [make_user(Role.COMMITTEE, name=f"Member {n}") for n in ("One", "Two", "Three")]


@pytest.fixture
def pending(workflow):
    """``pending()``: a new dossier of provider A with every review in (decision pending)."""

    def make():
        return workflow.case(submit=True).to("reviewed").dossier

    return make
