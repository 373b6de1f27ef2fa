"""Fixtures for the review workflow: a dossier taken through screening to any state."""

from __future__ import annotations

import pytest

from qa_portal.accounts.models import Role
from qa_portal.cases import screening
from qa_portal.core.db import commit
from qa_portal.decisions import operations as decisions
from qa_portal.reviews import invitations, rounds, scoring
from qa_portal.reviews.models import ReviewerProfile


@pytest.fixture
def panel(make_user, people):
    """Two more reviewers with profiles (plus people.reviewer): a panel of three."""
    extra = [
        make_user(Role.REVIEWER, email=f"expert{i}@experts{i}.example", name=f"Expert {i}")
        for i in (1, 2)
    ]
    for user, codes in zip(
        [people.reviewer, *extra], [["0613"], ["0613", "0612"], ["0413"]], strict=True
    ):
        from qa_portal.extensions import db

        db.session.add(ReviewerProfile(user=user, isced_codes=codes, keywords=["DevOps"]))
    commit()
    return [people.reviewer, *extra]


def full_scores(assignment, score=3, overrides=None):
    """A complete draft for ``scoring.save_review`` / ``submit_review``; ``overrides`` maps
    a criterion position to its score."""
    overrides = overrides or {}
    scores = {
        c.id: {"score": overrides.get(c.position, score), "comment": f"Comment {c.position}"}
        for c in assignment.round.rubric.criteria
    }
    return {
        "scores": scores,
        "recommendation": "approve",
        "comments_to_provider": "Clear outcomes; strengthen the assessment of LO3.",
        "confidential_comments": "Nothing confidential.",
    }


@pytest.fixture
def workflow(people, panel, make_dossier):
    """Helpers that move a fresh submitted dossier of provider A along the workflow."""

    class Flow:
        def submitted(self):
            return make_dossier(people.provider_a, submit=True)

        def screening(self):
            dossier = self.submitted()
            screening.take_up(people.officer, dossier)
            commit()
            return dossier

        def in_review(self, reviewers=None):
            dossier = self.screening()
            assignments = []
            for reviewer in reviewers or panel[:2]:
                a = invitations.invite_reviewer(people.officer, dossier, reviewer)
                invitations.accept_invitation(reviewer, a, no_conflict=True)
                assignments.append(a)
            rounds.open_review(people.officer, dossier)
            commit()
            return dossier, assignments

        def decision_pending(self, divergent=False):
            dossier, assignments = self.in_review()
            for i, a in enumerate(assignments):
                override = ({2: 1} if i == 0 else {2: 4}) if divergent else {}
                scoring.submit_review(a.reviewer, a, **full_scores(a, overrides=override))
            commit()
            return dossier, assignments

        def decided(self, outcome="approved", **kwargs):
            dossier, assignments = self.decision_pending()
            decision = decisions.decide_round(
                people.officer, dossier, outcome=outcome, rationale="Meets the standards.", **kwargs
            )
            commit()
            return dossier, decision

    return Flow()
