"""The decision's machine-readable record, embedded in every report as ``decision-record.json``.

Built from the report's own content (``reports.data.build``), so it says nothing the printed
report does not: in the public variant no reviewer, officer or committee member is named;
the internal variant adds only the name of the officer who decided. Dates are ISO 8601;
the outcome is given as its code (``approved_with_conditions``) and as its label.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any
from urllib.parse import urljoin

from flask import current_app

from qa_portal.core.pdf import PdfAttachment
from qa_portal.core.urls import DEV_BASE_URL
from qa_portal.reports.models import Report

NAME = "decision-record.json"
DESCRIPTION = "The review decision as data: outcome, validity, conditions and their states"
SCHEMA = "qa-portal/decision-record/1"


def build(
    report: Report, content: dict[str, Any], listing_url: str | None = None
) -> dict[str, Any]:
    """The record of ``report`` (plain data) from its ``content``; ``listing_url``: the
    catalogue page of its microcredential when it is listed."""
    printed, dossier, decision = content["report"], content["dossier"], content["decision"]
    follow_up = content.get("follow_up") or {}
    body = content.get("deciding_body") or {}
    return {
        "schema": SCHEMA,
        "report": {
            "number": printed["number"],
            "code": printed["code"],
            "uuid": printed["uuid"],
            "variant": report.variant.value,
            "revision": printed["revision"],
            "issued": content["publication"]["date"],
            "language": content["publication"]["language"],
            "verify_url": printed["verify_url"],
        },
        "qa_body": {k: content["qa_body"][k] for k in ("name", "country", "website")},
        "dossier": {
            "reference": dossier["reference"],
            "title": dossier["title"],
            "provider": dossier["provider"],
            "round": dossier["round"],
            "version": dossier["version"],
            "version_sha256": dossier["version_sha256"],
        },
        "decision": {
            "outcome": decision["outcome_code"],
            "outcome_label": decision["outcome"],
            "approved": decision["approved"],
            "date": decision["date"],
            "valid_from": decision["valid_from"],
            "valid_until": decision["valid_until"],
            "appeal_deadline": decision["appeal_deadline"],
            "superseded": decision["superseded"],
            "withdrawn": follow_up.get("withdrawn"),
            "decided_by": decision["decided_by"],  # None in the public variant
        },
        "deciding_body": {k: body.get(k) for k in ("name", "kind", "meeting_date")},
        "conditions": [
            {
                "position": c["position"],
                "text": c["text"],
                "due": c["due"],
                "state": c["state"],
                "verified": c.get("verified_at"),
            }
            for c in follow_up.get("conditions", content["conditions"])
        ],
        "conditions_as_of": follow_up.get("as_of"),
        "listing_url": listing_url,
    }


def _json_value(value: Any) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON data")


def absolute(path: str) -> str:
    """A site path as an absolute link (``PUBLIC_BASE_URL``, as every link the portal
    prints)."""
    base = current_app.config.get("PUBLIC_BASE_URL") or DEV_BASE_URL
    return urljoin(base.rstrip("/") + "/", path)


def attachment(
    report: Report, content: dict[str, Any], listing: dict[str, Any] | None = None
) -> PdfAttachment:
    """The record as the PDF attachment (UTF-8 JSON, keys sorted); ``listing``: the
    catalogue's answer for the report (``operations.listing_record``), if listed."""
    url = absolute(listing["url"]) if listing and listing.get("url") else None
    data = json.dumps(
        build(report, content, url),
        default=_json_value,
        ensure_ascii=False,
        indent=2,
        sort_keys=True,
    )
    return PdfAttachment(
        name=NAME,
        data=data.encode("utf-8"),
        description=DESCRIPTION,
        relationship="Data",
        modified=report.requested_at,
    )
