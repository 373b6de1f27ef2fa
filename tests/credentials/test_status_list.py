"""The revocation list (W3C Bitstring Status List): each listing's bit, set when the QA body's
endorsement no longer holds, and the list's encoding and signed credential."""

from __future__ import annotations

from datetime import timedelta

from qa_portal.catalogue import operations as catalogue
from qa_portal.catalogue import status_list
from qa_portal.core import clock, data_integrity, keys
from qa_portal.core.db import commit
from qa_portal.decisions import operations as decisions


def test_each_published_listing_gets_its_own_index_for_good(published, people):
    first, second = published(), published()
    assert first.status_index is not None and second.status_index == first.status_index + 1
    catalogue.revoke_listing(people.officer, second, "Gone.")
    commit()
    third = published()
    assert third.status_index == second.status_index + 1  # never reused


def test_a_valid_listing_has_its_bit_clear(published):
    listing = published()
    assert not status_list.is_set(listing, clock.today())


def test_revocation_sets_the_bit(published, people):
    listing = published()
    catalogue.revoke_listing(people.officer, listing, "Assessment no longer proctored.")
    commit()
    assert status_list.is_set(listing, clock.today())


def test_withdrawal_sets_the_bit(published, people):
    listing = published()
    catalogue.withdraw_listing(people.provider_a, listing, "Course discontinued.")
    commit()
    assert status_list.is_set(listing, clock.today())


def test_expiry_sets_the_bit(published):
    listing = published()
    assert not status_list.is_set(listing, listing.valid_until)
    assert status_list.is_set(listing, listing.valid_until + timedelta(days=1))


def test_an_overdue_condition_sets_the_bit(make_listing):
    listing = make_listing("Conditional Approval", outcome="approved_with_conditions")
    (condition, *_) = listing.decision.conditions
    assert not status_list.is_set(listing, condition.due_date)
    assert status_list.is_set(listing, condition.due_date + timedelta(days=1))


def test_a_condition_not_met_sets_the_bit(make_listing, people, travel):
    listing = make_listing("Conditional Approval", outcome="approved_with_conditions")
    (condition, *_) = listing.decision.conditions
    travel((condition.due_date - clock.today()).days)  # due today: not yet overdue
    assert not status_list.is_set(listing, clock.today())
    decisions.verify_condition(people.officer, condition, met=False, note="No rubric online.")
    commit()
    assert status_list.is_set(listing, clock.today())


def test_the_encoded_list_decodes_back_to_the_bits():
    bits = status_list.bitstring([0, 9, 131_071])
    assert len(bits) == 16 * 1024  # the specification's minimum: 131,072 bits
    assert bits[0] == 0b1000_0000 and bits[1] == 0b0100_0000  # index 0 is the left-most bit
    encoded = status_list.encode(bits)
    assert encoded.startswith("u") and "=" not in encoded
    assert status_list.encode(bits) == encoded  # no time stamp: the same list, the same text
    decoded = status_list.decode(encoded)
    assert decoded == bits
    assert [i for i in range(len(decoded) * 8) if status_list.bit(decoded, i)] == [0, 9, 131_071]
    assert len(status_list.bitstring([131_072])) == 32 * 1024  # grows by 16 KB


def test_the_published_list_is_signed_and_carries_the_revoked_bit(
    client, published, people, credential_key
):
    kept, revoked = published(), published()
    catalogue.revoke_listing(people.officer, revoked, "Assessment no longer proctored.")
    commit()
    response = client.get("/credentials/status/1")
    assert response.status_code == 200
    assert response.mimetype == "application/vc+ld+json"
    doc = response.get_json()
    assert doc["id"] == "http://qa.test/credentials/status/1"
    assert doc["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert doc["issuer"] == "did:web:qa.test"
    subject = doc["credentialSubject"]
    assert subject["type"] == "BitstringStatusList"
    assert subject["statusPurpose"] == "revocation"
    bits = status_list.decode(subject["encodedList"])
    assert status_list.bit(bits, revoked.status_index)
    assert not status_list.bit(bits, kept.status_index)
    assert data_integrity.verify(doc, credential_key.public_key)
    assert doc["proof"]["verificationMethod"] == "did:web:qa.test#key-1"

    # Unchanged list: the same signed document (not signed again), and 304 on its ETag.
    again = client.get("/credentials/status/1")
    assert again.get_json() == doc
    etag = response.headers["ETag"]
    assert client.get("/credentials/status/1", headers={"If-None-Match": etag}).status_code == 304

    catalogue.withdraw_listing(people.provider_a, kept, "")
    commit()
    changed = client.get("/credentials/status/1")
    assert changed.headers["ETag"] != etag
    assert status_list.bit(
        status_list.decode(changed.get_json()["credentialSubject"]["encodedList"]),
        kept.status_index,
    )
    assert client.get("/credentials/status/2").status_code == 404


def test_without_a_credential_key_the_list_is_not_served(client, published, monkeypatch):
    """In production without ``flask keys create`` (elsewhere a key is made on first use)."""
    published()
    monkeypatch.setattr(keys, "current_credential_key", missing_key)
    assert client.get("/credentials/status/1").status_code == 409


def missing_key():
    raise keys.SigningKeysMissing("No key for signing credentials: run flask keys create.")
