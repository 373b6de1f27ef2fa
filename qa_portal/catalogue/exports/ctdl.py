"""CTDL JSON-LD of a listing: a ``ceterms:MicroCredential`` that uses only classes and
properties of the 2021 CTDL schema graph (``tests/data/schemas/ctdl/CTDL.json``), each on a
class in its ``schema:domainIncludes`` and with objects of a class in its
``schema:rangeIncludes`` (the test walks the whole document).

Consequences: ECTS credits are a ``ceterms:ValueProfile`` with ``schema:value`` (both in that
graph) and the unit is said in words by ``ceterms:creditUnitTypeDescription``, because
``ceterms:creditUnitType`` expects a ``skos:Concept`` from a concept scheme the graph does
not hold; language-tagged texts use language maps (several keywords are one map holding a
list). The prerequisites are entry requirements, so they form a second ``ceterms:requires``
ConditionProfile (each one a ``ceterms:condition``).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from qa_portal.catalogue.exports.common import outcome_lines, web
from qa_portal.catalogue.models import Listing, PublicStatus
from qa_portal.core import clock
from qa_portal.core.urls import external_url

CTDL_CONTEXT = "https://credreg.net/ctdl/schema/context/json"
DELIVERY = {
    "online": ("deliveryType:OnlineOnly", "Online Only"),
    "in_person": ("deliveryType:InPerson", "In Person Only"),
    "blended": ("deliveryType:BlendedDelivery", "Blended Delivery"),
}
ISCED_F = "https://uis.unesco.org/en/topic/international-standard-classification-education-isced"


def ctid_of(listing: Listing) -> str:
    """The listing's Credential Transparency Identifier (``ce-`` + its stored UUID): the
    same under any address of the portal, and kept when a renewal republishes it."""
    return listing.ctid


def _provider(listing: Listing, lang: str) -> dict[str, Any]:
    """The provider as a ``ceterms:CredentialOrganization`` (owner and offerer)."""
    return {
        "@type": "ceterms:CredentialOrganization",
        "ceterms:ctid": listing.organisation.ctid,
        "ceterms:name": {lang: listing.provider_name},
        "ceterms:subjectWebpage": web(listing.organisation.website)
        or external_url("catalogue.provider", org_id=listing.organisation_id),
    }


def _competencies(data: dict[str, Any], lang: str) -> list[dict[str, Any]]:
    """Every learning outcome as a ``ceterms:CredentialAlignmentObject``, with its framework
    item when it has one."""
    competencies = []
    for o in data.get("outcomes") or []:
        alignment: dict[str, Any] = {
            "@type": "ceterms:CredentialAlignmentObject",
            "ceterms:targetNodeName": {lang: o.get("statement") or ""},
        }
        if web(o.get("framework_url")):
            alignment["ceterms:targetNode"] = web(o["framework_url"])
        if o.get("framework_code"):
            alignment["ceterms:codedNotation"] = o["framework_code"]
        if o.get("framework_name"):
            alignment["ceterms:frameworkName"] = {lang: o["framework_name"]}
        competencies.append(alignment)
    return competencies


def _outcomes_condition(data: dict[str, Any], lang: str) -> dict[str, Any]:
    """The learning outcomes to demonstrate as a ``ceterms:ConditionProfile``, with the ECTS
    credits they earn."""
    condition: dict[str, Any] = {
        "@type": "ceterms:ConditionProfile",
        "ceterms:name": {lang: "Learning outcomes"},
        "ceterms:description": {
            lang: "Demonstrate every learning outcome in the assessment.\n\n"
            + "\n".join(outcome_lines(data))
        },
        "ceterms:targetCompetency": _competencies(data, lang),
    }
    if data.get("ects"):
        condition["ceterms:creditValue"] = [
            {"@type": "ceterms:ValueProfile", "schema:value": float(data["ects"])}
        ]
        condition["ceterms:creditUnitTypeDescription"] = {
            lang: "ECTS credits (European Credit Transfer and Accumulation System)"
        }
    return condition


def _prerequisite_text(p: dict[str, Any]) -> str:
    kind = (p.get("kind") or "").replace("_", " ").capitalize()
    text = f"{kind}: {p.get('description') or ''}".strip(": ")
    if p.get("related_reference"):
        text += f" (builds on {p['related_reference']})"
    return text


def _entry_requirements(prerequisites: list[dict[str, Any]], lang: str) -> dict[str, Any]:
    """The prerequisites as a second ``ceterms:ConditionProfile``."""
    return {
        "@type": "ceterms:ConditionProfile",
        "ceterms:name": {lang: "Entry requirements"},
        "ceterms:condition": {lang: [_prerequisite_text(p) for p in prerequisites]},
    }


def _qa_organisation(qa_body: dict[str, Any], lang: str) -> dict[str, Any]:
    """The QA body (with its CTID when it is an organisation of the portal)."""
    node: dict[str, Any] = {"@type": "ceterms:QACredentialOrganization"}
    if qa_body.get("ctid"):
        node["ceterms:ctid"] = qa_body["ctid"]
    node["ceterms:name"] = {lang: qa_body["name"]}
    node["ceterms:subjectWebpage"] = qa_body["url"]
    return node


def _estimated_duration(data: dict[str, Any], lang: str) -> dict[str, Any]:
    """The duration in weeks and the workload in hours as a ``ceterms:DurationProfile``."""
    duration: dict[str, Any] = {"@type": "ceterms:DurationProfile"}
    if data.get("duration_weeks"):
        duration["ceterms:exactDuration"] = f"P{int(data['duration_weeks'])}W"
    if data.get("workload_hours"):
        duration["ceterms:description"] = {
            lang: f"{data['workload_hours']} hours of notional learning"
        }
    return duration


def _delivery_type(participation: str, lang: str) -> dict[str, Any]:
    """The form of participation as a term of CTDL's delivery types."""
    node, name = DELIVERY[participation]
    return {
        "@type": "ceterms:CredentialAlignmentObject",
        "ceterms:targetNode": node,
        "ceterms:frameworkName": {lang: "Delivery Type"},
        "ceterms:targetNodeName": {lang: name},
    }


