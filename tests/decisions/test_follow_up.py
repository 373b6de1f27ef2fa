"""Follow-up of conditions with teeth (ESG 2.3): a condition may be marked not met without
evidence once its due date is reached (not before); marking it met still needs evidence; an
overdue condition, or one not met waiting for the QA body, shows publicly (listing page,
search, API, feed); the QA body then extends the condition (a reason and a future due date)
or withdraws the approval (the dossier ends withdrawn, the listing is revoked and the feed
and exports stop vouching for it); each follow-up decision is recorded, audited and told to
the provider; the case officer is reminded once of a condition long overdue."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa

from qa_portal.accounts.models import Role
from qa_portal.cases import reminders
from qa_portal.cases.follow_up_reminders import FOLLOW_UP_AFTER_DAYS
from qa_portal.catalogue.models import Listing, ListingState
from qa_portal.core import clock
from qa_portal.core.db import commit
from qa_portal.core.errors import InvalidInput, NotPermitted, TransitionNotAllowed
from qa_portal.decisions import follow_up
from qa_portal.decisions import operations as decisions
from qa_portal.decisions.models import ConditionFollowUp, ConditionState, FollowUpAction
from qa_portal.demo_decisions import seed_follow_up
from qa_portal.demo_workflow import Cast
from qa_portal.dossiers.models import DossierState
from qa_portal.extensions import db
from tests.helpers import audit_actions, last_transition, notified, page_text, pdf_bytes

from .helpers import future, world

REASON = "The provider has appointed an examiner; the audit needs another term."


@pytest.fixture
def listed(workflow):
    """A published approval with two conditions, due in 30 and 60 days: (listing, decision)."""
    listing = workflow.published(
        "approved_with_conditions",
        conditions=[
            {"text": "Publish the grading scheme.", "due_date": future(30)},
            {"text": "Appoint an external examiner.", "due_date": future(60)},
        ],
    )
    return listing, listing.decision


@pytest.fixture
def on_day(monkeypatch):
    """``on_day(day)``: the portal's today is ``day`` from now on."""

    def go(day) -> None:
        monkeypatch.setattr(clock, "today", lambda: day)

    return go


def _not_met(people, condition, on_day):
    on_day(condition.due_date)
    decisions.verify_condition(people.officer, condition, met=False, note="No grading scheme.")
    commit()


# -- marking not met without evidence --------------------------------------------------------
def test_not_met_without_evidence_is_refused_before_the_due_date(client, login, listed, people):
    listing, decision = listed
    first = decision.conditions[0]
    before = world(listing.dossier)
    with pytest.raises(TransitionNotAllowed, match="can be marked not met only from that date"):
        decisions.verify_condition(people.officer, first, met=False, note="Nothing yet.")
    commit()
    assert world(listing.dossier) == before
    login(client, people.officer)
    url = f"/dossiers/{listing.dossier_id}/conditions/{first.id}/verify"
    answer = client.post(url, data={"verdict": "not_met", "note": "Nothing yet."})
    assert answer.status_code == 409 and "only from that date" in page_text(answer)
    assert world(listing.dossier) == before


def test_not_met_without_evidence_from_the_due_date(client, login, listed, people, on_day):
    listing, decision = listed
    first = decision.conditions[0]
    on_day(first.due_date)  # at the due date, not only after it
    login(client, people.officer)
    text = page_text(client.get(f"/dossiers/{listing.dossier_id}"))
    assert "Follow-up of the conditions" in text and "no evidence" in text
    url = f"/dossiers/{listing.dossier_id}/conditions/{first.id}/verify"
    answer = client.post(url, data={"verdict": "not_met", "note": "No grading scheme online."})
    assert answer.status_code == 302
    db.session.refresh(first)
    assert first.state == ConditionState.NOT_MET and first.verified_by_id == people.officer.id
    entry = last_transition(first, "mark_not_met")
    assert (entry["from_state"], entry["to_state"]) == ("open", "not_met")
    (told,) = [n for n in notified(people.provider_a) if n.kind == "condition_verified"]
    assert "not met" in told.title and "No grading scheme online." in told.body


