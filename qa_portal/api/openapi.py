"""The OpenAPI 3.1 document of the public API, served at ``/api/v1/openapi.json``.

Built from the same sources as the API itself (the search parameters and their bounds, the
enumerations of the dossier, the ISO and ISCED code lists), so the two cannot drift apart
quietly; the test suite checks every route against it and runs Schemathesis on it.
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

import pycountry
from flask import url_for

from qa_portal.api import openapi_exports
from qa_portal.api.openapi_credentials import extended
from qa_portal.catalogue import search, search_filters
from qa_portal.catalogue.models import PublicStatus
from qa_portal.decisions.models import ConditionState, Outcome
from qa_portal.dossiers import isced
from qa_portal.dossiers.models import (
    AssessmentMethod,
    EqfDomain,
    Issuance,
    Pacing,
    Participation,
    PrerequisiteKind,
    QfEheaCycle,
    Supervision,
)

MAX_ID = 2**31 - 1
MAX_PAGE = 100_000
ECTS_MAX = 400
JSON = "application/json"
JSON_LD = "application/ld+json"


def _values(enum_cls) -> list[str]:
    return [member.value for member in enum_cls]


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` or null (JSON Schema 2020-12, as OpenAPI 3.1 uses it)."""
    result = dict(schema)
    kind = result.get("type")
    if isinstance(kind, str):
        result["type"] = [kind, "null"]
    if "enum" in result:
        result["enum"] = [*result["enum"], None]
    return result


def _object(properties: dict[str, Any], description: str = "", **extra) -> dict[str, Any]:
    """A closed object: every property present, nothing else (the public allowlist)."""
    schema = {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
        **extra,
    }
    if description:
        schema["description"] = description
    return schema


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


URL = {"type": "string", "format": "uri"}
DATE = {"type": "string", "format": "date"}
TIMESTAMP = {"type": "string", "format": "date-time", "description": "UTC, RFC 3339."}
TEXT = {"type": "string"}
ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
COUNTRY = {"type": "string", "pattern": "^[A-Z]{2}$", "description": "ISO 3166-1 alpha-2."}
LANGUAGE = {"type": "string", "pattern": "^[a-z]{2,3}$", "description": "ISO 639-1."}
CTID = {"type": "string", "pattern": "^ce-[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$"}


def _codes() -> dict[str, list[str]]:
    return {
        "country": sorted(c.alpha_2 for c in pycountry.countries),
        "language": sorted(
            lang.alpha_2 for lang in pycountry.languages if hasattr(lang, "alpha_2")
        ),
        "field": sorted([*isced.BROAD, *isced.DETAILED]),
    }


