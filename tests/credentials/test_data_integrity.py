"""Data Integrity proofs (eddsa-rdfc-2022) made and checked by core/data_integrity.py."""

from __future__ import annotations

import copy
import hashlib
from datetime import UTC, datetime

import base58
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from qa_portal.core import data_integrity

DID = "did:web:qa.test"
METHOD = f"{DID}#key-1"
WHEN = datetime(2026, 12, 7, 21, 30, 15, 123456, tzinfo=UTC)


def credential() -> dict:
    return {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": "http://qa.test/catalogue/1#decision-1",
        "type": ["VerifiableCredential", "EndorsementCredential"],
        "issuer": {"id": DID, "type": ["Profile"], "name": "Quality Agency"},
        "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": {
            "id": "http://qa.test/api/v1/listings/1/achievement",
            "type": ["EndorsementSubject"],
            "endorsementComment": "Approved after an external review.",
        },
    }


def test_a_signed_document_verifies_with_its_key_only():
    key = Ed25519PrivateKey.generate()
    signed = data_integrity.sign(credential(), key, METHOD, WHEN)
    assert signed["proof"] == {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-rdfc-2022",
        "created": "2026-12-07T21:30:15Z",
        "verificationMethod": METHOD,
        "proofPurpose": "assertionMethod",
        "proofValue": signed["proof"]["proofValue"],
    }
    assert signed["proof"]["proofValue"].startswith("z")
    assert len(base58.b58decode(signed["proof"]["proofValue"][1:])) == 64
    assert "proof" not in credential()  # the input is left as it was
    assert data_integrity.verify(signed, key.public_key())
    assert not data_integrity.verify(signed, Ed25519PrivateKey.generate().public_key())


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d["credentialSubject"].update(
            endorsementComment="Approved after an external reviev."
        ),
        lambda d: d.update(validFrom="2026-01-02T00:00:00Z"),
        lambda d: d["issuer"].update(id="did:web:evil.test"),
        lambda d: d["proof"].update(created="2026-12-07T21:30:16Z"),
        lambda d: d["proof"].update(verificationMethod=f"{DID}#key-2"),
        lambda d: d.pop("proof"),
    ],
    ids=["comment", "validFrom", "issuer", "created", "method", "no proof"],
)
def test_any_change_breaks_the_proof(change):
    key = Ed25519PrivateKey.generate()
    signed = data_integrity.sign(credential(), key, METHOD, WHEN)
    changed = copy.deepcopy(signed)
    change(changed)
    assert not data_integrity.verify(changed, key.public_key())


def test_the_signature_is_over_the_two_hashes_of_the_specification():
    """§3.3: sha256(canonical proof configuration) || sha256(canonical document), the proof
    configuration carrying the document's @context; the JSON key order does not matter."""
    key = Ed25519PrivateKey.generate()
    signed = data_integrity.sign(credential(), key, METHOD, WHEN)
    options = {k: v for k, v in signed["proof"].items() if k != "proofValue"}
    config = {"@context": credential()["@context"], **options}
    expected = (
        hashlib.sha256(data_integrity.canonical_nquads(config).encode()).digest()
        + hashlib.sha256(data_integrity.canonical_nquads(credential()).encode()).digest()
    )
    signature = base58.b58decode(signed["proof"]["proofValue"][1:])
    key.public_key().verify(signature, expected)  # raises if not
    reordered = dict(reversed(list(signed.items())))
    assert data_integrity.verify(reordered, key.public_key())


def test_an_unknown_context_is_refused_never_fetched():
    doc = credential()
    doc["@context"] = [*doc["@context"], "https://example.org/remote-context.jsonld"]
    with pytest.raises(data_integrity.UnknownContext, match="never fetched"):
        data_integrity.sign(doc, Ed25519PrivateKey.generate(), METHOD, WHEN)
    with pytest.raises(data_integrity.UnknownContext):
        data_integrity.local_loader("https://www.w3.org/2018/credentials/v1")
