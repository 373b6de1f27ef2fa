"""Machine-readable exports of listings: JSON API objects, Open Badges 3.0 Achievement,
CTDL JSON-LD, CSV and Atom. Everything is built from the listing's public data only."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date, datetime
from typing import Any
from xml.sax.saxutils import escape

from qa_portal.catalogue.models import Listing, PublicStatus
from qa_portal.core.urls import external_url

OB3_CONTEXT = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]
CTDL_CONTEXT = "https://credreg.net/ctdl/schema/context/json"
DELIVERY = {
    "online": "deliveryType:OnlineOnly",
    "in_person": "deliveryType:InPerson",
    "blended": "deliveryType:BlendedDelivery",
}


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value else None


def _timestamp(value: datetime | None) -> str | None:
    """A stored (naive UTC) time as RFC 3339, to the second: ``2026-05-01T09:30:00Z``."""
    return value.replace(microsecond=0).isoformat() + "Z" if value else None


def _text(value: Any) -> str | None:
    """Optional text: ``None`` rather than an empty string."""
    return str(value) if value not in (None, "") else None


def _number(value: Any) -> float | None:
    return float(value) if value not in (None, "") else None


def _integer(value: Any) -> int | None:
    return int(value) if value not in (None, "") else None


def _strings(value: Any) -> list[str]:
    return [str(v) for v in value or [] if v not in (None, "")]


def listing_summary(listing: Listing, today: date) -> dict[str, Any]:
    """The listing as one item of a result list (allowlisted public fields)."""
    return {
        "id": listing.id,
        "reference": listing.public.get("reference"),
        "title": listing.title,
        "summary": listing.summary,
        "provider": {"id": listing.organisation_id, "name": listing.provider_name},
        "country": listing.country or None,
        "eqf_level": listing.eqf_level,
        "isced_code": listing.isced_code or None,
        "ects": _number(listing.ects),
        "participation": listing.participation or None,
        "languages": listing.languages.split(),
        "status": listing.public_status(today).value,
        "valid_from": _iso(listing.valid_from),
        "valid_until": _iso(listing.valid_until),
        "published_at": _timestamp(listing.published_at),
        "links": {
            "html": external_url("catalogue.detail", listing_id=listing.id),
            "self": external_url("api.listing", listing_id=listing.id),
        },
    }


def _outcome(o: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": o.get("id"),
        "statement": o.get("statement") or "",
        "eqf_domain": _text(o.get("eqf_domain")),
        "framework_name": _text(o.get("framework_name")),
        "framework_code": _text(o.get("framework_code")),
        "framework_url": _text(o.get("framework_url")),
    }


def _assessment(a: dict[str, Any]) -> dict[str, Any]:
    return {
        "method": _text(a.get("method")),
        "description": a.get("description") or "",
        "weight": _integer(a.get("weight")),
        "supervision": _text(a.get("supervision")),
        "pass_criteria": a.get("pass_criteria") or "",
        "outcomes": _strings(a.get("outcomes")),
    }


def _prerequisite(p: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": _text(p.get("kind")),
        "description": p.get("description") or "",
        "related_reference": _text(p.get("related_reference")),
    }


def _stackability(s: dict[str, Any]) -> dict[str, Any]:
    return {
        "qualification": s.get("qualification") or "",
        "awarding_body": s.get("awarding_body") or "",
        "credits": _number(s.get("credits")),
    }


def listing_detail(listing: Listing, today: date, report=None) -> dict[str, Any]:
    """Every public element of the listing, its decision, conditions and report.

    Each nested object is built key by key from the public data: a field added to the
    dossier never reaches the API by accident."""
    data = listing.public
    decision = listing.decision
    body = listing_summary(listing, today)
    body.update(
        {
            "description": data.get("description") or "",
            "web_page": _text(data.get("web_page")),
            "partners": _strings(data.get("partners")),
            "region": _text(data.get("region")),
            "languages_assessment": _strings(data.get("languages_assessment")),
            "isced_name": _text(data.get("isced_name")),
            "keywords": _strings(data.get("keywords")),
            "level_not_applicable": bool(data.get("level_not_applicable")),
            "national_level": _text(data.get("national_level")),
            "qf_ehea_cycle": _text(data.get("qf_ehea_cycle")),
            "workload_hours": _integer(data.get("workload_hours")),
            "duration_weeks": _integer(data.get("duration_weeks")),
            "pacing": _text(data.get("pacing")),
            "outcomes": [_outcome(o) for o in data.get("outcomes") or []],
            "assessments": [_assessment(a) for a in data.get("assessments") or []],
            "prerequisites": [_prerequisite(p) for p in data.get("prerequisites") or []],
            "stackability": [_stackability(s) for s in data.get("stackability") or []],
            "recognition_arrangements": data.get("recognition_arrangements") or "",
            "internal_qa": data.get("internal_qa") or "",
            "target_audience": data.get("target_audience") or "",
            "cost": data.get("cost") or "",
            "grading_scheme": data.get("grading_scheme") or "",
            "issuance": _text(data.get("issuance")),
            "issuance_standards": _strings(data.get("issuance_standards")),
            "decision": {
                "outcome": decision.outcome.value,
                "decided_at": _timestamp(decision.decided_at),
                "valid_from": _iso(decision.valid_from),
                "valid_until": _iso(decision.valid_until),
                "conditions": [
                    {"text": c.text, "due_date": _iso(c.due_date), "state": c.state.value}
                    for c in decision.conditions
                ],
            },
            "ended_at": _timestamp(listing.ended_at),
            "ended_reason": listing.ended_reason or None,
            "report": None
            if report is None
            else {
                "url": external_url("reports.download", report_id=report.id),
                "verify": external_url("reports.verify", code=report.code),
                "sha256": report.sha256,
                "revision": report.revision,
            },
        }
    )
    body["links"].update(
        {
            "achievement": external_url("api.achievement", listing_id=listing.id),
            "ctdl": external_url("api.ctdl", listing_id=listing.id),
        }
    )
    return body


def _narrative(data: dict[str, Any]) -> str:
    lines = [
        "Learners who earn this microcredential have demonstrated these learning outcomes:",
        "",
    ]
    lines += [f"{i}. {o.get('statement')}" for i, o in enumerate(data.get("outcomes") or [], 1)]
    if data.get("assessments"):
        lines += ["", "They are assessed by:", ""]
        for a in data["assessments"]:
            method = (a.get("method") or "").replace("_", " ")
            lines.append(
                f"- {method} ({a.get('weight')} %): {a.get('description') or ''} "
                f"[{', '.join(a.get('outcomes') or [])}]".rstrip()
            )
    return "\n".join(lines)


def achievement(listing: Listing, qa_body_name: str) -> dict[str, Any]:
    """Open Badges 3.0 ``Achievement`` (achievementType MicroCredential)."""
    data = listing.public
    achievement_id = external_url("api.achievement", listing_id=listing.id)
    doc: dict[str, Any] = {
        "@context": OB3_CONTEXT,
        "id": achievement_id,
        "type": ["Achievement"],
        "achievementType": "MicroCredential",
        "name": listing.title,
        "description": data.get("summary") or data.get("description") or listing.title,
        "criteria": {
            "id": external_url("catalogue.detail", listing_id=listing.id),
            "narrative": _narrative(data),
        },
        "creator": {
            "id": external_url("api.organisation", org_id=listing.organisation_id),
            "type": ["Profile"],
            "name": listing.provider_name,
        },
        "humanCode": data.get("reference") or str(listing.id),
        "tag": data.get("keywords") or [],
        "otherIdentifier": [
            {
                "type": "IdentifierEntry",
                "identifier": external_url("catalogue.detail", listing_id=listing.id),
                "identifierType": "identifier",
            }
        ],
    }
    if data.get("ects"):
        doc["creditsAvailable"] = float(data["ects"])
    if data.get("isced_name"):
        doc["fieldOfStudy"] = data["isced_name"]
    languages = data.get("languages_instruction") or []
    if languages:
        doc["inLanguage"] = languages[0]
    alignments = []
    for o in data.get("outcomes") or []:
        if o.get("framework_url"):
            entry = {
                "type": ["Alignment"],
                "targetName": o.get("statement") or "",
                "targetUrl": o["framework_url"],
            }
            if o.get("framework_name"):
                entry["targetFramework"] = o["framework_name"]
            if o.get("framework_code"):
                entry["targetCode"] = o["framework_code"]
            alignments.append(entry)
    if alignments:
        doc["alignment"] = alignments
    return doc


def _ctid(listing_url: str) -> str:
    return f"ce-{uuid.uuid5(uuid.NAMESPACE_URL, listing_url)}"


def ctdl(listing: Listing, qa_body: dict[str, Any]) -> dict[str, Any]:
    """CTDL JSON-LD (``ceterms:MicroCredential``)."""
    data = listing.public
    url = external_url("catalogue.detail", listing_id=listing.id)
    lang = (data.get("languages_instruction") or ["en"])[0]

    def text(value: str) -> dict[str, str]:
        return {lang: value}

    provider = {
        "@type": "ceterms:CredentialOrganization",
        "ceterms:name": text(listing.provider_name),
        "ceterms:subjectWebpage": external_url(
            "catalogue.provider", org_id=listing.organisation_id
        ),
    }
    qa = {
        "@type": "ceterms:QACredentialOrganization",
        "ceterms:name": text(qa_body["name"]),
        "ceterms:subjectWebpage": qa_body["url"],
    }
    competencies = []
    for o in data.get("outcomes") or []:
        alignment = {
            "@type": "ceterms:CredentialAlignmentObject",
            "ceterms:targetNodeName": text(o.get("statement") or ""),
        }
        if o.get("framework_url"):
            alignment["ceterms:targetNode"] = o["framework_url"]
        if o.get("framework_code"):
            alignment["ceterms:codedNotation"] = o["framework_code"]
        if o.get("framework_name"):
            alignment["ceterms:frameworkName"] = text(o["framework_name"])
        competencies.append(alignment)
    requires: dict[str, Any] = {
        "@type": "ceterms:ConditionProfile",
        "ceterms:description": text("Demonstrate every learning outcome in the assessment."),
        "ceterms:targetCompetency": competencies,
    }
    if data.get("ects"):
        requires["ceterms:creditValue"] = [
            {
                "@type": "ceterms:ValueProfile",
                "schema:value": float(data["ects"]),
                "ceterms:creditUnitType": [
                    {
                        "@type": "ceterms:CredentialAlignmentObject",
                        "ceterms:targetNode": "creditUnit:ECTS",
                    }
                ],
            }
        ]
    doc: dict[str, Any] = {
        "@context": CTDL_CONTEXT,
        "@id": external_url("api.ctdl", listing_id=listing.id),
        "@type": "ceterms:MicroCredential",
        "ceterms:ctid": _ctid(url),
        "ceterms:name": text(listing.title),
        "ceterms:description": text(
            data.get("description") or data.get("summary") or listing.title
        ),
        "ceterms:subjectWebpage": data.get("web_page") or url,
        "ceterms:ownedBy": [provider],
        "ceterms:offeredBy": [provider],
        "ceterms:approvedBy": [qa],
        "ceterms:accreditedBy": [qa],
        "ceterms:requires": [requires],
        "ceterms:inLanguage": data.get("languages_instruction") or [lang],
        "ceterms:keyword": [text(k) for k in data.get("keywords") or []],
    }
    if data.get("duration_weeks"):
        doc["ceterms:estimatedDuration"] = [
            {
                "@type": "ceterms:DurationProfile",
                "ceterms:exactDuration": f"P{data['duration_weeks']}W",
            }
        ]
    if data.get("participation") in DELIVERY:
        doc["ceterms:learningDeliveryType"] = [
            {
                "@type": "ceterms:CredentialAlignmentObject",
                "ceterms:targetNode": DELIVERY[data["participation"]],
            }
        ]
    prerequisites = data.get("prerequisites") or []
    if prerequisites:
        doc["ceterms:recommends"] = [
            {
                "@type": "ceterms:ConditionProfile",
                "ceterms:description": text(
                    f"{(p.get('kind') or '').replace('_', ' ')}: "
                    f"{p.get('description') or ''}".strip(": ")
                ),
            }
            for p in prerequisites
        ]
    return doc


CSV_COLUMNS = (
    "id",
    "reference",
    "title",
    "provider",
    "country",
    "eqf_level",
    "isced_code",
    "ects",
    "workload_hours",
    "participation",
    "languages",
    "status",
    "valid_from",
    "valid_until",
    "url",
)


def neutralise(value: Any) -> Any:
    """Cells starting with = + - @ (or tab / carriage return) are not formulas in a sheet."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def csv_rows(listings, today: date):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    yield buffer.getvalue()
    for listing in listings:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(
            [
                neutralise(v)
                for v in (
                    listing.id,
                    listing.public.get("reference"),
                    listing.title,
                    listing.provider_name,
                    listing.country,
                    listing.eqf_level,
                    listing.isced_code,
                    listing.ects,
                    listing.workload_hours,
                    listing.participation,
                    listing.languages,
                    listing.public_status(today).value,
                    _iso(listing.valid_from),
                    _iso(listing.valid_until),
                    external_url("catalogue.detail", listing_id=listing.id),
                )
            ]
        )
        yield buffer.getvalue()