def test_met_still_needs_evidence(listed, people, on_day):
    listing, decision = listed
    first = decision.conditions[0]
    on_day(first.due_date + timedelta(days=5))
    with pytest.raises(TransitionNotAllowed):
        decisions.verify_condition(people.officer, first, met=True, note="")
    assert first.state == ConditionState.OPEN


# -- what the public sees -------------------------------------------------------------------
def test_an_overdue_condition_shows_publicly(client, listed, on_day):
    listing, decision = listed
    first = decision.conditions[0]
    page = page_text(client.get(f"/catalogue/{listing.id}"))
    assert "overdue" not in page.lower()
    on_day(first.due_date + timedelta(days=1))
    page = page_text(client.get(f"/catalogue/{listing.id}"))
    assert f"Condition overdue since {first.due_date:%d %B %Y}" in page
    assert 'badge-overdue">Overdue' in page and "Valid, conditions open" in page
    results = page_text(client.get("/catalogue"))
    assert "Condition overdue since" in results
    body = client.get(f"/api/v1/listings/{listing.id}").get_json()
    assert body["status"] == "conditions_open"
    assert [c["overdue"] for c in body["decision"]["conditions"]] == [True, False]
    assert body["decision"]["follow_up"].startswith("Condition overdue since")
    feed = client.get("/catalogue/feed.atom").get_data(as_text=True)
    assert "(conditions open; condition overdue since" in feed
    achievement = client.get(f"/api/v1/listings/{listing.id}/achievement").get_json()
    comment = achievement["endorsement"][0]["credentialSubject"]["endorsementComment"]
    assert "Publish the grading scheme. (due" in comment and "): overdue" in comment


def test_not_met_shows_follow_up_pending_and_the_listing_stays_valid(
    client, listed, people, on_day
):
    listing, decision = listed
    updated = listing.updated_at
    _not_met(people, decision.conditions[0], on_day)
    db.session.refresh(listing)
    assert listing.state == ListingState.VALID
    assert listing.updated_at > updated  # feed readers see the entry changed
    page = page_text(client.get(f"/catalogue/{listing.id}"))
    assert "Condition not met — follow-up decision pending" in page
    assert "Valid, conditions open" in page
    body = client.get(f"/api/v1/listings/{listing.id}").get_json()
    assert body["status"] == "conditions_open"
    assert body["decision"]["follow_up"] == follow_up.PENDING_NOTE
    feed = client.get("/catalogue/feed.atom").get_data(as_text=True)
    assert "condition not met — follow-up decision pending" in feed


# -- extending ------------------------------------------------------------------------------
def test_extending_needs_a_condition_not_met_a_reason_and_a_future_date(listed, people, on_day):
    listing, decision = listed
    first, second = decision.conditions
    with pytest.raises(TransitionNotAllowed, match="marked not met"):
        follow_up.extend_condition(people.officer, first, new_due_date=future(90), reason=REASON)
    _not_met(people, first, on_day)
    before = world(listing.dossier)
    refusals = [
        (NotPermitted, people.provider_a, future(90), REASON, "Only QA officers"),
        (NotPermitted, people.admin, future(90), REASON, "Only QA officers"),
        (InvalidInput, people.officer, future(90), "  ", "Give the reason"),
        (InvalidInput, people.officer, None, REASON, "Give the new due date"),
        (InvalidInput, people.officer, clock.today(), REASON, "must be in the future"),
        (InvalidInput, people.officer, future(-3), REASON, "must be in the future"),
        (InvalidInput, people.officer, future(90), "x" * 2001, "under 2,000 characters"),
    ]
    for error, actor, due, reason, message in refusals:
        with pytest.raises(error, match=message):
            follow_up.extend_condition(actor, first, new_due_date=due, reason=reason)
        commit()
        assert world(listing.dossier) == before
    with pytest.raises(InvalidInput, match="extend the condition or withdraw"):
        follow_up.decide_follow_up(people.officer, first, action="forgive", reason=REASON)


