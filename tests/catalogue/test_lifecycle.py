"""The listing lifecycle (product spec section 3): publish, expiry by date, withdrawal by the
provider, revocation by the QA body, conditions, renewal. Refused actions answer 403/409 with
a message and change nothing; every change is in the audit trail."""

from __future__ import annotations

import sqlalchemy as sa

from qa_portal.cases import screening
from qa_portal.catalogue.models import Listing, ListingState, PublicStatus
from qa_portal.core import clock
from qa_portal.core.audit import AuditEntry
from qa_portal.core.db import commit
from qa_portal.decisions import operations as decisions
from qa_portal.dossiers import operations as dossiers
from qa_portal.extensions import db
from qa_portal.notifications.models import Notification

JSON = {"Accept": "application/json"}


def listings() -> list[Listing]:
    return list(db.session.execute(sa.select(Listing).order_by(Listing.id)).scalars())


def audit_actions() -> list[str]:
    return list(db.session.execute(sa.select(AuditEntry.action).order_by(AuditEntry.id)).scalars())


def snapshot(listing: Listing) -> tuple:
    db.session.refresh(listing)
    return (
        listing.state,
        listing.decision_id,
        listing.title,
        listing.valid_until,
        listing.ended_reason,
        listing.updated_at,
        len(audit_actions()),
    )


def page_text(client, listing) -> str:
    response = client.get(f"/catalogue/{listing.id}")
    assert response.status_code == 200
    return " ".join(response.get_data(as_text=True).split())


# -- publish ------------------------------------------------------------------------------
def test_only_an_approval_is_published_by_a_qa_officer_once(
    client, login, people, make_listing, audit_ok
):
    rejected, _ = make_listing("Rejected One", outcome="rejected", publish=False)
    revise, _ = make_listing("Revise One", outcome="revise_and_resubmit", publish=False)
    approved, decision = make_listing("Approved One", publish=False)
    for dossier in (rejected, revise):
        answer = login(client, people.officer).post(f"/dossiers/{dossier.id}/publish", headers=JSON)
        assert answer.status_code == 409
        assert answer.get_json()["message"] == "Only an approved microcredential can be published."
    for user in (people.provider_a, people.admin):
        answer = login(client, user).post(f"/dossiers/{approved.id}/publish", headers=JSON)
        assert answer.status_code == 403
    assert listings() == []
    assert not any(a.startswith("listing.") for a in audit_actions())

    answer = login(client, people.officer).post(f"/dossiers/{approved.id}/publish")
    (listing,) = listings()
    assert answer.status_code == 302 and answer.location == f"/catalogue/{listing.id}"
    assert (listing.state, listing.decision_id) == (ListingState.VALID, decision.id)
    assert (listing.valid_from, listing.valid_until) == (decision.valid_from, decision.valid_until)
    assert listing.title == "Approved One" and listing.provider_name == "Provider A"
    before = snapshot(listing)
    again = client.post(f"/dossiers/{approved.id}/publish", headers=JSON)
    assert again.status_code == 409
    assert again.get_json()["message"] == "This decision is already published."
    assert snapshot(listing) == before and len(listings()) == 1
    assert audit_actions().count("listing.publish") == 1
    assert db.session.execute(
        sa.select(Notification).where(
            Notification.kind == "listing_published", Notification.user_id == people.provider_a.id
        )
    ).scalar()
    audit_ok()


def test_the_dossier_page_offers_publication_to_qa_officers_only(
    client, login, people, make_listing
):
    dossier, _ = make_listing("Approved One", publish=False)
    page = login(client, people.officer).get(f"/dossiers/{dossier.id}").get_data(as_text=True)
    assert "Publish in the catalogue" in page
    page = login(client, people.provider_a).get(f"/dossiers/{dossier.id}").get_data(as_text=True)
    assert "Publish in the catalogue" not in page and "Not published yet." in page


# -- expiry -------------------------------------------------------------------------------
def test_a_listing_expires_on_its_date_without_any_job(client, make_listing, travel):
    listing = make_listing("Short Approval")
    assert listing.public_status(clock.today()) == PublicStatus.VALID
    days_left = (listing.valid_until - clock.today()).days
    travel(days_left)  # the last valid day
    text = page_text(client, listing)
    assert "Approved until" not in text and "expired" not in text  # the page, not the list
    assert f"{listing.valid_until:%d %b %Y}" in text and "badge-valid" in text
    travel(days_left + 1)
    text = page_text(client, listing)
    assert f"The approval expired on {listing.valid_until:%d %b %Y}" in text
    assert client.get("/catalogue?status=expired").get_data(as_text=True).count("Short Approval")
    assert "Short Approval" not in client.get("/catalogue?status=valid").get_data(as_text=True)
    db.session.refresh(listing)
    assert listing.state == ListingState.VALID  # nothing was written: expiry is computed