def atom_feed(listings: list[Listing], qa_body_name: str, today: date) -> str:
    """Atom feed of the newest approvals."""
    feed_url = external_url("catalogue.feed")
    updated = max((listing.published_at for listing in listings), default=datetime(2000, 1, 1))
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<feed xmlns="http://www.w3.org/2005/Atom">',
        f"<title>{escape(qa_body_name)}: newly approved microcredentials</title>",
        f'<link rel="self" href="{escape(feed_url)}"/>',
        f'<link rel="alternate" href="{escape(external_url("catalogue.index"))}"/>',
        f"<id>{escape(feed_url)}</id>",
        f"<updated>{updated.isoformat()}Z</updated>",
        f"<author><name>{escape(qa_body_name)}</name></author>",
    ]
    for listing in listings:
        url = external_url("catalogue.detail", listing_id=listing.id)
        status = listing.public_status(today)
        summary = (
            f"{listing.provider_name}. {listing.summary} "
            f"Approved until {listing.valid_until:%d %B %Y}"
            f"{' (conditions open)' if status == PublicStatus.CONDITIONS_OPEN else ''}."
        )
        parts += [
            "<entry>",
            f"<title>{escape(listing.title)}</title>",
            f'<link rel="alternate" href="{escape(url)}"/>',
            f"<id>{escape(url)}</id>",
            f"<published>{listing.published_at.isoformat()}Z</published>",
            f"<updated>{listing.updated_at.isoformat()}Z</updated>",
            f"<summary>{escape(summary)}</summary>",
            "</entry>",
        ]
    parts.append("</feed>")
    return "\n".join(parts)
