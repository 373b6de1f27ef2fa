"""Appeals: against rejections, desk rejections, "revise and resubmit" and "approved with
conditions" (not a plain approval), within the appeal period, once per decision, with
grounds; decided by the appeals committee, never by a QA officer (operation, page and
crafted POST); upheld restores the decision, overturned sends it back to a new officer and
tells the provider. The committee's own rules: tests/decisions/test_appeals_committee.py."""

from __future__ import annotations

from datetime import timedelta

import pytest

from qa_portal.cases import screening
from qa_portal.core import clock
from qa_portal.core.db import commit
from qa_portal.core.errors import InvalidInput, NotPermitted, TransitionNotAllowed
from qa_portal.decisions import operations as decisions
from qa_portal.decisions.models import Appeal, AppealState
from qa_portal.dossiers.models import DossierState
from qa_portal.extensions import db
from qa_portal.reviews.policy import update_policy
from tests.builders import Case
from tests.helpers import notified, page_text

from .helpers import GROUNDS, world

S = DossierState
JSON = {"Accept": "application/json"}


def _appeal(dossier) -> Appeal:
    return db.session.execute(
        db.select(Appeal).where(Appeal.dossier_id == dossier.id).order_by(Appeal.id.desc())
    ).scalar()


def test_a_plain_approval_cannot_be_appealed(client, login, reach, people):
    dossier = reach(S.APPROVED)
    login(client, people.provider_a)
    assert "Appeal…" not in page_text(client.get(f"/dossiers/{dossier.id}"))
    response = client.get(f"/dossiers/{dossier.id}/appeal")
    assert response.status_code == 409 and "“Appeal” is not possible" in page_text(response)


@pytest.mark.parametrize(("day", "allowed"), [(30, True), (31, False)])
def test_the_appeal_period_is_thirty_days(client, login, reach, people, monkeypatch, day, allowed):
    dossier = reach(S.REJECTED)
    decision = decisions.latest_decision(dossier)
    decided_on = decision.decided_at.date()
    assert decision.appeal_deadline == decided_on + timedelta(days=30)
    monkeypatch.setattr(clock, "today", lambda: decided_on + timedelta(days=day))
    before = world(dossier)
    login(client, people.provider_a)
    page = page_text(client.get(f"/dossiers/{dossier.id}"))
    assert ("Appeal…" in page) is allowed
    response = client.post(f"/dossiers/{dossier.id}/appeal", data={"grounds": GROUNDS})
    db.session.refresh(dossier)
    if allowed:
        assert response.status_code == 302
        assert dossier.state == S.APPEAL
    else:
        assert response.status_code == 409
        message = f"The appeal period ended on {decision.appeal_deadline:%d %B %Y}"
        assert message in page_text(response)
        assert world(dossier) == before


def test_the_appeal_period_follows_the_policy(workflow, people):
    update_policy(people.admin, {"appeal_days": 14})
    commit()
    dossier, decision = workflow.decided("revise_and_resubmit")
    assert decision.appeal_deadline == decision.decided_at.date() + timedelta(days=14)


def test_an_appeal_needs_grounds(client, login, reach, people):
    dossier = reach(S.REJECTED)
    before = world(dossier)
    with pytest.raises(InvalidInput, match="grounds"):
        decisions.lodge_appeal(people.provider_a, dossier, "Unfair.")
    commit()
    login(client, people.provider_a)
    page = client.get(f"/dossiers/{dossier.id}/appeal")
    assert page.status_code == 200 and "Grounds of the appeal" in page_text(page)
    response = client.post(f"/dossiers/{dossier.id}/appeal", data={"grounds": "Unfair."})
    assert response.status_code == 400 and "at least 20 characters" in page_text(response)
    answer = client.post(f"/dossiers/{dossier.id}/appeal", data={"grounds": ""}, headers=JSON)
    assert answer.status_code == 400 and "Grounds" in answer.get_json()["message"]
    assert world(dossier) == before


def test_once_per_decision(reach, people, appeals_member):
    dossier = reach(S.APPEAL, "rejected")
    decisions.decide_appeal(appeals_member, _appeal(dossier), uphold=True, rationale="It stands.")
    commit()
    assert dossier.state == S.REJECTED
    before = world(dossier)
    with pytest.raises(TransitionNotAllowed, match="already been appealed"):
        decisions.lodge_appeal(people.provider_a, dossier, GROUNDS)
    commit()
    assert world(dossier) == before