def _field_of_study(data: dict[str, Any], lang: str) -> dict[str, Any]:
    """The ISCED-F field as a ``ceterms:instructionalProgramType``."""
    return {
        "@type": "ceterms:CredentialAlignmentObject",
        "ceterms:framework": ISCED_F,
        "ceterms:frameworkName": {lang: "ISCED Fields of Education and Training 2013"},
        "ceterms:codedNotation": data["isced_code"],
        "ceterms:targetNodeName": {lang: data.get("isced_name") or data["isced_code"]},
    }


def ctdl(listing: Listing, qa_body: dict[str, Any], today: date | None = None) -> dict[str, Any]:
    """CTDL JSON-LD: a ``ceterms:MicroCredential`` (terms of the 2021 CTDL graph only)."""
    data = listing.public
    url = external_url("catalogue.detail", listing_id=listing.id)
    languages = list(data.get("languages_instruction") or [])
    lang = languages[0] if languages else "en"
    provider = _provider(listing, lang)
    doc: dict[str, Any] = {
        "@context": CTDL_CONTEXT,
        "@id": external_url("api.ctdl", listing_id=listing.id),
        "@type": "ceterms:MicroCredential",
        "ceterms:ctid": ctid_of(listing),
        "ceterms:name": {lang: listing.title},
        "ceterms:description": {
            lang: data.get("description") or data.get("summary") or listing.title
        },
        "ceterms:subjectWebpage": web(data.get("web_page")) or url,
        "ceterms:ownedBy": [provider],
        "ceterms:offeredBy": [provider],
        "ceterms:requires": [_outcomes_condition(data, lang)],
    }
    if listing.public_status(today or clock.today()) in (
        PublicStatus.VALID,
        PublicStatus.CONDITIONS_OPEN,
    ):
        qa = _qa_organisation(qa_body, lang)
        doc["ceterms:approvedBy"] = [qa]
        doc["ceterms:accreditedBy"] = [qa]
    prerequisites = data.get("prerequisites") or []
    if prerequisites:
        doc["ceterms:requires"].append(_entry_requirements(prerequisites, lang))
    if languages:
        doc["ceterms:inLanguage"] = languages
    if data.get("keywords"):
        doc["ceterms:keyword"] = {lang: list(data["keywords"])}
    if data.get("duration_weeks") or data.get("workload_hours"):
        doc["ceterms:estimatedDuration"] = [_estimated_duration(data, lang)]
    if data.get("participation") in DELIVERY:
        doc["ceterms:learningDeliveryType"] = [_delivery_type(data["participation"], lang)]
    if data.get("isced_code"):
        doc["ceterms:instructionalProgramType"] = [_field_of_study(data, lang)]
    return doc
