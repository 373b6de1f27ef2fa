"""Screening: take up (case officer; round 2 re-invites the previous reviewers unless now
conflicted), return with a note (resubmitted in the same round as a new version),
desk-reject with a reason (a decision, appealable)."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from qa_portal.accounts.models import AccountStatus
from qa_portal.cases import screening
from qa_portal.core import clock
from qa_portal.core.db import commit
from qa_portal.decisions import operations as decisions
from qa_portal.decisions.models import Decision, Outcome
from qa_portal.dossiers import operations as dossiers
from qa_portal.dossiers.models import DossierState
from qa_portal.extensions import db
from qa_portal.reviews import invitations, profiles, scoring
from qa_portal.reviews.models import AssignmentState, ReviewerAffiliation
from tests.builders import full_scores
from tests.helpers import notified, outbox_to, page_text

from .helpers import GROUNDS, world

S = DossierState


def test_take_up_makes_the_officer_case_officer(client, login, workflow, people):
    dossier = workflow.submitted()
    login(client, people.officer)
    text = page_text(client.get(f"/dossiers/{dossier.id}"))
    assert "Case officer: nobody yet" in text and "Take up for screening" in text
    response = client.post(f"/dossiers/{dossier.id}/take-up")
    assert response.status_code == 302
    db.session.refresh(dossier)
    assert dossier.state == S.SCREENING and dossier.case_officer_id == people.officer.id
    text = page_text(client.get(f"/dossiers/{dossier.id}"))
    assert "Case officer: Otto Officer" in text
    assert "Return to the provider with a note" in text and "Desk-reject: reason" in text


def _round_two(workflow, people):
    """A dossier decided "revise and resubmit" by the default panel, revised and submitted
    again (round 2, not yet taken up)."""
    dossier, _ = workflow.decided("revise_and_resubmit")
    screening.start_revision(people.provider_a, dossier)
    dossiers.save_dossier(
        people.provider_a, dossier, {"title": "Cloud-Native Operations II"}, dossier.lock_version
    )
    dossiers.submit_dossier(people.provider_a, dossier)
    commit()
    return dossier


def test_round_two_invites_the_previous_reviewers_by_default(workflow, people, panel):
    dossier = _round_two(workflow, people)
    assert dossier.current_round.number == 2
    first = {a.reviewer_id: a.reviewer_number for a in dossier.rounds[0].assignments}
    screening.take_up(people.officer, dossier)
    commit()
    again = dossier.current_round.assignments
    assert {a.reviewer_id: a.reviewer_number for a in again} == first  # same "Reviewer N"
    assert all(a.state == AssignmentState.INVITED for a in again)
    for reviewer in panel[:2]:
        assert any("Invitation to review" in n.title for n in notified(reviewer))


def test_round_two_skips_a_reviewer_now_conflicted_or_gone(workflow, people, panel):
    dossier = _round_two(workflow, people)
    conflicted, gone = panel[0], panel[1]
    profile = profiles.ensure_profile(conflicted)
    profile.affiliations.append(
        ReviewerAffiliation(
            organisation_name="Provider A",
            role="Visiting lecturer",
            start_date=clock.today() - timedelta(days=30),
        )
    )
    gone.status = AccountStatus.DISABLED
    commit()
    screening.take_up(people.officer, dossier)
    commit()
    assert dossier.state == S.SCREENING
    assert dossier.current_round.assignments == []


def test_round_one_take_up_invites_nobody(workflow):
    dossier = workflow.screening()
    assert dossier.current_round.number == 1 and dossier.current_round.assignments == []


def test_return_with_a_note_then_resubmit_in_the_same_round(client, login, workflow, people):
    dossier = workflow.screening()
    login(client, people.officer)
    note = "Please add the staff profiles & the internal QA policy."
    response = client.post(f"/dossiers/{dossier.id}/return", data={"note": note})
    assert response.status_code == 302
    db.session.refresh(dossier)
    assert dossier.state == S.RETURNED

    # the provider reads the note on the dossier page, in the inbox and by e-mail
    login(client, people.provider_a)
    text = page_text(client.get(f"/dossiers/{dossier.id}"))
    assert "Notes from screening" in text and note in text and "Otto Officer" not in text
    assert any(note in n.body for n in notified(people.provider_a))
    assert any(note in m.body_text for m in outbox_to(people.provider_a))

    # the provider corrects the dossier and resubmits: same round, new version
    edit = client.get(f"/dossiers/{dossier.id}/edit")
    assert edit.status_code == 200
    dossiers.save_dossier(
        people.provider_a,
        dossier,
        {"title": "Cloud-Native Operations (corrected)"},
        dossier.lock_version,
    )
    commit()
    submit_page = page_text(client.get(f"/dossiers/{dossier.id}/submit"))
    assert "Changes since version 1" in submit_page
    assert "Cloud-Native Operations (corrected)" in submit_page
    response = client.post(f"/dossiers/{dossier.id}/submit", data={})
    assert response.status_code == 302
    db.session.refresh(dossier)
    assert dossier.state == S.SUBMITTED
    assert [v.number for v in dossier.versions] == [1, 2]
    assert [(v.round_number) for v in dossier.versions] == [1, 1]
    assert [r.number for r in dossier.rounds] == [1]
    assert dossier.current_round.version.number == 2
    screening.take_up(people.officer, dossier)
    commit()
    assert dossier.state == S.SCREENING


def test_return_and_desk_reject_need_their_text(client, login, workflow, people):
    dossier = workflow.screening()
    before = world(dossier)
    login(client, people.officer)
    for path, words in (("return", "Write the note"), ("desk-reject", "reason")):
        for headers in ({}, {"Accept": "application/json"}):
            response = client.post(
                f"/dossiers/{dossier.id}/{path}", data={"note": "  "}, headers=headers
            )
            assert response.status_code == 400
            assert words in page_text(response)
    assert world(dossier) == before


def test_desk_reject_is_an_appealable_decision(client, login, workflow, people, panel):
    dossier = workflow.screening()
    invited = invitations.invite_reviewer(people.officer, dossier, panel[0])
    commit()
    login(client, people.officer)
    reason = "90 ECTS: this is not a microcredential."
    response = client.post(f"/dossiers/{dossier.id}/desk-reject", data={"note": reason})
    assert response.status_code == 302
    db.session.refresh(dossier)
    assert dossier.state == S.DESK_REJECTED
    decision = db.session.execute(
        sa.select(Decision).where(Decision.dossier_id == dossier.id)
    ).scalar_one()
    assert decision.outcome == Outcome.DESK_REJECTED and decision.rationale == reason
    assert decision.decided_by_id == people.officer.id
    assert decision.appeal_deadline == clock.today() + timedelta(days=30)
    # the invitation sent during screening is no longer needed
    db.session.refresh(invited)
    assert invited.state == AssignmentState.CANCELLED
    assert any("cancelled" in n.title for n in notified(panel[0]))

    (message,) = [n for n in notified(people.provider_a) if "desk-rejected" in n.title]
    assert reason in message.body and "You may appeal until" in message.body
    login(client, people.provider_a)
    text = page_text(client.get(f"/dossiers/{dossier.id}"))
    assert "Decision: Desk-rejected" in text and reason in text and "Appeal…" in text
    appeal_page = client.get(f"/dossiers/{dossier.id}/appeal")
    assert appeal_page.status_code == 200
    response = client.post(f"/dossiers/{dossier.id}/appeal", data={"grounds": GROUNDS})
    assert response.status_code == 302
    db.session.refresh(dossier)
    assert dossier.state == S.APPEAL
    assert decisions.latest_decision(dossier).appeals[0].grounds == GROUNDS


def test_withdrawal_in_review_releases_the_panel(client, login, workflow, people, panel):
    dossier, assignments = workflow.in_review()
    scoring.submit_review(assignments[0].reviewer, assignments[0], **full_scores(assignments[0]))
    late = invitations.invite_reviewer(people.officer, dossier, panel[2])
    commit()
    login(client, people.provider_a)
    response = client.post(f"/dossiers/{dossier.id}/withdraw", data={"reason": "Course closed."})
    assert response.status_code == 302
    db.session.refresh(dossier)
    assert dossier.state == S.WITHDRAWN
    states = {a.id: a.state for a in dossier.current_round.assignments}
    assert states[assignments[0].id] == AssignmentState.SUBMITTED
    assert states[assignments[1].id] == AssignmentState.CANCELLED
    assert states[late.id] == AssignmentState.CANCELLED
    for reviewer in (assignments[1].reviewer, panel[2]):
        (told,) = [n for n in notified(reviewer) if n.kind == "assignment_cancelled"]
        assert "withdrew" in told.body and "Course closed." not in told.body
    assert any(n.kind == "withdrawn" for n in notified(people.officer))
    # the reviewer can no longer accept or score
    login(client, panel[2])
    assert (
        client.post(f"/reviews/assignments/{late.id}/accept", data={"no_conflict": "y"}).status_code
        == 409
    )
