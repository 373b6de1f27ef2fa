"""The credential check's part of the OpenAPI document (``POST /credential-check``), kept
apart from ``openapi.py`` (which holds the read-only catalogue); ``openapi.document()`` adds
it. Self-contained: the references name the document's shared components (BadRequest,
TooManyRequests, Error)."""

from __future__ import annotations

import copy
from typing import Any

from qa_portal.catalogue.credential_check import LIMIT_TEXT
from qa_portal.catalogue.models import PublicStatus

JSON = "application/json"
URL = {"type": "string", "format": "uri"}
DATE = {"type": "string", "format": "date"}


def _closed(properties: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "type": "object",
        "description": description,
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


def _or_null(schema: dict[str, Any]) -> dict[str, Any]:
    return {"oneOf": [schema, {"type": "null"}]}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def schemas() -> dict[str, Any]:
    text, flag = {"type": "string"}, {"type": "boolean"}
    return {
        "CheckedCredential": _closed(
            {
                "kind": {"type": "string", "description": "Open Badges 3.0 or Europass (ELM 3)."},
                "achievement_name": text,
                "identifiers": {"type": "array", "items": text},
                "issued": DATE,
                "issued_field": {
                    "type": "string",
                    "enum": ["issuanceDate", "issued", "awardedDate", "validFrom"],
                },
            },
            "What the credential says about its achievement.",
        ),
        "CheckedListing": _closed(
            {
                "id": {"type": "integer", "minimum": 1},
                "title": text,
                "provider": text,
                "url": URL,
                "status": {"type": "string", "enum": [s.value for s in PublicStatus]},
                "status_label": text,
                "valid_from": DATE,
                "valid_until": DATE,
                "ended_on": _or_null(DATE),
            },
            "The listing the credential's achievement identifies.",
        ),
        "CheckedConditions": _closed(
            {
                "state": {"type": "string", "enum": ["none", "met", "open", "overdue", "not_met"]},
                "summary": text,
                "items": {
                    "type": "array",
                    "items": _closed(
                        {"position": {"type": "integer"}, "due": DATE, "state": text},
                        "One condition and its public state.",
                    ),
                },
            },
            "The approval's conditions today.",
        ),
        "CredentialCheck": _closed(
            {
                "credential": _ref("CheckedCredential"),
                "checked_on": DATE,
                "signature_checked": {
                    "const": False,
                    "description": "The credential's own signature is never checked here.",
                },
                "match": flag,
                "matched_by": _or_null(text),
                "same_title_listing": _or_null(URL),
                "listing": _or_null(_ref("CheckedListing")),
                "approved_at_issuance": _or_null(flag),
                "valid_today": _or_null(flag),
                "conditions": _or_null(_ref("CheckedConditions")),
            },
            "Whether a learner's credential names a listing of this catalogue, approved on "
            "the credential's issuance date and still approved. Without a match, the listing "
            "fields are null (a listing of the same title is only a hint).",
        ),
    }


PATHS = {
    "/credential-check": {
        "post": {
            "operationId": "checkCredential",
            "summary": "Check a learner's credential against the catalogue",
            "description": (
                "Send a learner's Open Badges 3.0 credential (OpenBadgeCredential / "
                "AchievementCredential) or Europass digital credential (ELM 3 JSON-LD) as the "
                "body. The achievement is matched by its id (this catalogue's Open Badges "
                "achievement) or an identifier (the listing's page or CTID), never by title. "
                "The credential's signature is not checked; nothing sent is stored. At most "
                f"{LIMIT_TEXT}."
            ),
            "tags": ["verification"],
            "requestBody": {
                "required": True,
                "content": {
                    JSON: {"schema": {"type": "object"}},
                    "application/ld+json": {"schema": {"type": "object"}},
                },
            },
            "responses": {
                "200": {
                    "description": "The check.",
                    "content": {JSON: {"schema": _ref("CredentialCheck")}},
                },
                "400": {"$ref": "#/components/responses/BadRequest"},
                "429": {"$ref": "#/components/responses/TooManyRequests"},
            },
        }
    }
}
TAG = {"name": "verification", "description": "Checking a learner's credential."}


def extended(doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` (a copy of the catalogue's document) with the credential check added."""
    doc["paths"].update(copy.deepcopy(PATHS))
    doc["components"]["schemas"].update(schemas())
    doc["tags"].append(TAG)
    return doc
