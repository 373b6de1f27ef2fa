"""The OpenAPI 3.1 document: served by the app, valid, and describing exactly the API."""

from __future__ import annotations

import re

import pytest
from openapi_spec_validator import OpenAPIV31SpecValidator

from qa_portal.catalogue import search_filters
from qa_portal.catalogue.models import PublicStatus

BASE = "/api/v1"


@pytest.fixture
def document(client):
    response = client.get(f"{BASE}/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    return response.get_json()


def _operations(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def resolve(document, node: dict) -> dict:
    """Follow ``$ref`` (local references only) until a real object."""
    while "$ref" in node:
        target = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def test_the_document_is_a_valid_openapi_3_1_document(document):
    assert document["openapi"].startswith("3.1.")
    errors = [e.message for e in OpenAPIV31SpecValidator(document).iter_errors()]
    assert errors == []
    assert document["servers"] == [{"url": BASE, "description": "This catalogue."}]


def _rule_to_path(rule: str) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule).removeprefix(BASE)


def test_every_api_route_is_documented_and_nothing_else(app, document):
    routes = {
        (_rule_to_path(rule.rule), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api.")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    documented = {(path, method) for path, method, _ in _operations(document)}
    assert routes == documented
    assert len(routes) == 9


def test_every_operation_documents_its_answers_with_schemas(document):
    for path, _method, operation in _operations(document):
        responses = operation["responses"]
        assert "200" in responses and "429" in responses, path
        if "{" in path:
            assert "404" in responses, path
        if operation.get("parameters") and "{" not in path:
            assert "400" in responses, path
        for code, response in responses.items():
            response = resolve(document, response)
            assert response["description"], (path, code)
            for media in response["content"].values():
                assert resolve(document, media["schema"])["type"] == "object", (path, code)
            if code != "200":
                assert response["content"]["application/json"]["schema"] == {
                    "$ref": "#/components/schemas/Error"
                }
    too_many = document["components"]["responses"]["TooManyRequests"]
    assert "Retry-After" in too_many["headers"]


def test_parameters_have_types_enums_and_ranges(document):
    listing = document["paths"]["/listings"]["get"]
    params = {p["name"]: p["schema"] for p in listing["parameters"]}
    assert set(params) == {
        "q",
        "provider",
        "country",
        "eqf",
        "field",
        "participation",
        "language",
        "ects_min",
        "ects_max",
        "status",
        "sort",
        "page",
        "per_page",
    }
    assert params["eqf"] == {"type": "integer", "minimum": 1, "maximum": 8}
    assert params["per_page"]["maximum"] == search_filters.MAX_PER_PAGE
    assert params["per_page"]["minimum"] == 1
    assert params["page"]["minimum"] == 1
    assert params["status"]["enum"] == [s.value for s in PublicStatus]
    assert params["sort"]["enum"] == ["relevance", "date", "title"]
    assert params["participation"]["enum"] == ["online", "in_person", "blended"]
    assert "IE" in params["country"]["enum"] and "ZZ" not in params["country"]["enum"]
    assert "en" in params["language"]["enum"] and "xx" not in params["language"]["enum"]
    assert {"06", "0613"} <= set(params["field"]["enum"])
    assert params["ects_min"] == {"type": "number", "minimum": 0, "maximum": 400}
    for path, _method, operation in _operations(document):
        for parameter in operation.get("parameters", []):
            assert parameter["description"], (path, parameter["name"])
            assert parameter["schema"]["type"] in ("string", "integer", "number")
            if parameter["in"] == "path":
                assert parameter["schema"] == {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": 2**31 - 1,
                }


def test_every_public_object_has_a_closed_schema(document):
    schemas = document["components"]["schemas"]
    closed = (
        "ListingSummary",
        "ListingDetail",
        "Provider",
        "LearningOutcome",
        "Assessment",
        "Prerequisite",
        "Stackability",
        "Condition",
        "Decision",
        "Report",
        "Organisation",
        "ListingPage",
        "OrganisationPage",
        "PageLinks",
        "Error",
    )
    for name in closed:
        assert schemas[name]["additionalProperties"] is False, name
    assert set(schemas["Error"]["required"]) == {"error", "message"}
    assert set(schemas["PageLinks"]["required"]) == {"self", "first", "last"}
    assert set(schemas["PageLinks"]["properties"]) == {"self", "first", "last", "next", "prev"}
    # The standards' own documents are open objects (their schemas are theirs).
    assert schemas["Achievement"]["additionalProperties"] is True
    assert schemas["CTDL"]["additionalProperties"] is True
    assert schemas["Achievement"]["properties"]["achievementType"] == {"const": "MicroCredential"}


def test_the_document_follows_a_path_prefix(app):
    """Behind a reverse proxy that mounts the portal under /qa, the server address says so."""
    client = app.test_client()
    response = client.get(f"{BASE}/openapi.json", base_url="http://qa.test/qa")
    assert response.get_json()["servers"][0]["url"] == "/qa/api/v1"