def _schemas() -> dict[str, Any]:
    provider = _object({"id": ID, "name": TEXT}, "The awarding body (a provider organisation).")
    summary_properties = {
        "id": {**ID, "description": "The listing's id in this catalogue."},
        "ctid": {**CTID, "description": "Its permanent identifier (CTID), kept on renewal."},
        "reference": {
            "type": "string",
            "description": "The public reference of the microcredential, e.g. MC-00012.",
        },
        "title": TEXT,
        "summary": TEXT,
        "provider": provider,
        "country": _nullable(COUNTRY),
        "eqf_level": _nullable({"type": "integer", "minimum": 1, "maximum": 8}),
        "isced_code": _nullable({"type": "string", "pattern": "^[0-9]{2,4}$"}),
        "ects": _nullable({"type": "number", "minimum": 0}),
        "participation": _nullable({"type": "string", "enum": _values(Participation)}),
        "languages": {
            "type": "array",
            "items": LANGUAGE,
            "description": "Languages of instruction (ISO 639-1).",
        },
        "status": {"type": "string", "enum": _values(PublicStatus)},
        "valid_from": DATE,
        "valid_until": DATE,
        "published_at": TIMESTAMP,
        "links": _object({"html": URL, "self": URL}),
    }
    outcome = _object(
        {
            "id": {"type": "string", "pattern": "^LO[0-9]+$"},
            "statement": TEXT,
            "eqf_domain": _nullable({"type": "string", "enum": _values(EqfDomain)}),
            "framework_name": _nullable(TEXT),
            "framework_code": _nullable(TEXT),
            "framework_url": _nullable(TEXT),
        },
        "A learning outcome, optionally aligned to a framework item (e.g. an ESCO skill).",
    )
    assessment = _object(
        {
            "method": _nullable({"type": "string", "enum": _values(AssessmentMethod)}),
            "description": TEXT,
            "weight": _nullable({"type": "integer", "minimum": 0, "maximum": 100}),
            "supervision": _nullable({"type": "string", "enum": _values(Supervision)}),
            "pass_criteria": TEXT,
            "outcomes": {"type": "array", "items": {"type": "string", "pattern": "^LO[0-9]+$"}},
        },
        "An assessment component and the learning outcomes it assesses.",
    )
    prerequisite = _object(
        {
            "kind": _nullable({"type": "string", "enum": _values(PrerequisiteKind)}),
            "description": TEXT,
            "related_reference": _nullable(TEXT),
        }
    )
    stackability = _object(
        {
            "qualification": TEXT,
            "awarding_body": TEXT,
            "credits": _nullable({"type": "number", "minimum": 0}),
        }
    )
    condition = _object(
        {
            "text": TEXT,
            "due_date": DATE,
            "state": {"type": "string", "enum": _values(ConditionState)},
            "overdue": {
                "type": "boolean",
                "description": "Open (no evidence) past its due date, as of the request.",
            },
        }
    )
    decision = _object(
        {
            "outcome": {"type": "string", "enum": [o.value for o in Outcome if o.is_approval]},
            "decided_at": TIMESTAMP,
            "valid_from": DATE,
            "valid_until": DATE,
            "conditions": {"type": "array", "items": _ref("Condition")},
            "follow_up": _nullable(
                {
                    "type": "string",
                    "description": "A condition not met awaiting the QA body's follow-up "
                    "decision, or overdue conditions; null when neither.",
                }
            ),
        },
        "The QA body's decision that the listing publishes.",
    )
    report = _object(
        {
            "url": URL,
            "verify": URL,
            "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
            "revision": {"type": "integer", "minimum": 1},
            "uuid": {"type": "string", "format": "uuid"},
        },
        "The public review report (PDF) and where to verify it.",
    )
    detail_properties = {
        **summary_properties,
        "description": TEXT,
        "web_page": _nullable(TEXT),
        "partners": {"type": "array", "items": TEXT},
        "region": _nullable(TEXT),
        "languages_assessment": {"type": "array", "items": LANGUAGE},
        "isced_name": _nullable(TEXT),
        "keywords": {"type": "array", "items": TEXT},
        "level_not_applicable": {"type": "boolean"},
        "national_level": _nullable(TEXT),
        "qf_ehea_cycle": _nullable({"type": "string", "enum": _values(QfEheaCycle)}),
        "workload_hours": _nullable({"type": "integer", "minimum": 0}),
        "duration_weeks": _nullable({"type": "integer", "minimum": 0}),
        "pacing": _nullable({"type": "string", "enum": _values(Pacing)}),
        "outcomes": {"type": "array", "items": _ref("LearningOutcome")},
        "assessments": {"type": "array", "items": _ref("Assessment")},
        "prerequisites": {"type": "array", "items": _ref("Prerequisite")},
        "stackability": {"type": "array", "items": _ref("Stackability")},
        "recognition_arrangements": TEXT,
        "internal_qa": {
            "type": "string",
            "description": "The provider's own quality-assurance procedures.",
        },
        "target_audience": TEXT,
        "cost": TEXT,
        "grading_scheme": TEXT,
        "issuance": _nullable({"type": "string", "enum": _values(Issuance)}),
        "issuance_standards": {
            "type": "array",
            "items": {"type": "string", "enum": ["open_badges_3", "europass_edc"]},
        },
        "decision": _ref("Decision"),
        "ended_at": _nullable(TIMESTAMP),
        "ended_reason": _nullable(TEXT),
        "report": {"oneOf": [_ref("Report"), {"type": "null"}]},
        "links": _object({"html": URL, "self": URL, "achievement": URL, "ctdl": URL}),
    }
    page_links = {
        "type": "object",
        "description": "Links to pages of the same list; next and prev only where they exist.",
        "properties": {"self": URL, "first": URL, "last": URL, "next": URL, "prev": URL},
        "required": ["self", "first", "last"],
        "additionalProperties": False,
    }
    page_properties = {
        "total": {"type": "integer", "minimum": 0, "description": "Items in the whole list."},
        "page": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE},
        "per_page": {"type": "integer", "minimum": 1, "maximum": search_filters.MAX_PER_PAGE},
        "pages": {"type": "integer", "minimum": 1},
        "links": _ref("PageLinks"),
    }
    return {
        "Provider": provider,
        "ListingSummary": _object(
            summary_properties, "A listing as an item of the catalogue (public fields only)."
        ),
        "ListingDetail": _object(
            detail_properties,
            "Every public element of an approved microcredential, its decision and report.",
        ),
        "LearningOutcome": outcome,
        "Assessment": assessment,
        "Prerequisite": prerequisite,
        "Stackability": stackability,
        "Condition": condition,
        "Decision": decision,
        "Report": report,
        "Organisation": _object(
            {
                "id": ID,
                "ctid": CTID,
                "name": TEXT,
                "country": _nullable(COUNTRY),
                "website": _nullable(TEXT),
                "listings": {
                    "type": "integer",
                    "minimum": 1,
                    "description": "Valid listings of this provider.",
                },
                "links": _object({"self": URL, "html": URL, "listings": URL}),
            },
            "A provider with at least one valid listing.",
        ),
        "PageLinks": page_links,
        "ListingPage": _object(
            {
                "items": {"type": "array", "items": _ref("ListingSummary")},
                **page_properties,
                "total_exact": {
                    "type": "boolean",
                    "description": (
                        "False when more listings match than `total`: a search with words "
                        f"considers its {search.WINDOW:,} most recently published matches "
                        "(all filters applied), ranked and sorted as asked."
                    ),
                },
                "sort": {"type": "string", "enum": list(search_filters.SORTS)},
            },
            "One page of listings.",
        ),
        "OrganisationPage": _object(
            {"items": {"type": "array", "items": _ref("Organisation")}, **page_properties},
            "One page of organisations.",
        ),
        "Error": _object(
            {
                "error": {"type": "string", "description": "A short machine-readable code."},
                "message": {"type": "string", "description": "What went wrong, for people."},
            },
            "Every error answer.",
        ),
        **openapi_exports.SCHEMAS,
        "CTDL": {
            "type": "object",
            "description": (
                "The microcredential in the Credential Transparency Description Language "
                "(ceterms:MicroCredential), JSON-LD; see https://credreg.net/ctdl/terms."
            ),
            "properties": {
                "@context": {"type": "string"},
                "@id": URL,
                "@type": {"const": "ceterms:MicroCredential"},
                "ceterms:ctid": CTID,
            },
            "required": ["@context", "@id", "@type", "ceterms:ctid"],
            "additionalProperties": True,
        },
    }


