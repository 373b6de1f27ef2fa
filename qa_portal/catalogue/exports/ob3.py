"""Open Badges 3.0: one ``Achievement`` per listing (achievementType ``MicroCredential``),
valid against ``#/$defs/Achievement`` of the official 1EdTech JSON Schema. Its criteria
narrative lists the learning outcomes and how each assessment component checks them;
every outcome tied to a framework item (a code or a URL, e.g. an ESCO skill) becomes an
``Alignment`` (an item without a URL points at the outcome on the listing's page, because
``targetUrl`` is required); ``creditsAvailable`` carries the ECTS credits (absent when the
dossier gives none); ``inLanguage`` the first language of instruction (the schema allows
one).

The QA decision travels as an embedded ``endorsement``: an ``EndorsementCredential`` issued
by the QA body about the Achievement, with the decision date as ``validFrom``, the end of
the approval as ``validUntil`` and the outcome, conditions and public report in its
``endorsementComment``. We chose it over ``related`` (which links *the same* achievement
in another language or version) and ``otherIdentifier`` (identifiers only) because an
endorsement is exactly the OB 3.0 construct for "a third party vouches for this
achievement, from this date until that date", so a wallet or registry shows who approved
the microcredential and until when. Its ``id`` is the decision on the public catalogue page.

The endorsement is a verifiable credential (VC Data Model 2.0): its issuer is a ``Profile``
whose ``id`` is the QA body's DID (``did:web``, whose DID document lists the keys), it
carries a ``credentialStatus`` (the listing's bit in the revocation list,
``catalogue/status_list.py``) and an ``eddsa-rdfc-2022`` Data Integrity proof
(``core/data_integrity.py``), so a badge platform can check it without asking the portal
(``GET /api/v1/listings/<id>/endorsement`` serves it alone). Without a credential key
(``flask keys create`` not run), the Achievement still embeds the endorsement, unsigned.

The endorsement is left out of the current Achievement once the provider withdraws the
listing or the QA body revokes it: the QA body no longer vouches for it. Copies already in
the wild (embedded in learners' badges) are answered by the status list, whose bit for the
listing is then set (also on expiry and on a condition not met or overdue).
"""

from __future__ import annotations

import uuid
from typing import Any

from qa_portal.accounts import queries as accounts_queries
from qa_portal.catalogue.exports.common import outcome_lines, web, zulu
from qa_portal.catalogue.exports.ctdl import ctid_of
from qa_portal.catalogue.models import Listing, ListingState
from qa_portal.catalogue.status_list import status_entry
from qa_portal.core import clock, data_integrity, keys
from qa_portal.core.urls import external_url
from qa_portal.reports.models import ReportVariant
from qa_portal.reports.operations import latest_ready

OB3_CONTEXT = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]


def _qa_profile(qa_body: dict[str, Any] | str | None) -> dict[str, Any]:
    """The QA body as an OB 3.0 ``Profile``: its DID (the credentials' issuer), name and web
    address."""
    if not isinstance(qa_body, dict):
        body = accounts_queries.qa_body()
        qa_body = {
            "name": qa_body or (body.name if body else "QA Portal"),
            "url": (body.website if body and body.website else external_url("cases.index")),
        }
    return {
        "id": keys.issuer_did(),
        "type": ["Profile"],
        "name": qa_body["name"],
        "url": qa_body["url"],
    }


def _narrative(data: dict[str, Any]) -> str:
    """Markdown: the outcomes to demonstrate and the assessment that checks them."""
    lines = [
        "Learners who earn this microcredential have demonstrated these learning outcomes:",
        "",
        *outcome_lines(data),
    ]
    if data.get("assessments"):
        lines += ["", "They are assessed by:", ""]
        for a in data["assessments"]:
            method = (a.get("method") or "").replace("_", " ").capitalize()
            parts = [f"- {method} ({a.get('weight')} % of the result"]
            if a.get("supervision"):
                parts[0] += f", {a['supervision'].replace('_', ' ')}"
            parts[0] += ")"
            if a.get("description"):
                parts.append(f": {a['description']}")
            if a.get("outcomes"):
                parts.append(f" Assesses {', '.join(a['outcomes'])}.")
            if a.get("pass_criteria"):
                parts.append(f" To pass: {a['pass_criteria']}")
            lines.append("".join(parts))
    if data.get("workload_hours") or data.get("ects"):
        load = (
            [f"{data['workload_hours']} hours of notional learning"]
            if data.get("workload_hours")
            else []
        )
        if data.get("ects"):
            load.append(f"{float(data['ects']):g} ECTS credits")
        lines += ["", f"Workload: {', '.join(load)}."]
    return "\n".join(lines)


def _alignments(listing: Listing, data: dict[str, Any]) -> list[dict[str, Any]]:
    """An ``Alignment`` for every outcome tied to a framework item (a code or a URL)."""
    page = external_url("catalogue.detail", listing_id=listing.id)
    alignments = []
    for o in data.get("outcomes") or []:
        code, url = (o.get("framework_code") or "").strip(), web(o.get("framework_url"))
        if not code and not url:
            continue
        framework = (o.get("framework_name") or "").strip()
        entry: dict[str, Any] = {
            "type": ["Alignment"],
            "targetName": " ".join(p for p in (framework, code) if p) or url,
            "targetDescription": f"{o['id']}: {o.get('statement') or ''}",
            "targetUrl": url or f"{page}#{o['id']}",
        }
        if framework:
            entry["targetFramework"] = framework
        if code:
            entry["targetCode"] = code
        alignments.append(entry)
    return alignments


