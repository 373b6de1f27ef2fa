"""Deciding a round: divergence blocks it until moderated; rationale, validity period and
conditions; the provider is told; the anonymised reviews reach the provider only after the
decision."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from qa_portal.core import clock
from qa_portal.core.db import commit
from qa_portal.core.errors import InvalidInput, TransitionNotAllowed
from qa_portal.decisions import operations as decisions
from qa_portal.decisions.rules import add_years as _add_years
from qa_portal.dossiers.models import DossierState
from qa_portal.extensions import db
from qa_portal.reviews import invitations, moderation, rounds, scoring
from qa_portal.reviews.models import AssignmentState
from qa_portal.reviews.policy import update_policy
from tests.builders import full_scores
from tests.helpers import notified, outbox_to, page_text

from .helpers import future, world

S = DossierState
JSON = {"Accept": "application/json"}


def _pending(workflow, people, spread: int):
    """Decision pending; the two reviewers' scores on criterion 2 differ by ``spread``."""
    dossier, _ = workflow.decision_pending(scores=[{2: 1}, {2: 1 + spread}])
    return dossier


def _criterion(dossier, position: int):
    return next(c for c in dossier.current_round.rubric.criteria if c.position == position)


# -- divergence ------------------------------------------------------------------------------
def test_a_spread_of_one_does_not_block(workflow, people):
    dossier = _pending(workflow, people, spread=1)
    assert moderation.unmoderated_divergences(dossier.current_round) == []
    decisions.decide_round(people.officer, dossier, outcome="approved", rationale="Sound.")
    commit()
    assert dossier.state == S.APPROVED


def test_divergence_blocks_the_decision_until_moderated(client, login, workflow, people):
    dossier = _pending(workflow, people, spread=2)
    url = f"/dossiers/{dossier.id}/decide"
    data = {"outcome": "approved", "rationale": "Sound."}

    # the operation refuses and nothing changes
    before = world(dossier)
    with pytest.raises(TransitionNotAllowed) as info:
        decisions.decide_round(people.officer, dossier, outcome="approved", rationale="Sound.")
    assert "criterion 2" in info.value.message and "moderation note" in info.value.message
    commit()
    assert world(dossier) == before

    # the page names the criterion and offers no button; a crafted POST is refused
    login(client, people.officer)
    text = page_text(client.get(url))
    assert "Scores diverge by 2 points or more" in text and "Criterion 2:" in text
    assert "Record the decision" not in text
    response = client.post(url, data=data)
    assert response.status_code == 409 and "criterion 2" in page_text(response)
    answer = client.post(url, data=data, headers=JSON)
    assert answer.status_code == 409 and "criterion 2" in answer.get_json()["message"]
    assert world(dossier) == before

    # a general note, or a note on another criterion, does not moderate criterion 2
    moderation.add_moderation_note(people.officer, dossier, None, "Overall the panel agrees.")
    moderation.add_moderation_note(people.officer, dossier, _criterion(dossier, 3).id, "Fine.")
    commit()
    assert client.post(url, data=data).status_code == 409

    # the note on criterion 2, written from the dossier page, unblocks the decision
    response = client.post(
        f"/dossiers/{dossier.id}/panel/moderation",
        data={"criterion_id": _criterion(dossier, 2).id, "text": "Reviewer 1 missed the oral."},
    )
    assert response.status_code == 302
    text = page_text(client.get(url))
    assert "Scores diverge" not in text and "Record the decision" in text
    assert client.post(url, data=data).status_code == 302
    db.session.refresh(dossier)
    assert dossier.state == S.APPROVED


# -- rationale, validity, conditions ----------------------------------------------------------
def test_a_decision_needs_a_rationale(client, login, workflow, people):
    dossier, _ = workflow.decision_pending()
    before = world(dossier)
    with pytest.raises(InvalidInput, match="rationale"):
        decisions.decide_round(people.officer, dossier, outcome="rejected", rationale="  ")
    commit()
    login(client, people.officer)
    response = client.post(
        f"/dossiers/{dossier.id}/decide", data={"outcome": "rejected", "rationale": ""}
    )
    assert response.status_code == 400 and "This field is required" in page_text(response)
    answer = client.post(
        f"/dossiers/{dossier.id}/decide", data={"outcome": "rejected"}, headers=JSON
    )
    assert answer.status_code == 400 and "Rationale" in answer.get_json()["message"]
    assert world(dossier) == before


def test_approval_validity_defaults_to_the_policy(workflow, people):
    update_policy(people.admin, {"validity_years": 7})
    commit()
    dossier, decision = workflow.decided("approved")
    today = clock.today()
    assert decision.valid_from == today
    assert decision.valid_until == _add_years(today, 7)
    assert decision.appeal_deadline is None  # approvals are not appealable


@pytest.mark.parametrize("years", [1, 10])
def test_approval_validity_can_be_given(workflow, people, years):
    dossier, decision = workflow.decided("approved", validity_years=years)
    assert decision.valid_until == _add_years(clock.today(), years)


def test_validity_outside_one_to_ten_years_is_refused(client, login, workflow, people):
    dossier, _ = workflow.decision_pending()
    before = world(dossier)
    for years in (0, 11, -1):
        with pytest.raises(InvalidInput, match="1 to 10 years"):
            decisions.decide_round(
                people.officer, dossier, outcome="approved", rationale="Ok.", validity_years=years
            )
        commit()
    login(client, people.officer)
    response = client.post(
        f"/dossiers/{dossier.id}/decide",
        data={"outcome": "approved", "rationale": "Ok.", "validity_years": "11"},
    )
    assert response.status_code == 400
    assert "Number must be between 1 and 10" in page_text(response)
    assert world(dossier) == before


