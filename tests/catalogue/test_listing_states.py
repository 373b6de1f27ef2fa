"""The listing table (``catalogue/workflow.py``): withdrawing, revoking and republishing are
its transitions; publishing a renewal (or a new approval after a withdrawal) is
``republish``, refused for a revoked listing (409) and for anyone but QA officers (403)."""

from __future__ import annotations

import pytest

from qa_portal.catalogue import operations as catalogue
from qa_portal.catalogue.models import Listing, ListingState
from qa_portal.catalogue.workflow import LISTING_MACHINE
from qa_portal.core.audit import entries_for
from qa_portal.core.db import commit
from qa_portal.core.errors import NotPermitted, TransitionNotAllowed
from qa_portal.extensions import db
from tests.helpers import end_transaction_keeping_loaded
from tests.state_tables import assert_every_pair_is_enforced, table

from .test_lifecycle import renew

JSON = {"Accept": "application/json"}


def test_the_listing_table():
    assert table(LISTING_MACHINE) == {
        "withdraw": ({"valid"}, "withdrawn", ("provider",)),
        "revoke": ({"valid"}, "revoked", ("qa_officer",)),
        "republish": ({"valid", "withdrawn"}, "valid", ("qa_officer",)),
    }
    assert_every_pair_is_enforced(LISTING_MACHINE, ListingState)


def test_a_withdrawn_listing_is_published_again_after_a_new_approval(
    people, workflow, make_listing, audit_ok
):
    listing = make_listing("Cloud-Native Operations")
    catalogue.withdraw_listing(people.provider_a, listing, "Paused for a year.")
    commit()
    renew(people, listing.dossier, title="Cloud-Native Operations (2nd edition)")
    decision = workflow.case(listing.dossier).decide("approved").decision

    again = catalogue.publish_listing(people.officer, listing.dossier)
    commit()
    db.session.expire_all()
    assert again.id == listing.id and listing.state == ListingState.VALID
    assert (listing.ended_at, listing.ended_reason) == (None, "")
    assert listing.decision_id == decision.id
    entry = entries_for(listing)[-1]
    assert entry.action == "listing.republish" and entry.actor_id == people.officer.id
    assert entry.payload["from_state"] == "withdrawn" and entry.payload["to_state"] == "valid"
    assert entry.payload["decision_id"] == decision.id and entry.payload["role"] == "qa_officer"
    audit_ok()


def test_a_revoked_listing_is_never_published_again(client, login, people, workflow, make_listing):
    listing = make_listing("Cloud-Native Operations")
    catalogue.revoke_listing(people.officer, listing, "Misleading claims.")
    commit()
    renew(people, listing.dossier, title="Renamed")
    workflow.case(listing.dossier).decide("approved")
    entries = len(entries_for(listing))

    url = f"/dossiers/{listing.dossier_id}/publish"
    answer = login(client, people.provider_a).post(url, headers=JSON)
    assert answer.status_code == 403
    answer = login(client, people.officer).post(url, headers=JSON)
    assert answer.status_code == 409 and "revoked" in answer.get_json()["message"]
    with pytest.raises(TransitionNotAllowed, match="revoked"):  # the table refuses it too
        LISTING_MACHINE.fire(listing, "republish", actor=people.officer, role="qa_officer")
    db.session.rollback()
    db.session.expire_all()
    assert listing.state == ListingState.REVOKED and listing.title == "Cloud-Native Operations"
    assert len(entries_for(listing)) == entries


def test_only_qa_officers_republish(people, make_listing):
    listing = make_listing("Cloud-Native Operations")
    for role in ("provider", "qa_admin", "system"):
        with pytest.raises(NotPermitted):
            LISTING_MACHINE.fire(listing, "republish", actor=people.admin, role=role)
    db.session.rollback()
    assert [e.action for e in entries_for(listing)] == ["listing.publish"]


def test_a_republish_after_a_concurrent_revocation_is_refused(app, people, make_listing):
    """This session still sees the listing valid; another officer revoked it meanwhile: the
    conditional UPDATE refuses the republish instead of bringing the listing back."""
    listing = make_listing("Cloud-Native Operations")
    assert listing.state == ListingState.VALID
    listing_id, officer_id = listing.id, people.officer.id
    end_transaction_keeping_loaded()
    with app.app_context():
        other = db.session.get(Listing, listing_id)
        officer = db.session.get(type(people.officer), officer_id)
        catalogue.revoke_listing(officer, other, "Misleading claims.")
        commit()
    with pytest.raises(TransitionNotAllowed, match="changed by someone else"):
        LISTING_MACHINE.fire(listing, "republish", actor=people.officer, role="qa_officer")
    assert listing.state == ListingState.REVOKED  # refreshed by the refusal
    db.session.rollback()
    assert [e.action for e in entries_for(listing)] == ["listing.publish", "listing.revoke"]