def _endorsement_comment(listing: Listing, qa_name: str, report=None) -> str:
    decision = listing.decision
    lines = [
        f"{qa_name} approved this microcredential on {decision.decided_at:%d %B %Y} after an "
        f"external quality-assurance review (decision: {decision.outcome.label}). The approval "
        f"is valid from {listing.valid_from:%d %B %Y} until {listing.valid_until:%d %B %Y}.",
    ]
    if decision.conditions:
        lines += ["", "Conditions:", ""]
        today = clock.today()
        lines += [
            f"- {c.text} (due {c.due_date:%d %B %Y}): "
            f"{'overdue' if c.is_overdue(today) else c.state.label.lower()}"
            for c in decision.conditions
        ]
    if report is not None:
        lines += [
            "",
            "Public review report: "
            + external_url("reports.download", report_id=report.id)
            + " (verify it at "
            + external_url("reports.verify", code=report.code)
            + ").",
        ]
    return "\n".join(lines)


def endorsement_id(listing: Listing) -> str:
    """The endorsement's permanent id: a name-based UUID of the listing's stored UUID and the
    decision, the same under any address (a renewal's decision is a new endorsement)."""
    return f"urn:uuid:{uuid.uuid5(listing.uuid, f'decision/{listing.decision_id}')}"


def _endorsement(listing: Listing, achievement_id: str, qa_profile: dict, report=None) -> dict:
    """The QA decision as an unsigned ``EndorsementCredential`` from the QA body."""
    decision = listing.decision
    credential: dict[str, Any] = {
        "@context": OB3_CONTEXT,
        "id": endorsement_id(listing),
        "type": ["VerifiableCredential", "EndorsementCredential"],
        "name": f"{decision.outcome.label} by {qa_profile['name']}: {listing.title}",
        "issuer": qa_profile,
        "validFrom": zulu(decision.decided_at),
        "validUntil": f"{listing.valid_until.isoformat()}T23:59:59Z",
        "credentialSubject": {
            "id": achievement_id,
            "type": ["EndorsementSubject"],
            "endorsementComment": _endorsement_comment(listing, qa_profile["name"], report),
        },
    }
    status = status_entry(listing)
    if status is not None:
        credential["credentialStatus"] = status
    return credential


def endorsement(listing: Listing, qa_body: dict | str | None = None, report=None) -> dict:
    """The listing's QA endorsement, signed with the QA body's current credential key
    (``keys.SigningKeysMissing``, 409, when there is none)."""
    if report is None:
        report = latest_ready(listing.decision, ReportVariant.PUBLIC)
    achievement_id = external_url("api.achievement", listing_id=listing.id)
    credential = _endorsement(listing, achievement_id, _qa_profile(qa_body), report)
    key = keys.current_credential_key()
    # No ``created``: the endorsement is made from the listing when asked, and the same
    # statement must give the same bytes under any address and at any time.
    signed = data_integrity.sign(credential, key.private_key, key.verification_method, None)
    signed["proof"] = [signed["proof"]]  # OB 3.0's schema wants a list (of one proof here)
    return signed


def achievement(listing: Listing, qa_body: dict | str | None = None, report=None) -> dict:
    """Open Badges 3.0 ``Achievement`` (achievementType ``MicroCredential``) of a listing.

    ``qa_body`` is the QA body's name, or a dict with its ``name`` and ``url``; ``report`` the
    public report to link from the endorsement (by default the latest rendered one).
    """
    if report is None:
        report = latest_ready(listing.decision, ReportVariant.PUBLIC)
    data = listing.public
    achievement_id = external_url("api.achievement", listing_id=listing.id)
    page = external_url("catalogue.detail", listing_id=listing.id)
    creator: dict[str, Any] = {
        "id": external_url("api.organisation", org_id=listing.organisation_id),
        "type": ["Profile"],
        "name": listing.provider_name,
    }
    if web(listing.organisation.website):
        creator["url"] = web(listing.organisation.website)
    doc: dict[str, Any] = {
        "@context": OB3_CONTEXT,
        "id": achievement_id,
        "type": ["Achievement"],
        "achievementType": "MicroCredential",
        "name": listing.title,
        "description": data.get("summary") or data.get("description") or listing.title,
        "criteria": {"id": page, "narrative": _narrative(data)},
        "creator": creator,
        "humanCode": data.get("reference") or str(listing.id),
        "otherIdentifier": [
            {"type": "IdentifierEntry", "identifier": page, "identifierType": "identifier"},
            {
                "type": "IdentifierEntry",
                "identifier": ctid_of(listing),
                "identifierType": "ext:ctid",
            },
        ],
    }
    if data.get("keywords"):
        doc["tag"] = list(data["keywords"])
    if data.get("ects"):
        doc["creditsAvailable"] = float(data["ects"])
    if data.get("isced_name"):
        doc["fieldOfStudy"] = data["isced_name"]
    languages = data.get("languages_instruction") or []
    if languages:
        doc["inLanguage"] = languages[0]
    alignments = _alignments(listing, data)
    if alignments:
        doc["alignment"] = alignments
    if listing.state == ListingState.VALID:
        try:
            credential = endorsement(listing, qa_body, report)
        except keys.SigningKeysMissing:
            credential = _endorsement(listing, achievement_id, _qa_profile(qa_body), report)
        doc["endorsement"] = [credential]
    return doc