def test_qa_officers_no_longer_decide_appeals(client, login, reach, people, officer2):
    dossier = reach(S.APPEAL, "rejected")
    appeal = _appeal(dossier)
    assert appeal.decision.decided_by_id == people.officer.id
    before = world(dossier)
    # the operation: neither the deciding officer nor another officer
    for officer in (people.officer, officer2):
        with pytest.raises(NotPermitted, match="appeals committee"):
            decisions.decide_appeal(officer, appeal, uphold=False, rationale="I erred.")
        commit()
    # the dossier page: no decision form, the committee decides
    login(client, officer2)
    text = page_text(client.get(f"/dossiers/{dossier.id}"))
    assert "The appeals committee decides this appeal" in text
    assert f"/appeals/{appeal.id}" not in text
    # a crafted POST to the committee's page
    data = {"verdict": "overturn", "rationale": "I erred.", "meeting_date": "2026-01-01"}
    assert client.post(f"/appeals/{appeal.id}", data=data).status_code == 403
    assert world(dossier) == before


@pytest.mark.parametrize("via", ["rejected", "desk_rejected", "revise_and_resubmit"])
def test_upheld_the_original_decision_stands(client, login, reach, people, appeals_member, via):
    dossier = reach(S.APPEAL, via)
    original = decisions.latest_decision(dossier)
    login(client, appeals_member)
    response = client.post(
        f"/appeals/{_appeal(dossier).id}",
        data={
            "verdict": "uphold",
            "rationale": "The panel weighed the evidence correctly.",
            "members": [str(appeals_member.id)],
            "meeting_date": clock.today().isoformat(),
        },
    )
    assert response.status_code == 302
    db.session.refresh(dossier)
    assert dossier.state == S(via)
    assert decisions.latest_decision(dossier).id == original.id
    appeal = _appeal(dossier)
    assert appeal.state == AppealState.UPHELD and appeal.handled_by_id == appeals_member.id
    assert appeal.hearing.members == [appeals_member]
    (told,) = [n for n in notified(people.provider_a) if n.kind == "appeal_decided"]
    assert "the decision stands" in told.title
    assert "The panel weighed the evidence correctly." in told.body
    login(client, people.provider_a)
    text = page_text(client.get(f"/dossiers/{dossier.id}"))
    assert "Upheld" in text and appeals_member.name not in text and "Appeal…" not in text


def test_overturned_goes_to_a_new_officer(client, login, reach, people, officer2, appeals_member):
    dossier = reach(S.APPEAL, "rejected")
    original = decisions.latest_decision(dossier)
    decisions.decide_appeal(appeals_member, _appeal(dossier), uphold=False, rationale="Misjudged.")
    commit()
    assert dossier.state == S.DECISION_PENDING
    # the deciding officer hands the dossier over; the other officers are told
    assert dossier.case_officer_id is None
    assert [n.kind for n in notified(officer2)][-1] == "appeal_decided"
    assert not [n for n in notified(people.officer) if n.kind == "appeal_decided"]
    db.session.refresh(original)
    assert original.superseded_at is not None
    (told,) = [n for n in notified(people.provider_a) if n.kind == "appeal_decided"]
    assert "overturned" in told.title and "different QA officer" in told.body

    # the original decider may not take the new decision: operation, page, crafted POST
    before = world(dossier)
    with pytest.raises(NotPermitted, match="overturned on appeal"):
        decisions.decide_round(people.officer, dossier, outcome="approved", rationale="Fine.")
    commit()
    login(client, people.officer)
    url = f"/dossiers/{dossier.id}/decide"
    text = page_text(client.get(url))
    assert "overturned on appeal" in text and "Record the decision" not in text
    response = client.post(url, data={"outcome": "approved", "rationale": "Fine."})
    assert response.status_code == 403 and "overturned on appeal" in page_text(response)
    assert world(dossier) == before

    # the new officer decides
    login(client, officer2)
    assert "Record the decision" in page_text(client.get(url))
    response = client.post(url, data={"outcome": "approved", "rationale": "On reflection."})
    assert response.status_code == 302
    db.session.refresh(dossier)
    assert dossier.state == S.APPROVED
    new = decisions.latest_decision(dossier)
    assert new.decided_by_id == officer2.id and new.round_id == original.round_id
    assert dossier.case_officer_id == officer2.id


def test_overturned_desk_rejection_goes_back_to_screening(
    reach, people, officer2, panel, appeals_member
):
    dossier = reach(S.APPEAL, "desk_rejected")
    decisions.decide_appeal(appeals_member, _appeal(dossier), uphold=False, rationale="In scope.")
    commit()
    assert dossier.state == S.SCREENING and dossier.case_officer_id is None
    (told,) = [n for n in notified(people.provider_a) if n.kind == "appeal_decided"]
    assert "back to screening" in told.body
    # the officer who desk-rejected it may not do so again
    with pytest.raises(NotPermitted, match="overturned on appeal"):
        screening.desk_reject(people.officer, dossier, "Still out of scope.")
    commit()
    # the new officer builds the panel and the dossier is reviewed in the same round
    Case(dossier, officer=officer2, reviewers=panel[:2]).open()
    assert dossier.state == S.IN_REVIEW and dossier.current_round.number == 1
