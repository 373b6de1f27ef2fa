"""Decisions by the decision committee, through the operations: the policy setting, the
officer's proposal, the members' votes, the quorum and majority, the committee's decision
(from the votes or a meeting), withdrawal, and the deciding body in decisions and reports."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from flask import render_template

from qa_portal.accounts.models import Role
from qa_portal.cases.reminders import send_reminders
from qa_portal.core import clock
from qa_portal.core.db import commit
from qa_portal.core.errors import InvalidInput, NotPermitted, TransitionNotAllowed
from qa_portal.decisions import committee
from qa_portal.decisions import operations as decisions
from qa_portal.decisions.models import (
    CommitteeVote,
    Decision,
    DecisionProposal,
    Outcome,
    ProposalState,
)
from qa_portal.decisions.workflow import PROPOSAL_MACHINE
from qa_portal.dossiers.models import DossierState
from qa_portal.extensions import db
from qa_portal.notifications.models import Notification
from qa_portal.reports import data as report_data
from qa_portal.reports.models import Report, ReportVariant
from qa_portal.reviews.policy import current_policy, update_policy
from tests.helpers import audit_actions
from tests.reports.helpers import hold_jobs
from tests.state_tables import assert_every_pair_is_enforced, table

from ..helpers import future, world
from .names import COMMITTEE_NAME

RATIONALE = "The panel found every criterion met; the committee is asked to approve."


def propose(officer, dossier, outcome="approved", **kwargs):
    kwargs.setdefault("rationale", RATIONALE)
    proposal = committee.propose_decision(officer, dossier, outcome=outcome, **kwargs)
    commit()
    return proposal


def vote_all(proposal, voters, votes):
    for member, vote in zip(voters, votes, strict=True):
        comment = "Assessment of LO3 is too thin." if vote == "disagree" else ""
        committee.cast_vote(member, proposal, vote, comment)
        commit()


def notifications(user, kind):
    return list(
        db.session.execute(
            sa.select(Notification).where(
                Notification.user_id == user.id, Notification.kind == kind
            )
        ).scalars()
    )


# -- the policy ---------------------------------------------------------------------------
def test_the_policy_names_the_committee_and_its_quorum(people):
    policy = current_policy()
    assert (policy.decision_body, policy.committee_name, policy.committee_quorum) == (
        "officer",
        "",
        3,
    )
    for values, message in (
        ({"decision_body": "committee", "committee_name": "  "}, "Name the decision committee"),
        ({"decision_body": "board"}, "Choose who decides"),
        ({"committee_quorum": 0}, "between 1 and 20"),
        ({"committee_quorum": 21}, "between 1 and 20"),
    ):
        with pytest.raises(InvalidInput, match=message):
            update_policy(people.admin, values)
        db.session.rollback()
    update_policy(
        people.admin,
        {"decision_body": "committee", "committee_name": " Board ", "committee_quorum": 5},
    )
    commit()
    policy = current_policy()
    assert (policy.decision_body, policy.committee_name, policy.committee_quorum) == (
        "committee",
        "Board",
        5,
    )
    assert "policy.update" in audit_actions()


# -- the officer alone --------------------------------------------------------------------
def test_an_officer_decision_names_the_qa_officer_as_deciding_body(workflow, people):
    dossier, decision = workflow.decided("rejected")
    assert decision.deciding_body == "QA officer"
    assert decision.meeting_date is None and decision.proposal is None
    [told] = notifications(people.provider_a, "decision")
    assert told.body.startswith("The QA body decided on")
    assert ": rejected. Deciding body: QA officer.\n" in told.body


def test_under_the_committee_policy_the_officer_cannot_decide_alone(in_committee, pending, people):
    in_committee()
    dossier = pending()
    before = world(dossier)
    with pytest.raises(TransitionNotAllowed, match="decides in its committee: propose"):
        decisions.decide_round(people.officer, dossier, outcome="approved", rationale=RATIONALE)
    db.session.rollback()
    assert world(dossier) == before


def test_no_proposal_where_the_officer_decides_alone(pending, people):
    dossier = pending()
    with pytest.raises(TransitionNotAllowed, match="decides alone"):
        committee.propose_decision(people.officer, dossier, outcome="approved", rationale="Ok.")


# -- the proposal -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("outcome", "kwargs", "error", "message"),
    [
        ("approved", {"rationale": "  "}, InvalidInput, "needs a rationale"),
        ("approved_with_conditions", {}, InvalidInput, "at least one condition"),
        (
            "approved_with_conditions",
            {"conditions": [{"text": "Publish it.", "due_date": clock.today()}]},
            InvalidInput,
            "must be in the future",
        ),
        (
            "approved",
            {"conditions": [{"text": "Publish it.", "due_date": None}]},
            InvalidInput,
            "only to “approved with conditions”",
        ),
        ("approved", {"validity_years": 11}, InvalidInput, "from 1 to 10 years"),
        ("desk_rejected", {}, InvalidInput, "during screening"),
    ],
)
def test_a_proposal_is_checked_like_a_decision_before_anything_changes(
    in_committee, pending, people, members, outcome, kwargs, error, message
):
    in_committee()
    dossier = pending()
    before = world(dossier)
    kwargs.setdefault("rationale", RATIONALE)
    with pytest.raises(error, match=message):
        committee.propose_decision(people.officer, dossier, outcome=outcome, **kwargs)
    db.session.rollback()
    assert world(dossier) == before
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DecisionProposal)) == 0


def test_only_officers_propose_and_one_proposal_at_a_time(in_committee, pending, people, members):
    in_committee()
    dossier = pending()
    with pytest.raises(NotPermitted):
        committee.propose_decision(members[0], dossier, outcome="approved", rationale=RATIONALE)
    db.session.rollback()
    propose(people.officer, dossier)
    with pytest.raises(TransitionNotAllowed, match="already before the committee"):
        propose(people.officer, dossier, outcome="rejected")


def test_a_proposal_is_audited_and_the_committee_told(in_committee, pending, people, members):
    in_committee()
    dossier = pending()
    due = future(90)
    proposal = propose(
        people.officer,
        dossier,
        "approved_with_conditions",
        conditions=[{"text": "Publish the grading scheme.", "due_date": due}],
        validity_years=4,
    )
    assert proposal.state == ProposalState.OPEN and proposal.round == dossier.current_round
    assert proposal.conditions == [{"text": "Publish the grading scheme.", "due_date": str(due)}]
    assert proposal.validity_years == 4
    assert dossier.state == DossierState.DECISION_PENDING  # nothing decided yet
    assert "decision_proposal.propose" in audit_actions()
    for member in members:
        [note] = notifications(member, "committee_proposal")
        assert dossier.reference in note.title and note.url == f"/committee/dossiers/{dossier.id}"


# -- votes --------------------------------------------------------------------------------
def test_only_committee_members_vote_once_and_not_on_their_own_proposal_or_review(
    in_committee, pending, people, members, make_user, panel
):
    in_committee()
    dossier = pending()
    proposal = propose(people.officer, dossier)
    with pytest.raises(NotPermitted, match="Only members"):
        committee.cast_vote(people.officer, proposal, "agree")
    # an officer who is also a member cannot vote on their own proposal
    people.officer.grant(Role.COMMITTEE)
    # a member who reviewed the dossier cannot vote on it
    reviewer = dossier.current_round.assignments[0].reviewer
    reviewer.grant(Role.COMMITTEE)
    commit()
    with pytest.raises(NotPermitted, match="You proposed"):
        committee.cast_vote(people.officer, proposal, "agree")
    with pytest.raises(NotPermitted, match="You reviewed"):
        committee.cast_vote(reviewer, proposal, "agree")
    with pytest.raises(InvalidInput, match="agree, disagree or abstain"):
        committee.cast_vote(members[0], proposal, "maybe")
    with pytest.raises(InvalidInput, match="Say why you disagree"):
        committee.cast_vote(members[0], proposal, "disagree", "  ")
    db.session.rollback()
    committee.cast_vote(members[0], proposal, "abstain")
    commit()
    with pytest.raises(TransitionNotAllowed, match="already voted"):
        committee.cast_vote(members[0], proposal, "agree")
    db.session.rollback()
    votes = db.session.execute(sa.select(CommitteeVote.member_id, CommitteeVote.vote)).all()
    assert [(m, v.value) for m, v in votes] == [(members[0].id, "abstain")]
    assert audit_actions().count("committee_vote.cast") == 1


def test_the_database_keeps_one_vote_per_member(in_committee, pending, people, members):
    in_committee()
    proposal = propose(people.officer, pending())
    committee.cast_vote(members[0], proposal, "agree")
    commit()
    db.session.add(CommitteeVote(proposal_id=proposal.id, member_id=members[0].id, vote="agree"))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_the_decision_waits_for_the_quorum_and_the_officer_is_told(
    in_committee, pending, people, members
):
    in_committee(quorum=3)
    dossier = pending()
    proposal = propose(people.officer, dossier)
    vote_all(proposal, members[:2], ["agree", "agree"])
    assert not notifications(people.officer, "committee_quorum")
    before = world(dossier)
    with pytest.raises(TransitionNotAllowed, match="2 of the 3 votes"):
        committee.record_committee_decision(members[0], proposal)
    db.session.rollback()
    assert world(dossier) == before
    vote_all(proposal, members[2:], ["disagree"])
    [told] = notifications(people.officer, "committee_quorum")
    assert "2 agree, 1 disagree, 0 abstain" in told.body and "A majority agrees" in told.body

    decision = committee.record_committee_decision(members[1], proposal)
    commit()
    assert decision.outcome == Outcome.APPROVED and decision.deciding_body == COMMITTEE_NAME
    assert decision.decided_by == members[1] and decision.meeting_date is None
    assert proposal.state == ProposalState.DECIDED and proposal.decision == decision
    assert dossier.state == DossierState.APPROVED


def test_without_a_majority_only_the_meeting_decides(in_committee, pending, people, members):
    in_committee(quorum=3)
    dossier = pending()
    proposal = propose(people.officer, dossier)
    vote_all(proposal, members, ["agree", "disagree", "abstain"])
    [told] = notifications(people.officer, "committee_quorum")
    assert "No majority agrees" in told.body
    with pytest.raises(TransitionNotAllowed, match="No majority"):
        committee.record_committee_decision(members[0], proposal)
    db.session.rollback()
    with pytest.raises(InvalidInput, match="give the meeting date"):
        committee.record_committee_decision(members[0], proposal, outcome="revise_and_resubmit")
    db.session.rollback()
    with pytest.raises(InvalidInput, match="give the meeting date"):
        committee.record_committee_decision(members[0], proposal, rationale="Other reasons.")
    db.session.rollback()
    with pytest.raises(InvalidInput, match="proposal sets no conditions"):
        committee.record_committee_decision(
            members[0], proposal, meeting_date=clock.today(), outcome="approved_with_conditions"
        )
    db.session.rollback()
    with pytest.raises(InvalidInput, match="cannot be in the future"):
        committee.record_committee_decision(
            people.officer, proposal, meeting_date=clock.today() + timedelta(days=1)
        )
    db.session.rollback()
    assert dossier.state == DossierState.DECISION_PENDING

    # the officer records the minutes of the meeting: the committee's own outcome
    met = clock.today() - timedelta(days=2)
    decision = committee.record_committee_decision(
        people.officer,
        proposal,
        meeting_date=met,
        outcome="revise_and_resubmit",
        rationale="The committee asks for a revised assessment of LO3.",
    )
    commit()
    assert decision.outcome == Outcome.REVISE_AND_RESUBMIT and decision.meeting_date == met
    assert decision.rationale == "The committee asks for a revised assessment of LO3."
    assert decision.deciding_body == COMMITTEE_NAME and decision.decided_by == people.officer
    assert decision.appeal_deadline is not None
    assert dossier.state == DossierState.REVISE_AND_RESUBMIT


def test_a_meeting_decides_without_votes_and_only_members_or_officers_record_it(
    in_committee, pending, people, members
):
    in_committee()
    dossier = pending()
    proposal = propose(people.officer, dossier, "rejected")
    with pytest.raises(NotPermitted):
        committee.record_committee_decision(people.provider_a, proposal, meeting_date=clock.today())
    with pytest.raises(NotPermitted):
        committee.record_committee_decision(people.admin, proposal, meeting_date=clock.today())
    db.session.rollback()
    decision = committee.record_committee_decision(members[2], proposal, meeting_date=clock.today())
    commit()
    assert decision.outcome == Outcome.REJECTED and dossier.state == DossierState.REJECTED
    with pytest.raises(TransitionNotAllowed):
        committee.record_committee_decision(members[2], proposal, meeting_date=clock.today())


def test_the_committee_decision_does_what_a_decision_does(
    app, monkeypatch, in_committee, pending, people, members
):
    monkeypatch.setitem(app.config, "REPORTS_ON_DECISION", True)
    dispatched = hold_jobs(monkeypatch)
    in_committee(quorum=2)
    dossier = pending()
    due = future(120)
    proposal = propose(
        people.officer,
        dossier,
        "approved_with_conditions",
        conditions=[{"text": "Publish the grading scheme.", "due_date": due}],
    )
    vote_all(proposal, members[:2], ["agree", "agree"])
    met = clock.today()
    decision = committee.record_committee_decision(members[0], proposal, meeting_date=met)
    commit()
    assert dossier.state == DossierState.APPROVED_WITH_CONDITIONS
    assert [(c.text, c.due_date) for c in decision.conditions] == [
        ("Publish the grading scheme.", due)
    ]
    assert decision.valid_until is not None and decision.proposal == proposal
    [told] = notifications(people.provider_a, "decision")
    assert told.body.startswith(
        f"The QA body's {COMMITTEE_NAME}, at its meeting of {met:%d %B %Y}, decided on"
    )
    reports = db.session.execute(
        sa.select(Report).where(Report.decision_id == decision.id)
    ).scalars()
    assert sorted(r.id for r in reports) == sorted(dispatched) and len(dispatched) == 2
    actions = audit_actions()
    assert "decision_proposal.decide" in actions and "dossier.approve_with_conditions" in actions

    # the decision keeps the committee's name of the day
    current_policy().committee_name = "Renamed Board"
    commit()
    assert db.session.get(Decision, decision.id).deciding_body == COMMITTEE_NAME


def test_a_withdrawn_proposal_takes_no_votes_and_a_revised_one_follows(
    in_committee, pending, people, members
):
    in_committee()
    dossier = pending()
    proposal = propose(people.officer, dossier)
    vote_all(proposal, members[:1], ["disagree"])
    with pytest.raises(NotPermitted):
        committee.withdraw_proposal(members[0], proposal)
    db.session.rollback()
    committee.withdraw_proposal(people.officer, proposal, "Revising the conditions.")
    commit()
    assert proposal.state == ProposalState.WITHDRAWN
    assert proposal.withdrawal_note == "Revising the conditions."
    with pytest.raises(TransitionNotAllowed, match="voting is closed"):
        committee.cast_vote(members[1], proposal, "agree")
    with pytest.raises(TransitionNotAllowed):
        committee.record_committee_decision(members[1], proposal, meeting_date=clock.today())
    db.session.rollback()
    assert "decision_proposal.withdraw" in audit_actions()
    revised = propose(
        people.officer,
        dossier,
        "approved_with_conditions",
        conditions=[{"text": "Extend the oral defence.", "due_date": None}],
    )
    assert committee.open_proposal(dossier) == revised
    assert committee.proposals_of(dossier) == [revised, proposal]


# -- the report ---------------------------------------------------------------------------
def _report(app, monkeypatch, decision, variant):
    report = db.session.execute(
        sa.select(Report).where(Report.decision_id == decision.id, Report.variant == variant)
    ).scalar_one()
    return report_data.build(report)


def test_the_report_names_the_deciding_body(
    app, monkeypatch, workflow, in_committee, pending, people, members
):
    monkeypatch.setitem(app.config, "REPORTS_ON_DECISION", True)
    hold_jobs(monkeypatch)
    _, by_officer = workflow.decided("approved")
    content = _report(app, monkeypatch, by_officer, ReportVariant.PUBLIC)
    assert content["deciding_body"] == {
        "name": "QA officer",
        "kind": "officer",
        "meeting_date": None,
        "votes": None,
    }

    in_committee(quorum=3)
    proposal = propose(people.officer, pending())
    vote_all(proposal, members, ["agree", "agree", "abstain"])
    by_committee = committee.record_committee_decision(members[0], proposal)
    commit()
    public = _report(app, monkeypatch, by_committee, ReportVariant.PUBLIC)["deciding_body"]
    assert public == {
        "name": COMMITTEE_NAME,
        "kind": "committee",
        "meeting_date": None,
        "votes": {"agree": 2, "disagree": 0, "abstain": 1},
    }
    internal = _report(app, monkeypatch, by_committee, ReportVariant.INTERNAL)["deciding_body"]
    assert internal["members"] == [
        {"name": "Member One", "vote": "Agree"},
        {"name": "Member Two", "vote": "Agree"},
        {"name": "Member Three", "vote": "Abstain"},
    ]


def test_the_proposal_table():
    assert table(PROPOSAL_MACHINE) == {
        "decide": ({"open"}, "decided", ("committee", "qa_officer")),
        "withdraw": ({"open"}, "withdrawn", ("qa_officer",)),
    }
    assert_every_pair_is_enforced(PROPOSAL_MACHINE, list(ProposalState))


def test_members_who_have_not_voted_are_reminded_once(in_committee, pending, people, members):
    in_committee(quorum=3)
    proposal = propose(people.officer, pending())
    vote_all(proposal, members[:1], ["agree"])
    days = current_policy().reminder_days
    on_time = proposal.proposed_at.date() + timedelta(days=days - 1)
    assert send_reminders(on_time, commit=commit)["committee_vote"] == 0
    due = proposal.proposed_at.date() + timedelta(days=days)
    assert send_reminders(due, commit=commit)["committee_vote"] == 2
    assert send_reminders(due, commit=commit)["committee_vote"] == 0  # once
    assert not notifications(members[0], "committee_vote_due")
    for member in members[1:]:
        [note] = notifications(member, "committee_vote_due")
        assert note.url == f"/committee/dossiers/{proposal.dossier_id}"


def test_the_report_partial_names_the_committee_and_its_votes(app):
    body = {
        "name": COMMITTEE_NAME,
        "kind": "committee",
        "meeting_date": date(2026, 12, 1),
        "votes": {"agree": 4, "disagree": 1, "abstain": 0},
        "members": [{"name": "Member One", "vote": "Agree"}],
    }
    with app.test_request_context():
        public = render_template("reports/_deciding_body.html", deciding_body=body, internal=False)
        internal = render_template("reports/_deciding_body.html", deciding_body=body, internal=True)
        officer = render_template(
            "reports/_deciding_body.html",
            deciding_body={"name": "QA officer", "kind": "officer", "meeting_date": None},
            internal=False,
        )
    assert f"taken by the {COMMITTEE_NAME} at its meeting of" in public
    assert "4 in favour, 1 against, 0 abstentions" in public
    assert "Member One" not in public and "Member One" in internal
    assert "taken by a QA officer of the QA body" in officer
