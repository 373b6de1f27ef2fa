"""CTDL: each listing is a ``ceterms:MicroCredential`` that uses only terms of the 2021 CTDL
schema graph (``tests/data/schemas/ctdl/CTDL.json``), each property on a class of its
``schema:domainIncludes``, each object of a class of its ``schema:rangeIncludes`` and each
literal of the kind its range asks for."""

from __future__ import annotations

import re
from functools import cache

import pytest

from qa_portal.accounts.queries import qa_body
from qa_portal.catalogue import operations as catalogue
from qa_portal.core.db import commit

from .helpers import load_schema
from .test_ob3 import minimal_fields

LANGUAGE_TAG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
DURATION = re.compile(r"^P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(\d+H)?(\d+M)?(\d+S)?)?$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
IRI = re.compile(r"^(https?://\S+|[a-zA-Z][\w-]*:[^/\s]\S*)$")
CTID = re.compile(r"^ce-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


@cache
def vocabulary() -> tuple[set[str], dict[str, dict]]:
    graph = load_schema("ctdl/CTDL.json")["@graph"]
    classes = {t["@id"] for t in graph if t["@type"] == "rdfs:Class"}
    properties = {t["@id"]: t for t in graph if t["@type"] == "rdf:Property"}
    return classes, properties


def _literal_problem(term: str, ranges: list[str], value) -> str | None:
    """Why ``value`` (not a node object) does not fit the property's range, or None."""
    if isinstance(value, dict):  # a language map: {"en": "text"} or {"en": ["a", "b"]}
        if "rdf:langString" not in ranges:
            return f"{term}: a language map, but its range is {ranges}"
        for tag, text in value.items():
            texts = text if isinstance(text, list) else [text]
            if not LANGUAGE_TAG.match(tag) or not all(isinstance(t, str) and t for t in texts):
                return f"{term}: bad language map entry {tag!r}: {text!r}"
        return None
    if isinstance(value, bool):
        return f"{term}: a boolean"
    if isinstance(value, int | float):
        return (
            None
            if {"xsd:float", "xsd:decimal", "xsd:integer"} & set(ranges)
            else (f"{term}: a number, but its range is {ranges}")
        )
    if not isinstance(value, str) or not value:
        return f"{term}: {value!r} is not a value"
    if "rdf:langString" in ranges:
        return f"{term}: plain string {value!r} where a language map is expected"
    if "xsd:anyURI" in ranges or any(r.startswith("ceterms:") for r in ranges):
        # an absolute or compact IRI (creditUnit:…), or a reference to a node by its IRI
        return None if IRI.match(value) else f"{term}: {value!r} is not a URI"
    if "schema:Duration" in ranges:
        return None if DURATION.match(value) else f"{term}: {value!r} is not an ISO duration"
    if "xsd:date" in ranges:
        return None if DATE.match(value) else f"{term}: {value!r} is not a date"
    if "xsd:language" in ranges:
        return None if LANGUAGE_TAG.match(value) else f"{term}: {value!r} is not a language"
    if "xsd:string" in ranges:
        return None
    return f"{term}: literal {value!r} for range {ranges}"


def term_problems(document: dict) -> list[str]:
    """Every way ``document`` strays from the CTDL graph (empty when it fits)."""
    classes, properties = vocabulary()
    problems: list[str] = []

    def node(obj: dict, path: str) -> None:
        kind = obj.get("@type")
        if kind not in classes:
            problems.append(f"{path}: class {kind!r} is not in CTDL.json")
            return
        for term, value in obj.items():
            if term.startswith("@"):
                continue
            where = f"{path}/{term}"
            prop = properties.get(term)
            if prop is None:
                problems.append(f"{where}: property {term!r} is not in CTDL.json")
                continue
            if kind not in prop.get("schema:domainIncludes", []):
                problems.append(f"{where}: {term} is not used on {kind}")
            ranges = prop.get("schema:rangeIncludes", [])
            if isinstance(value, list) and any(
                isinstance(item, dict) and "@type" not in item for item in value
            ):
                # JSON-LD drops language maps inside a list: one map holds a list instead
                problems.append(f"{where}: a list of language maps")
            for i, item in enumerate(value if isinstance(value, list) else [value]):
                if isinstance(item, dict) and "@type" in item:
                    if item["@type"] not in ranges:
                        problems.append(f"{where}[{i}]: {item['@type']} is not in the range")
                    node(item, f"{where}[{i}]")
                else:
                    problem = _literal_problem(term, ranges, item)
                    if problem:
                        problems.append(f"{where}[{i}]: {problem}")

    node(document, "")
    return problems


def get_ctdl(client, listing) -> dict:
    response = client.get(f"/api/v1/listings/{listing.id}/ctdl")
    assert response.status_code == 200
    assert response.mimetype == "application/ld+json"
    return response.get_json()


def test_the_checker_accepts_the_official_example_and_catches_strays():
    example = load_schema("ctdl/examples/Credential-1.json")
    assert term_problems(example) == []
    stray = {
        "@type": "ceterms:MicroCredential",
        "ceterms:name": "plain text",  # needs a language map
        "ceterms:creditUnitType": "ECTS",  # a ValueProfile property
        "ceterms:lifeCycleStatusType": [],  # added to CTDL after 2021
        "ceterms:requires": [{"@type": "ceterms:ValueProfile", "schema:value": 5}],
        "ceterms:estimatedDuration": [
            {"@type": "ceterms:DurationProfile", "ceterms:exactDuration": "10 weeks"}
        ],
        "ceterms:offeredBy": [{"@type": "ceterms:Organisation"}],
        "ceterms:keyword": [{"en": "DevOps"}, {"en": "Kubernetes"}],
    }
    found = "\n".join(term_problems(stray))
    for expected in (
        "ceterms:name: plain string",
        "ceterms:creditUnitType is not used on ceterms:MicroCredential",
        "'ceterms:lifeCycleStatusType' is not in CTDL.json",
        "ceterms:ValueProfile is not in the range",
        "is not an ISO duration",
        "class 'ceterms:Organisation' is not in CTDL.json",
        "ceterms:keyword: a list of language maps",
    ):
        assert expected in found


def test_every_term_of_every_export_is_in_the_2021_ctdl_graph(client, make_listing, people):
    listings = [
        make_listing("Cloud-Native Operations"),
        make_listing("Minimal Microcredential", **minimal_fields()),
        make_listing("Conditional", outcome="approved_with_conditions", member=people.provider_b),
        make_listing("Trilingual", languages_instruction=["ga", "en", "fr"], ects=2.5),
    ]
    catalogue.withdraw_listing(people.provider_b, listings[2], "")
    commit()
    for listing in listings:
        doc = get_ctdl(client, listing)
        assert term_problems(doc) == [], listing.title
        assert doc["@type"] == "ceterms:MicroCredential"
        assert doc["@context"] == "https://credreg.net/ctdl/schema/context/json"
        assert CTID.match(doc["ceterms:ctid"])
        assert doc["ceterms:ctid"] == f"ce-{listing.uuid}"


def test_the_ctdl_document_says_who_offers_approves_and_what_it_requires(client, make_listing):
    listing = make_listing("Cloud-Native Operations")
    doc = get_ctdl(client, listing)
    provider = {
        "@type": "ceterms:CredentialOrganization",
        "ceterms:ctid": f"ce-{listing.organisation.uuid}",  # stored, like the listing's
        "ceterms:name": {"en": "Provider A"},
        "ceterms:subjectWebpage": f"http://qa.test/catalogue/providers/{listing.organisation_id}",
    }
    assert doc["ceterms:ownedBy"] == [provider] == doc["ceterms:offeredBy"]
    for qa in (doc["ceterms:approvedBy"], doc["ceterms:accreditedBy"]):
        assert qa == [
            {
                "@type": "ceterms:QACredentialOrganization",
                "ceterms:ctid": f"ce-{qa_body().uuid}",
                "ceterms:name": {"en": "Quality Agency"},
                "ceterms:subjectWebpage": "http://qa.test/",
            }
        ]
    outcomes, entry = doc["ceterms:requires"]
    competencies = outcomes["ceterms:targetCompetency"]
    assert [c["ceterms:targetNodeName"]["en"] for c in competencies] == [
        o["statement"] for o in listing.public["outcomes"]
    ]
    assert competencies[0]["ceterms:targetNode"].startswith("http://data.europa.eu/esco/skill/")
    assert competencies[0]["ceterms:codedNotation"] == "S1.2.3"
    assert outcomes["ceterms:creditValue"] == [
        {"@type": "ceterms:ValueProfile", "schema:value": 5.0}
    ]
    assert "ECTS" in outcomes["ceterms:creditUnitTypeDescription"]["en"]
    assert entry["ceterms:condition"] == {
        "en": ["Skill: Programming in one general-purpose language and use of git."]
    }
    assert doc["ceterms:estimatedDuration"][0]["ceterms:exactDuration"] == "P10W"
    assert doc["ceterms:inLanguage"] == ["en"]
    assert doc["ceterms:learningDeliveryType"][0]["ceterms:targetNode"] == (
        "deliveryType:BlendedDelivery"
    )
    assert doc["ceterms:keyword"] == {"en": ["cloud computing", "DevOps", "Kubernetes"]}
    assert doc["ceterms:instructionalProgramType"][0]["ceterms:codedNotation"] == "0613"


def test_without_credits_languages_or_prerequisites_those_parts_are_left_out(client, make_listing):
    doc = get_ctdl(client, make_listing("Minimal Microcredential", **minimal_fields()))
    (outcomes,) = doc["ceterms:requires"]
    assert "ceterms:creditValue" not in outcomes
    assert "ceterms:inLanguage" not in doc and "ceterms:keyword" not in doc
    assert len(outcomes["ceterms:targetCompetency"]) == 3


@pytest.mark.parametrize("how", ["withdrawn", "revoked", "expired"])
def test_a_listing_that_no_longer_stands_is_no_longer_approved(
    client, make_listing, people, travel, how
):
    listing = make_listing("Cloud-Native Operations")
    if how == "withdrawn":
        catalogue.withdraw_listing(people.provider_a, listing, "Programme closed.")
    elif how == "revoked":
        catalogue.revoke_listing(people.officer, listing, "Assessment changed without notice.")
    else:
        travel(6 * 366)
    commit()
    doc = get_ctdl(client, listing)
    assert "ceterms:approvedBy" not in doc and "ceterms:accreditedBy" not in doc
    assert term_problems(doc) == []