def _error(description: str, headers: dict | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "content": {JSON: {"schema": _ref("Error")}},
    }
    if headers:
        response["headers"] = headers
    return response


def _responses(ok: dict[str, Any], *errors: str) -> dict[str, Any]:
    responses = {"200": ok}
    # Any address may hold a control character (a NUL byte), which every route refuses (400).
    for code in dict.fromkeys(("400", *errors)):
        responses[code] = {"$ref": f"#/components/responses/{_ERROR_NAMES[code]}"}
    responses["429"] = {"$ref": "#/components/responses/TooManyRequests"}
    return responses


_ERROR_NAMES = {"400": "BadRequest", "404": "NotFound"}


def _ok(description: str, schema: str, media: str = JSON) -> dict[str, Any]:
    return {"description": description, "content": {media: {"schema": _ref(schema)}}}


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


def _path_id(name: str, what: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": ID,
        "description": f"The {what}'s id.",
    }


PAGE_PARAMETERS = [
    _query(
        "page",
        {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1},
        "Page number; a page past the last gives an empty list with the total.",
    ),
    _query(
        "per_page",
        {
            "type": "integer",
            "minimum": 1,
            "maximum": search_filters.MAX_PER_PAGE,
            "default": search_filters.DEFAULT_PER_PAGE,
        },
        "Items per page.",
    ),
]


def _listing_parameters() -> list[dict[str, Any]]:
    codes = _codes()
    ects = {"type": "number", "minimum": 0, "maximum": ECTS_MAX}
    return [
        _query(
            "q",
            {"type": "string"},
            "Words to find in titles, descriptions, learning outcomes and keywords (all of "
            "them; the last word also as the start of longer words, from three characters; at "
            f"most {search_filters.MAX_WORDS} words). Query syntax is not interpreted: quotes, "
            "operators and punctuation are plain text.",
        ),
        _query("provider", ID, "Only this provider organisation's listings."),
        _query(
            "country",
            {"type": "string", "enum": codes["country"]},
            "Country of the issuer (ISO 3166-1 alpha-2).",
        ),
        _query("eqf", {"type": "integer", "minimum": 1, "maximum": 8}, "EQF level."),
        _query(
            "field",
            {"type": "string", "enum": codes["field"]},
            "Field of study: an ISCED-F 2013 broad (2 digits) or detailed (4 digits) code.",
        ),
        _query(
            "participation",
            {"type": "string", "enum": _values(Participation)},
            "Form of participation.",
        ),
        _query(
            "language",
            {"type": "string", "enum": codes["language"]},
            "Language of instruction (ISO 639-1).",
        ),
        _query("ects_min", ects, "At least this many ECTS credits."),
        _query("ects_max", ects, "At most this many ECTS credits (not less than ects_min)."),
        _query(
            "status",
            {"type": "string", "enum": _values(PublicStatus)},
            "Public status. Without it, every listing not withdrawn or revoked (valid, "
            "conditions open, expired).",
        ),
        _query(
            "sort",
            {"type": "string", "enum": list(search_filters.SORTS)},
            "Order: relevance (with q; the default then), date (newest first; the default "
            "otherwise) or title.",
        ),
        *PAGE_PARAMETERS,
    ]


