"""The JSON API's objects for a listing: one item of a result list, and the whole public
record (its decision, conditions and report).

Each nested object is built key by key from the public data: a field added to the dossier
never reaches the API by accident."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from qa_portal.catalogue.exports.common import iso
from qa_portal.catalogue.models import Listing
from qa_portal.core.urls import external_url


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
        "ctid": listing.ctid,
        "reference": listing.reference,
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
        "valid_from": iso(listing.valid_from),
        "valid_until": iso(listing.valid_until),
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
                "valid_from": iso(decision.valid_from),
                "valid_until": iso(decision.valid_until),
                "conditions": [
                    {
                        "text": c.text,
                        "due_date": iso(c.due_date),
                        "state": c.state.value,
                        "overdue": c.is_overdue(today),
                    }
                    for c in decision.conditions
                ],
                "follow_up": listing.follow_up_note(today) or None,
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
                "uuid": str(report.uuid),
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
