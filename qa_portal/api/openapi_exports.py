"""The OpenAPI schemas of the Open Badges 3.0 exports (``api/openapi.py`` merges them): the
``Achievement`` of a listing and the QA body's signed ``EndorsementCredential``."""

from __future__ import annotations

from typing import Any

VC = "application/vc+ld+json"
URL = {"type": "string", "format": "uri"}
TEXT = {"type": "string"}

ENDORSEMENT_NOTE = (
    "A W3C Verifiable Credential 2.0 / Open Badges 3.0 EndorsementCredential issued by the "
    "QA body's DID (did:web; its DID document is at /.well-known/did.json), with a Data "
    "Integrity proof (eddsa-rdfc-2022) and a credentialStatus (BitstringStatusListEntry) "
    "pointing at the revocation list /credentials/status/1. Not served once the listing is "
    "withdrawn or revoked (404): copies already made are answered by the status list."
)


def _types_with(name: str) -> dict[str, Any]:
    """A JSON-LD ``type`` list that holds ``name``."""
    return {"type": "array", "items": {"type": "string"}, "contains": {"const": name}}


SCHEMAS: dict[str, Any] = {
    "Achievement": {
        "type": "object",
        "description": (
            "An Open Badges 3.0 Achievement (achievementType MicroCredential), JSON-LD; "
            "see https://www.imsglobal.org/spec/ob/v3p0/."
        ),
        "properties": {
            "@context": {"type": "array", "items": {"type": "string"}},
            "id": URL,
            "type": _types_with("Achievement"),
            "achievementType": {"const": "MicroCredential"},
            "name": TEXT,
            "description": TEXT,
            "criteria": {"type": "object"},
        },
        "required": [
            "@context",
            "id",
            "type",
            "achievementType",
            "name",
            "description",
            "criteria",
        ],
        "additionalProperties": True,
    },
    "EndorsementCredential": {
        "type": "object",
        "description": ENDORSEMENT_NOTE,
        "properties": {
            "@context": {"type": "array", "items": {"type": "string"}},
            "id": URL,
            "type": _types_with("EndorsementCredential"),
            "issuer": {
                "type": "object",
                "properties": {"id": {"type": "string", "pattern": "^did:web:"}},
                "required": ["id"],
            },
            "validFrom": {"type": "string", "format": "date-time"},
            "validUntil": {"type": "string", "format": "date-time"},
            "credentialSubject": {"type": "object"},
            "credentialStatus": {
                "type": "object",
                "properties": {
                    "type": {"const": "BitstringStatusListEntry"},
                    "statusPurpose": {"const": "revocation"},
                    "statusListIndex": {"type": "string", "pattern": "^[0-9]+$"},
                    "statusListCredential": URL,
                },
            },
            "proof": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "type": {"const": "DataIntegrityProof"},
                        "cryptosuite": {"const": "eddsa-rdfc-2022"},
                        "proofValue": {"type": "string", "pattern": "^z"},
                    },
                },
            },
        },
        "required": ["@context", "id", "type", "issuer", "validFrom", "credentialSubject"],
        "additionalProperties": True,
    },
}