@cache
def _static_document() -> dict[str, Any]:
    listing_id = [_path_id("listing_id", "listing")]
    org_id = [_path_id("org_id", "organisation")]
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
        "info": {
            "title": "Catalogue of approved microcredentials",
            "version": "1.0.0",
            "summary": "Public, read-only data of the microcredentials approved by the QA body.",
            "description": (
                "Every approved microcredential published in the catalogue, with its public "
                "elements, the decision, its conditions and the public review report; as JSON, "
                "Open Badges 3.0 and CTDL. No key is needed. Requests are rate limited per "
                "client address; a 429 answer says when to try again (Retry-After). Errors are "
                "JSON objects with an `error` code and a `message`."
            ),
        },
        "paths": {
            "/openapi.json": {
                "get": {
                    "operationId": "getOpenApiDocument",
                    "summary": "This document",
                    "tags": ["meta"],
                    "responses": _responses(
                        {
                            "description": "The OpenAPI 3.1 document of this API.",
                            "content": {JSON: {"schema": {"type": "object"}}},
                        }
                    ),
                }
            },
            "/listings": {
                "get": {
                    "operationId": "listListings",
                    "summary": "Search the catalogue",
                    "tags": ["listings"],
                    "parameters": _listing_parameters(),
                    "responses": _responses(
                        _ok("One page of matching listings.", "ListingPage"), "400"
                    ),
                }
            },
            "/listings/{listing_id}": {
                "get": {
                    "operationId": "getListing",
                    "summary": "One listing with every public element",
                    "tags": ["listings"],
                    "parameters": listing_id,
                    "responses": _responses(_ok("The listing.", "ListingDetail"), "404"),
                }
            },
            "/listings/{listing_id}/achievement": {
                "get": {
                    "operationId": "getListingAchievement",
                    "summary": "The listing as an Open Badges 3.0 Achievement",
                    "tags": ["exports"],
                    "parameters": listing_id,
                    "responses": _responses(
                        _ok("Open Badges 3.0 Achievement (JSON-LD).", "Achievement", JSON_LD),
                        "404",
                    ),
                }
            },
            "/listings/{listing_id}/endorsement": {
                "get": {
                    "operationId": "getListingEndorsement",
                    "summary": "The QA body's signed endorsement of the listing",
                    "description": openapi_exports.ENDORSEMENT_NOTE,
                    "tags": ["exports"],
                    "parameters": listing_id,
                    "responses": _responses(
                        _ok("The endorsement.", "EndorsementCredential", openapi_exports.VC),
                        "404",
                    ),
                }
            },
            "/listings/{listing_id}/ctdl": {
                "get": {
                    "operationId": "getListingCtdl",
                    "summary": "The listing in CTDL (ceterms:MicroCredential)",
                    "tags": ["exports"],
                    "parameters": listing_id,
                    "responses": _responses(_ok("CTDL JSON-LD.", "CTDL", JSON_LD), "404"),
                }
            },
            "/organisations": {
                "get": {
                    "operationId": "listOrganisations",
                    "summary": "Providers with valid listings, by name",
                    "tags": ["organisations"],
                    "parameters": PAGE_PARAMETERS,
                    "responses": _responses(
                        _ok("One page of organisations.", "OrganisationPage"), "400"
                    ),
                }
            },
            "/organisations/{org_id}": {
                "get": {
                    "operationId": "getOrganisation",
                    "summary": "One provider with valid listings",
                    "tags": ["organisations"],
                    "parameters": org_id,
                    "responses": _responses(_ok("The organisation.", "Organisation"), "404"),
                }
            },
        },
        "components": {
            "schemas": _schemas(),
            "responses": {
                "BadRequest": _error(
                    "A parameter is not valid, or the address holds a control character; "
                    "the message says which."
                ),
                "NotFound": _error("Nothing is published under this id."),
                "TooManyRequests": _error(
                    "Too many requests from this address; try again later.",
                    {
                        "Retry-After": {
                            "description": "Seconds to wait before the next request.",
                            "schema": {"type": "integer", "minimum": 1},
                        }
                    },
                ),
            },
        },
        "tags": [
            {"name": "listings", "description": "Approved microcredentials."},
            {"name": "exports", "description": "Standard formats of one listing."},
            {"name": "organisations", "description": "Providers in the catalogue."},
            {"name": "meta", "description": "About this API."},
        ],
    }


def document() -> dict[str, Any]:
    """The document, with the server address of this deployment (any path prefix kept)."""
    doc = extended(copy.deepcopy(_static_document()))
    base = url_for("api.openapi_document").rsplit("/openapi.json", 1)[0]
    doc["servers"] = [{"url": base, "description": "This catalogue."}]
    return doc
