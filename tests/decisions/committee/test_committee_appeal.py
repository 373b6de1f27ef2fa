"""An appeal against a decision of the decision committee: the officer who proposed it and
the members who voted on it had a part in it, so they do not sit on the appeals committee."""

from __future__ import annotations

from qa_portal.accounts.models import Role
from qa_portal.core.db import commit
from qa_portal.decisions import appeals_committee, committee


def test_the_proposer_and_the_voters_had_a_part_in_the_decision(
    in_committee, members, pending, people, make_user
):
    in_committee(quorum=2)
    dossier = pending()
    proposal = committee.propose_decision(
        people.officer, dossier, outcome="rejected", rationale="The assessment is not valid."
    )
    committee.cast_vote(members[0], proposal, "agree")
    committee.cast_vote(members[1], proposal, "agree")
    decision = committee.record_committee_decision(members[0], proposal)
    commit()
    for voter in members[:2]:
        voter.grant(Role.APPEALS_COMMITTEE)
    outsider = make_user(Role.APPEALS_COMMITTEE, name="Outside Member")
    commit()
    assert appeals_committee.had_part_in(people.officer, decision)  # proposed it
    assert appeals_committee.had_part_in(members[0], decision)
    assert appeals_committee.had_part_in(members[1], decision)
    assert not appeals_committee.had_part_in(members[2], decision)  # did not vote
    assert not appeals_committee.had_part_in(outsider, decision)
    eligible = appeals_committee.eligible_members(decision)
    assert outsider in eligible and members[0] not in eligible and members[1] not in eligible