def test_extending_opens_the_condition_again_with_its_new_date(
    client, login, listed, people, on_day
):
    listing, decision = listed
    first = decision.conditions[0]
    old_due = first.due_date
    _not_met(people, first, on_day)
    new_due = clock.today() + timedelta(days=45)
    login(client, people.officer)
    assert "Record the follow-up decision" in page_text(
        client.get(f"/dossiers/{listing.dossier_id}")
    )
    url = f"/dossiers/{listing.dossier_id}/follow-up"
    blank = client.post(url, data={"condition_id": first.id, "action": "extend", "reason": REASON})
    assert blank.status_code == 400 and "Give the new due date" in page_text(blank)
    answer = client.post(
        url,
        data={
            "condition_id": first.id,
            "action": "extend",
            "reason": REASON,
            "new_due_date": new_due.isoformat(),
        },
    )
    assert answer.status_code == 302
    db.session.refresh(first)
    assert first.state == ConditionState.OPEN and first.due_date == new_due
    (row,) = db.session.execute(sa.select(ConditionFollowUp)).scalars()
    assert (row.action, row.previous_due_date, row.new_due_date) == (
        FollowUpAction.EXTEND,
        old_due,
        new_due,
    )
    assert row.reason == REASON and row.decided_by_id == people.officer.id
    assert "condition.follow_up.extend" in audit_actions()
    entry = last_transition(first, "extend")
    assert (entry["from_state"], entry["to_state"]) == ("not_met", "open")
    (told,) = [n for n in notified(people.provider_a) if n.kind == "condition_extended"]
    assert f"{new_due:%d %B %Y}" in told.body and REASON in told.body
    # the listing no longer says "not met"; the provider's page shows the extension
    assert "follow-up decision pending" not in page_text(client.get(f"/catalogue/{listing.id}"))
    login(client, people.provider_a)
    text = page_text(client.get(f"/dossiers/{listing.dossier_id}"))
    assert "condition extended" in text and REASON in text
    assert "Record the follow-up decision" not in text and "Otto Officer" not in text


def test_the_follow_up_page_refuses_outsiders_and_other_dossiers(
    client, login, listed, people, workflow, on_day
):
    listing, decision = listed
    first = decision.conditions[0]
    _not_met(people, first, on_day)
    data = {"condition_id": first.id, "action": "withdraw", "reason": REASON}
    login(client, people.provider_a)
    assert client.post(f"/dossiers/{listing.dossier_id}/follow-up", data=data).status_code == 403
    other, _ = workflow.decided("approved")
    login(client, people.officer)
    assert client.post(f"/dossiers/{other.id}/follow-up", data=data).status_code == 404
    assert first.state == ConditionState.NOT_MET


# -- withdrawing the approval ---------------------------------------------------------------
def test_withdrawing_the_approval_revokes_the_listing_everywhere(
    client, login, listed, people, on_day
):
    listing, decision = listed
    first, second = decision.conditions
    dossier = listing.dossier
    _not_met(people, first, on_day)
    login(client, people.officer)
    answer = client.post(
        f"/dossiers/{dossier.id}/follow-up",
        data={"condition_id": first.id, "action": "withdraw", "reason": "Still no scheme."},
        headers={"Accept": "application/json"},
    )
    assert answer.status_code == 200
    assert answer.get_json()["dossier_state"] == "withdrawn"
    db.session.refresh(dossier)
    db.session.refresh(listing)
    assert dossier.state == DossierState.WITHDRAWN
    assert listing.state == ListingState.REVOKED and "Still no scheme." in listing.ended_reason
    entry = last_transition(dossier, "withdraw_approval")
    assert (entry["from_state"], entry["to_state"]) == ("approved_with_conditions", "withdrawn")
    actions = audit_actions()
    assert "condition.follow_up.withdraw" in actions and "listing.revoke" in actions
    told = [n for n in notified(people.provider_a) if n.kind == "approval_withdrawn"]
    assert len(told) == 1 and "Still no scheme." in told[0].body
    assert not [n for n in notified(people.provider_a) if n.kind == "listing_revoked"]
    # the public record says so; the feed and the exports no longer vouch for it
    page = page_text(client.get(f"/catalogue/{listing.id}"))
    assert "Revoked by the QA body" in page and "Still no scheme." in page
    assert "follow-up decision pending" not in page
    feed = client.get("/catalogue/feed.atom").text
    entries, _, tombstones = feed.partition("<at:deleted-entry")
    assert f"/catalogue/{listing.id}" not in entries  # no entry announces it any more
    assert f"/catalogue/{listing.id}" in tombstones and "Still no scheme." in tombstones
    assert client.get(f"/api/v1/listings/{listing.id}").get_json()["status"] == "revoked"
    assert "endorsement" not in client.get(f"/api/v1/listings/{listing.id}/achievement").get_json()
    assert "ceterms:approvedBy" not in client.get(f"/api/v1/listings/{listing.id}/ctdl").get_json()
    assert listing.title not in page_text(client.get("/catalogue"))
    # the conditions of a withdrawn approval are closed
    login(client, people.provider_a)
    text = page_text(client.get(f"/dossiers/{dossier.id}"))
    assert "withdrew the approval" in text and "Still no scheme." in text
    assert "Submit the evidence" not in text
    before = world(dossier)
    with pytest.raises(TransitionNotAllowed, match="conditions of its approval are closed"):
        decisions.submit_condition_evidence(people.provider_a, second, "Late.", [])
    commit()
    assert world(dossier) == before
    second.state = ConditionState.NOT_MET  # as if it had been marked not met too
    commit()
    before = world(dossier)
    with pytest.raises(TransitionNotAllowed, match="no longer in force"):
        follow_up.extend_condition(people.officer, second, new_due_date=future(), reason="x")
    commit()
    assert world(dossier) == before