def test_an_expired_approval_is_not_published(client, login, people, make_listing, travel):
    dossier, decision = make_listing("Late Publication", publish=False)
    travel((decision.valid_until - clock.today()).days + 1)
    answer = login(client, people.officer).post(f"/dossiers/{dossier.id}/publish", headers=JSON)
    assert answer.status_code == 409
    assert "expired" in answer.get_json()["message"]
    assert listings() == []


# -- withdrawal ---------------------------------------------------------------------------
def test_the_provider_withdraws_with_a_public_reason(
    client, login, people, make_listing, make_user, audit_ok
):
    listing = make_listing("Withdrawn Later")
    before = snapshot(listing)
    for user, status in ((people.provider_b, 403), (people.officer, 403), (people.reviewer, 403)):
        answer = login(client, user).post(f"/catalogue/{listing.id}/withdraw", headers=JSON)
        assert answer.status_code == status
        assert "Only members of the provider organisation" in answer.get_json()["message"]
    anonymous = login(client, None).post(f"/catalogue/{listing.id}/withdraw")
    assert anonymous.status_code == 302 and "/login" in anonymous.location
    assert snapshot(listing) == before

    page = login(client, people.provider_a).get(f"/catalogue/{listing.id}").get_data(as_text=True)
    assert "Withdraw from the catalogue" in page and "Revoke the listing" not in page
    answer = client.post(
        f"/catalogue/{listing.id}/withdraw", data={"reason": "The programme <closes> in June."}
    )
    assert answer.status_code == 302
    db.session.refresh(listing)
    assert listing.state == ListingState.WITHDRAWN
    text = page_text(login(client, None), listing)
    assert "Withdrawn by the provider on" in text
    assert "The programme &lt;closes&gt; in June." in text
    assert "Withdrawn Later" not in client.get("/catalogue").get_data(as_text=True)
    listed = client.get("/catalogue?status=withdrawn").get_data(as_text=True)
    assert "Withdrawn Later" in listed

    before = snapshot(listing)
    again = login(client, people.provider_a).post(f"/catalogue/{listing.id}/withdraw", headers=JSON)
    assert again.status_code == 409 and "withdrawn" in again.get_json()["message"]
    revoke = login(client, people.officer).post(
        f"/catalogue/{listing.id}/revoke", data={"reason": "Late."}, headers=JSON
    )
    assert revoke.status_code == 409
    assert snapshot(listing) == before
    assert audit_actions().count("listing.withdraw") == 1
    notified = db.session.execute(
        sa.select(Notification.user_id).where(Notification.kind == "listing_withdrawn")
    ).scalars()
    assert list(notified) == [people.officer.id]
    audit_ok()


# -- revocation ---------------------------------------------------------------------------
def test_the_qa_body_revokes_with_a_required_public_reason(
    client, login, people, make_listing, audit_ok
):
    listing = make_listing("Revoked Later")
    before = snapshot(listing)
    for user in (people.provider_a, people.admin, people.reviewer):
        answer = login(client, user).post(
            f"/catalogue/{listing.id}/revoke", data={"reason": "x"}, headers=JSON
        )
        assert answer.status_code == 403
    blank = login(client, people.officer).post(
        f"/catalogue/{listing.id}/revoke", data={"reason": "   "}, headers=JSON
    )
    assert blank.status_code == 400
    assert blank.get_json()["message"] == "Give the reason for the revocation; it is published."
    assert snapshot(listing) == before

    page = client.get(f"/catalogue/{listing.id}").get_data(as_text=True)
    assert "Revoke the listing" in page and "Withdraw from the catalogue" not in page
    answer = client.post(
        f"/catalogue/{listing.id}/revoke", data={"reason": "Assessment no longer proctored."}
    )
    assert answer.status_code == 302
    db.session.refresh(listing)
    assert listing.state == ListingState.REVOKED
    text = page_text(login(client, None), listing)
    assert "Revoked by the QA body on" in text and "Assessment no longer proctored." in text

    before = snapshot(listing)
    again = login(client, people.officer).post(
        f"/catalogue/{listing.id}/revoke", data={"reason": "Again."}, headers=JSON
    )
    assert again.status_code == 409
    withdraw = login(client, people.provider_a).post(
        f"/catalogue/{listing.id}/withdraw", headers=JSON
    )
    assert withdraw.status_code == 409
    assert snapshot(listing) == before
    assert audit_actions().count("listing.revoke") == 1
    assert db.session.execute(
        sa.select(Notification).where(Notification.kind == "listing_revoked")
    ).scalar()
    audit_ok()