def test_a_leap_day_approval_ends_on_28_february():
    assert _add_years(date(2028, 2, 29), 5) == date(2033, 2, 28)


def test_approved_with_conditions_needs_a_future_condition(workflow, people):
    dossier, _ = workflow.decision_pending()
    before = world(dossier)
    cases = [
        ([], "at least one condition"),
        ([{"text": "", "due_date": None}], "at least one condition"),
        ([{"text": "Publish it.", "due_date": clock.today()}], "must be in the future"),
        ([{"text": "Publish it.", "due_date": clock.today() - timedelta(1)}], "in the future"),
        ([{"text": "", "due_date": future()}], "needs a text"),
    ]
    for conditions, message in cases:
        with pytest.raises(InvalidInput, match=message):
            decisions.decide_round(
                people.officer,
                dossier,
                outcome="approved_with_conditions",
                rationale="Good, with one gap.",
                conditions=conditions,
            )
        commit()
        assert world(dossier) == before


def test_conditions_only_for_approved_with_conditions(workflow, people):
    dossier, _ = workflow.decision_pending()
    before = world(dossier)
    for outcome in ("approved", "revise_and_resubmit", "rejected"):
        with pytest.raises(InvalidInput, match="only to “approved with conditions”"):
            decisions.decide_round(
                people.officer,
                dossier,
                outcome=outcome,
                rationale="No.",
                conditions=[{"text": "Publish it.", "due_date": future()}],
            )
        commit()
    assert world(dossier) == before


def test_condition_due_date_defaults_to_the_policy(workflow, people):
    dossier, decision = workflow.decided(
        "approved_with_conditions", conditions=[{"text": "Publish it.", "due_date": None}]
    )
    (condition,) = decision.conditions
    assert condition.due_date == clock.today() + timedelta(days=90)
    assert condition.state.value == "open"


def test_the_provider_is_told_the_decision(client, login, workflow, people):
    due = future(45)
    dossier, decision = workflow.decided(
        "approved_with_conditions",
        conditions=[{"text": "Publish the grading scheme.", "due_date": due}],
    )
    (message,) = [n for n in notified(people.provider_a) if n.kind == "decision"]
    assert "approved with conditions" in message.title
    assert "Meets the standards." in message.body
    assert f"valid until {decision.valid_until:%d %B %Y}" in message.body
    assert "Publish the grading scheme." in message.body and f"{due:%d %B %Y}" in message.body
    assert message.url == f"/dossiers/{dossier.id}"
    (mail,) = [m for m in outbox_to(people.provider_a) if m.subject == message.title]
    assert "Publish the grading scheme." in mail.body_text
    login(client, people.provider_a)
    text = page_text(client.get(f"/dossiers/{dossier.id}"))
    assert "Decision: Approved with conditions" in text and "Meets the standards." in text
    assert "Otto Officer" not in text


def test_a_decision_closes_the_reviews_no_longer_needed(workflow, people, panel):
    dossier, assignments = workflow.in_review(reviewers=panel[:2])
    late = invitations.invite_reviewer(people.officer, dossier, panel[2])
    scoring.submit_review(assignments[0].reviewer, assignments[0], **full_scores(assignments[0]))
    rounds.close_round(people.officer, dossier)
    commit()
    decisions.decide_round(people.officer, dossier, outcome="rejected", rationale="Weak.")
    commit()
    states = {a.id: a.state for a in dossier.current_round.assignments}
    assert states[assignments[0].id] == AssignmentState.SUBMITTED
    assert states[assignments[1].id] == AssignmentState.CANCELLED
    assert states[late.id] == AssignmentState.CANCELLED
    assert any("cancelled" in n.title for n in notified(assignments[1].reviewer))


# -- reviews visible to the provider only after the decision ---------------------------------
def test_provider_sees_the_reviews_only_after_the_decision(client, login, workflow, people):
    dossier, assignments = workflow.in_review()
    comment = "Clear outcomes; strengthen the assessment of LO3."
    confidential = "Nothing confidential."
    login(client, people.provider_a)

    def provider_page():
        return page_text(client.get(f"/dossiers/{dossier.id}"))

    scoring.submit_review(assignments[0].reviewer, assignments[0], **full_scores(assignments[0]))
    commit()
    assert dossier.state == S.IN_REVIEW
    for text in (provider_page(),):
        assert "Scores" not in text and "Reviewer 1" not in text and comment not in text
    scoring.submit_review(assignments[1].reviewer, assignments[1], **full_scores(assignments[1]))
    commit()
    assert dossier.state == S.DECISION_PENDING
    text = provider_page()
    assert "Scores" not in text and "Reviewer 1" not in text and comment not in text
    assert "Comment 1" not in text  # per-criterion comments neither

    # the officer sees them all along
    login(client, people.officer)
    staff = page_text(client.get(f"/dossiers/{dossier.id}"))
    assert "Reviewer 1" in staff and comment in staff and confidential in staff

    decisions.decide_round(people.officer, dossier, outcome="approved", rationale="Sound.")
    commit()
    login(client, people.provider_a)
    text = provider_page()
    assert "Scores and reviews" in text and "Reviewer 1" in text and "Reviewer 2" in text
    assert comment in text and "Comment 1" in text
    assert confidential not in text