# -- reminders ------------------------------------------------------------------------------
def test_the_case_officer_is_told_once_of_a_condition_long_overdue(listed, people):
    listing, decision = listed
    first = decision.conditions[0]
    day = first.due_date + timedelta(days=FOLLOW_UP_AFTER_DAYS)
    before = first.due_date + timedelta(days=FOLLOW_UP_AFTER_DAYS - 1)
    counts = reminders.send_reminders(before, commit=commit)
    assert counts["condition_follow_up"] == 0
    counts = reminders.send_reminders(day, commit=commit)
    assert counts["condition_follow_up"] == 1
    again = reminders.send_reminders(day + timedelta(days=1), commit=commit)
    assert again["condition_follow_up"] == 0
    (told,) = [n for n in notified(people.officer) if n.kind == "condition_follow_up"]
    assert "Follow-up needed: condition 1" in told.title
    assert isinstance(counts, Counter)


# -- demo -----------------------------------------------------------------------------------
def test_the_demo_seed_shows_each_follow_up(people, officer2, panel, make_user, client):
    """``seed_follow_up``: an overdue condition, an extended one with another not met, and a
    withdrawn approval, each in the catalogue as the public should read it; seeding twice
    adds nothing."""
    reviewers = [make_user(Role.REVIEWER, name=f"Demo reviewer {i}") for i in range(2)]
    cast = Cast(
        people.officer,
        officer2,
        people.provider_a,
        people.provider_b,
        panel[0],
        reviewers[0],
        reviewers[1],
        panel[1],
        (pdf_bytes("Curriculum"), pdf_bytes("Assessment")),
        clock.today(),
    )
    seed_follow_up(cast)
    commit()
    seed_follow_up(cast)  # the demo runs on a database that may have it already
    commit()
    listings = {
        listing.title: listing for listing in db.session.execute(sa.select(Listing)).scalars()
    }
    assert set(listings) == {
        "Cloud Cost Management",
        "Accessible Web Design",
        "Blockchain Fundamentals",
    }
    today = clock.today()
    assert listings["Cloud Cost Management"].follow_up_note(today).startswith("Condition overdue")
    assert listings["Accessible Web Design"].follow_up_note(today) == follow_up.PENDING_NOTE
    withdrawn = listings["Blockchain Fundamentals"]
    assert withdrawn.state == ListingState.REVOKED
    assert withdrawn.dossier.state == DossierState.WITHDRAWN
    rows = db.session.execute(sa.select(ConditionFollowUp.action)).scalars().all()
    assert sorted(rows) == [FollowUpAction.EXTEND, FollowUpAction.WITHDRAW]
    for listing in listings.values():
        assert client.get(f"/catalogue/{listing.id}").status_code == 200