# -- conditions ---------------------------------------------------------------------------
def test_conditions_and_their_state_are_shown_until_all_are_met(
    client, login, people, make_listing, audit_ok
):
    conditions = [
        {"text": "Publish the assessment rubric.", "due_date": None},
        {"text": "Add an external examiner.", "due_date": None},
    ]
    listing = make_listing(
        "Conditional One", outcome="approved_with_conditions", conditions=conditions
    )
    first, second = listing.decision.conditions
    text = page_text(client, listing)
    assert "Valid, conditions open" in text
    assert "Publish the assessment rubric." in text and "Add an external examiner." in text
    assert "Conditions met" not in text
    assert "Conditional One" in client.get("/catalogue?status=conditions_open").get_data(
        as_text=True
    )

    for condition in (first, second):
        decisions.submit_condition_evidence(people.provider_a, condition, "Done, see page.", [])
    commit()
    # The QA officer verifies through the dossier page, as in the portal.
    dossier_id = listing.dossier_id
    answer = login(client, people.officer).post(
        f"/dossiers/{dossier_id}/conditions/{first.id}/verify", data={"verdict": "met"}
    )
    assert answer.status_code == 302
    text = page_text(client, listing)
    assert "Valid, conditions open" in text and "Conditions met" not in text
    client.post(f"/dossiers/{dossier_id}/conditions/{second.id}/verify", data={"verdict": "met"})
    text = page_text(client, listing)
    assert "Conditions met" in text and "conditions open" not in text
    assert "Conditional One" in client.get("/catalogue?status=valid").get_data(as_text=True)
    assert "listing.conditions" in audit_actions()
    audit_ok()


# -- renewal ------------------------------------------------------------------------------
def renew(people, dossier, **changes):
    """The provider starts a renewal and submits the new version with ``changes``."""
    screening.start_renewal(people.provider_a, dossier)
    commit()
    dossiers.save_dossier(people.provider_a, dossier, changes, dossier.lock_version)
    dossiers.submit_dossier(people.provider_a, dossier)
    commit()


def test_a_renewal_keeps_the_listing_valid_until_the_new_decision_and_republishes_it(
    client, login, people, workflow, make_listing, travel, audit_ok
):
    listing = make_listing("Cloud-Native Operations")
    listing_id, first_decision = listing.id, listing.decision_id
    dossier = listing.dossier
    renew(people, dossier, title="Cloud-Native Operations (2nd edition)", ects=6.0)

    # Past the old approval's date, the listing stays valid: the renewal awaits its decision.
    travel((listing.valid_until - clock.today()).days + 30)
    text = page_text(client, listing)
    assert "Cloud-Native Operations (2nd edition)" not in text  # still the approved content
    assert "a renewal is under review" in text and "expired" not in text.lower()
    assert "Cloud-Native Operations" in client.get("/catalogue?status=valid").get_data(as_text=True)

    decision = workflow.case(dossier).decide("approved", validity_years=3).decision
    text = page_text(client, listing)
    assert "The approval expired on" in text  # decided: the old approval no longer extends
    page = login(client, people.officer).get(f"/dossiers/{dossier.id}").get_data(as_text=True)
    assert "Publish the renewed approval" in page

    answer = client.post(f"/dossiers/{dossier.id}/publish")
    assert answer.status_code == 302 and answer.location == f"/catalogue/{listing_id}"
    (renewed,) = listings()
    assert renewed.id == listing_id  # the same listing, at the same address
    assert renewed.decision_id == decision.id != first_decision
    assert renewed.title == "Cloud-Native Operations (2nd edition)" and renewed.ects == 6
    assert renewed.valid_until == decision.valid_until
    assert renewed.public_status(clock.today()) == PublicStatus.VALID
    text = page_text(login(client, None), renewed)
    assert f"{decision.valid_until:%d %b %Y}" in text
    again = login(client, people.officer).post(f"/dossiers/{dossier.id}/publish", headers=JSON)
    assert again.status_code == 409
    assert audit_actions().count("listing.republish") == 1
    audit_ok()


def test_a_renewal_sent_back_leaves_the_old_approval_to_run_out(
    client, people, workflow, make_listing, travel
):
    listing = make_listing("Cloud-Native Operations")
    dossier = listing.dossier
    renew(people, dossier, title="Renamed")
    workflow.case(dossier).decide("revise_and_resubmit")
    text = page_text(client, listing)
    assert "badge-valid" in text and "Renamed" not in text  # the current approval runs on
    travel((listing.valid_until - clock.today()).days + 1)
    assert "The approval expired on" in page_text(client, listing)
    # Revising the renewal after that decision does not bring the old approval back.
    screening.start_revision(people.provider_a, dossier)
    commit()
    assert "The approval expired on" in page_text(client, listing)
    db.session.refresh(listing)
    assert listing.public_status(clock.today()) == PublicStatus.EXPIRED
