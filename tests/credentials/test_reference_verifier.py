"""The portal's signed credentials checked by an independent implementation: Digital
Bazaar's reference verifier (``@digitalbazaar/vc`` with the ``eddsa-rdfc-2022`` cryptosuite
and ``vc-bitstring-status-list``), run by ``verifier/verify.mjs`` with no network."""

from __future__ import annotations

import copy

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from qa_portal.catalogue import operations as catalogue
from qa_portal.catalogue import status_list
from qa_portal.core import keys
from qa_portal.core.db import commit

from .helpers import did_document, run_verifier


def served_did_document(client) -> dict:
    response = client.get("/.well-known/did.json")
    assert response.status_code == 200
    return response.get_json()


def endorsement_of(client, listing) -> dict:
    response = client.get(f"/api/v1/listings/{listing.id}/endorsement")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/vc+ld+json"
    return response.get_json()


def test_the_signed_endorsement_verifies(client, make_listing, credential_key):
    listing = make_listing("Conditional Approval", outcome="approved_with_conditions")
    endorsement = endorsement_of(client, listing)
    did_doc = served_did_document(client)
    assert did_doc["id"] == endorsement["issuer"]["id"] == "did:web:qa.test"
    status = client.get("/credentials/status/1").get_json()
    result = run_verifier(endorsement, did_doc, status)
    assert result == {
        "verified": True,
        "errors": [],
        "status": {"checked": True, "verified": True, "revoked": False, "errors": []},
    }


def test_one_character_changed_in_the_comment_fails(client, published, credential_key):
    endorsement = endorsement_of(client, published())
    did_doc = served_did_document(client)
    forged = copy.deepcopy(endorsement)
    comment = forged["credentialSubject"]["endorsementComment"]
    forged["credentialSubject"]["endorsementComment"] = comment[:-1] + chr(ord(comment[-1]) + 1)
    assert forged != endorsement
    status = client.get("/credentials/status/1").get_json()
    result = run_verifier(forged, did_doc, status)
    assert result["verified"] is False
    assert "Invalid signature." in result["errors"]


def test_a_key_not_in_the_did_document_fails(client, published, credential_key):
    endorsement = endorsement_of(client, published())
    other = keys.CredentialKey("key-1", Ed25519PrivateKey.generate().public_key())
    status = client.get("/credentials/status/1").get_json()
    result = run_verifier(endorsement, did_document(keys.issuer_did(), other), status)
    assert result["verified"] is False


def test_a_copy_made_before_revocation_is_reported_revoked(
    client, published, people, credential_key
):
    listing = published()
    copy_in_a_badge = endorsement_of(client, listing)
    did_doc = served_did_document(client)
    before = run_verifier(copy_in_a_badge, did_doc, client.get("/credentials/status/1").get_json())
    assert before["verified"] is True and before["status"]["revoked"] is False

    catalogue.revoke_listing(people.officer, listing, "Assessment no longer proctored.")
    commit()
    assert client.get(f"/api/v1/listings/{listing.id}/endorsement").status_code == 404
    status = client.get("/credentials/status/1").get_json()
    after = run_verifier(copy_in_a_badge, did_doc, status)
    assert after["verified"] is False
    assert after["status"]["checked"] is True
    assert after["status"]["verified"] is True  # the status list itself is genuine...
    assert after["status"]["revoked"] is True  # ...and says revoked
    assert "The credential is revoked (its status list bit is set)." in after["errors"]


def test_the_status_list_credential_verifies(client, published, credential_key):
    published()
    status = client.get("/credentials/status/1").get_json()
    result = run_verifier(status, served_did_document(client))
    assert result == {"verified": True, "errors": [], "status": None}
    status["credentialSubject"]["encodedList"] = status["credentialSubject"]["encodedList"].replace(
        "A", "B", 1
    )
    assert run_verifier(status, served_did_document(client))["verified"] is False


def test_a_forged_status_list_is_not_believed(client, published, people, credential_key):
    """A revoked listing's holder cannot clear the bit in a copy of the list."""
    listing = published()
    endorsement = endorsement_of(client, listing)
    catalogue.revoke_listing(people.officer, listing, "Assessment no longer proctored.")
    commit()
    status = client.get("/credentials/status/1").get_json()
    status["credentialSubject"]["encodedList"] = status_list.encode(status_list.bitstring([]))
    result = run_verifier(endorsement, served_did_document(client), status)
    assert result["verified"] is False
    assert result["status"]["verified"] is False


def test_the_portal_keys_sign_what_the_verifier_accepts(client, published):
    """No test key: the key ``core.keys`` keeps in SIGNING_KEYS_DIR (made on first use
    outside production), published in the DID document the portal serves."""
    endorsement = endorsement_of(client, published())
    did_doc = served_did_document(client)
    assert endorsement["proof"][0]["verificationMethod"] in did_doc["assertionMethod"]
    status = client.get("/credentials/status/1").get_json()
    result = run_verifier(endorsement, did_doc, status)
    assert result["verified"] is True, result
    assert run_verifier(status, did_doc)["verified"] is True


def test_a_missing_verifier_skips_here_but_fails_under_ci(monkeypatch, tmp_path):
    from . import helpers

    monkeypatch.setattr(helpers, "VERIFIER", tmp_path)  # no node_modules there
    monkeypatch.delenv("CI", raising=False)
    assert "verifier/node_modules is missing" in helpers.reference_verifier_missing()
    monkeypatch.setenv("CI", "1")
    with pytest.raises(pytest.fail.Exception, match="CI must run the reference verifier"):
        helpers.reference_verifier_missing()
