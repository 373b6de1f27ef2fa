"""A dossier left without a case officer (after an overturned appeal) gets one when it is
decided: the officer who decides, or, when a committee member records the committee's
decision, the officer who proposed it — never the committee member."""

from __future__ import annotations

from qa_portal.core.db import commit
from qa_portal.decisions import committee


def test_a_committee_decision_gives_the_dossier_the_proposing_officer(
    in_committee, members, pending, people
):
    in_committee(quorum=2)
    dossier = pending()
    proposal = committee.propose_decision(
        people.officer, dossier, outcome="rejected", rationale="The assessment is not valid."
    )
    dossier.case_officer = None
    commit()
    committee.cast_vote(members[0], proposal, "agree")
    committee.cast_vote(members[1], proposal, "agree")
    committee.record_committee_decision(members[1], proposal)
    commit()
    assert dossier.case_officer == people.officer
