"""Machine-readable exports of listings: JSON API objects, Open Badges 3.0 ``Achievement``,
CTDL JSON-LD, CSV and Atom. Everything is built from the listing's public (allowlisted)
data only.

**Open Badges 3.0.** One ``Achievement`` per listing (achievementType ``MicroCredential``),
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
the microcredential and until when. The endorsement carries no ``proof``: the portal holds
no signing key, and a proof is optional in the schema (an unsigned endorsement is still a
valid object). Its ``id`` is the decision on the public catalogue page, where anyone can
check the claim, and verify the public report's PDF. The endorsement is left out once
the provider withdraws the listing or the QA body revokes it: the QA body no longer
vouches for it.

**CTDL.** A ``ceterms:MicroCredential`` that uses only classes and properties of the 2021
CTDL schema graph (``tests/data/schemas/ctdl/CTDL.json``), each on a class in its
``schema:domainIncludes`` and with objects of a class in its ``schema:rangeIncludes``
(the test walks the whole document). Consequences: ECTS credits are a
``ceterms:ValueProfile`` with ``schema:value`` (both in that graph) and the unit is said
in words by ``ceterms:creditUnitTypeDescription``, because ``ceterms:creditUnitType``
expects a ``skos:Concept`` from a concept scheme the graph does not hold; language-tagged
texts use language maps (several keywords are one map holding a list). The prerequisites
are entry requirements, so they form a second ``ceterms:requires`` ConditionProfile (each
one a ``ceterms:condition``).

**CSV** cells are neutralised against formula injection; the **Atom** feed lists the newest
approvals and drops characters that XML 1.0 cannot carry.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import date, datetime
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from qa_portal.accounts import queries as accounts_queries
from qa_portal.catalogue.models import Listing, ListingState, PublicStatus
from qa_portal.core import clock
from qa_portal.core.urls import external_url
from qa_portal.reports.models import ReportVariant
from qa_portal.reports.operations import latest_ready

OB3_CONTEXT = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]
CTDL_CONTEXT = "https://credreg.net/ctdl/schema/context/json"
DELIVERY = {
    "online": ("deliveryType:OnlineOnly", "Online Only"),
    "in_person": ("deliveryType:InPerson", "In Person Only"),
    "blended": ("deliveryType:BlendedDelivery", "Blended Delivery"),
}
ISCED_F = "https://uis.unesco.org/en/topic/international-standard-classification-education-isced"


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


def _web(url: str | None) -> str:
    """``url`` if it is a web address (http or https), else "" (never ``javascript:``…)."""
    url = (url or "").strip()
    return url if url.lower().startswith(("https://", "http://")) else ""


def _today() -> date:
    return clock.today()


def _zulu(value: datetime) -> str:
    """A stored (naive UTC) time as an RFC 3339 timestamp with its zone."""
    return value.replace(microsecond=0).isoformat() + "Z"


def listing_summary(listing: Listing, today: date) -> dict[str, Any]:
    """The listing as one item of a result list (allowlisted public fields)."""
    return {
        "id": listing.id,
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


# -- Open Badges 3.0 ----------------------------------------------------------------------
def _qa_profile(qa_body: dict[str, Any] | str | None) -> dict[str, Any]:
    """The QA body as an OB 3.0 ``Profile`` (name and web address)."""
    if not isinstance(qa_body, dict):
        body = accounts_queries.qa_body()
        qa_body = {
            "name": qa_body or (body.name if body else "QA Portal"),
            "url": (body.website if body and body.website else external_url("cases.index")),
        }
    return {
        "id": qa_body["url"],
        "type": ["Profile"],
        "name": qa_body["name"],
        "url": qa_body["url"],
    }


def _outcome_lines(data: dict[str, Any]) -> list[str]:
    return [f"{i}. {o.get('statement') or ''}" for i, o in enumerate(data.get("outcomes") or [], 1)]


def _narrative(data: dict[str, Any]) -> str:
    """Markdown: the outcomes to demonstrate and the assessment that checks them."""
    lines = [
        "Learners who earn this microcredential have demonstrated these learning outcomes:",
        "",
        *_outcome_lines(data),
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
        code, url = (o.get("framework_code") or "").strip(), _web(o.get("framework_url"))
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
        lines += [
            f"- {c.text} (due {c.due_date:%d %B %Y}): {c.state.label.lower()}"
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


def _endorsement(listing: Listing, achievement_id: str, qa_profile: dict, report=None) -> dict:
    """The QA decision as an (unsigned) ``EndorsementCredential`` from the QA body."""
    decision = listing.decision
    page = external_url("catalogue.detail", listing_id=listing.id)
    return {
        "@context": OB3_CONTEXT,
        "id": f"{page}#decision-{decision.id}",
        "type": ["VerifiableCredential", "EndorsementCredential"],
        "name": f"{decision.outcome.label} by {qa_profile['name']}: {listing.title}",
        "issuer": qa_profile,
        "validFrom": _zulu(decision.decided_at),
        "validUntil": f"{listing.valid_until.isoformat()}T23:59:59Z",
        "credentialSubject": {
            "id": achievement_id,
            "type": ["EndorsementSubject"],
            "endorsementComment": _endorsement_comment(listing, qa_profile["name"], report),
        },
    }


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
    if _web(listing.organisation.website):
        creator["url"] = _web(listing.organisation.website)
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
        doc["endorsement"] = [_endorsement(listing, achievement_id, _qa_profile(qa_body), report)]
    return doc


# -- CTDL ---------------------------------------------------------------------------------
def ctid_of(listing: Listing) -> str:
    """A stable Credential Transparency Identifier (``ce-`` + a UUID) for the listing."""
    url = external_url("catalogue.detail", listing_id=listing.id)
    return f"ce-{uuid.uuid5(uuid.NAMESPACE_URL, url)}"


def _prerequisite_text(p: dict[str, Any]) -> str:
    kind = (p.get("kind") or "").replace("_", " ").capitalize()
    text = f"{kind}: {p.get('description') or ''}".strip(": ")
    if p.get("related_reference"):
        text += f" (builds on {p['related_reference']})"
    return text


def ctdl(listing: Listing, qa_body: dict[str, Any], today: date | None = None) -> dict[str, Any]:
    """CTDL JSON-LD: a ``ceterms:MicroCredential`` (terms of the 2021 CTDL graph only)."""
    data = listing.public
    url = external_url("catalogue.detail", listing_id=listing.id)
    languages = list(data.get("languages_instruction") or [])
    lang = languages[0] if languages else "en"

    def text(value: str) -> dict[str, str]:
        return {lang: value}

    provider = {
        "@type": "ceterms:CredentialOrganization",
        "ceterms:name": text(listing.provider_name),
        "ceterms:subjectWebpage": _web(listing.organisation.website)
        or external_url("catalogue.provider", org_id=listing.organisation_id),
    }
    competencies = []
    for o in data.get("outcomes") or []:
        alignment: dict[str, Any] = {
            "@type": "ceterms:CredentialAlignmentObject",
            "ceterms:targetNodeName": text(o.get("statement") or ""),
        }
        if _web(o.get("framework_url")):
            alignment["ceterms:targetNode"] = _web(o["framework_url"])
        if o.get("framework_code"):
            alignment["ceterms:codedNotation"] = o["framework_code"]
        if o.get("framework_name"):
            alignment["ceterms:frameworkName"] = text(o["framework_name"])
        competencies.append(alignment)
    outcomes_condition: dict[str, Any] = {
        "@type": "ceterms:ConditionProfile",
        "ceterms:name": text("Learning outcomes"),
        "ceterms:description": text(
            "Demonstrate every learning outcome in the assessment.\n\n"
            + "\n".join(_outcome_lines(data))
        ),
        "ceterms:targetCompetency": competencies,
    }
    if data.get("ects"):
        outcomes_condition["ceterms:creditValue"] = [
            {"@type": "ceterms:ValueProfile", "schema:value": float(data["ects"])}
        ]
        outcomes_condition["ceterms:creditUnitTypeDescription"] = text(
            "ECTS credits (European Credit Transfer and Accumulation System)"
        )
    doc: dict[str, Any] = {
        "@context": CTDL_CONTEXT,
        "@id": external_url("api.ctdl", listing_id=listing.id),
        "@type": "ceterms:MicroCredential",
        "ceterms:ctid": ctid_of(listing),
        "ceterms:name": text(listing.title),
        "ceterms:description": text(
            data.get("description") or data.get("summary") or listing.title
        ),
        "ceterms:subjectWebpage": _web(data.get("web_page")) or url,
        "ceterms:ownedBy": [provider],
        "ceterms:offeredBy": [provider],
        "ceterms:requires": [outcomes_condition],
    }
    if listing.public_status(today or _today()) in (
        PublicStatus.VALID,
        PublicStatus.CONDITIONS_OPEN,
    ):
        qa = {
            "@type": "ceterms:QACredentialOrganization",
            "ceterms:name": text(qa_body["name"]),
            "ceterms:subjectWebpage": qa_body["url"],
        }
        doc["ceterms:approvedBy"] = [qa]
        doc["ceterms:accreditedBy"] = [qa]
    prerequisites = data.get("prerequisites") or []
    if prerequisites:
        doc["ceterms:requires"].append(
            {
                "@type": "ceterms:ConditionProfile",
                "ceterms:name": text("Entry requirements"),
                "ceterms:condition": {lang: [_prerequisite_text(p) for p in prerequisites]},
            }
        )
    if languages:
        doc["ceterms:inLanguage"] = languages
    if data.get("keywords"):
        doc["ceterms:keyword"] = {lang: list(data["keywords"])}
    if data.get("duration_weeks") or data.get("workload_hours"):
        duration: dict[str, Any] = {"@type": "ceterms:DurationProfile"}
        if data.get("duration_weeks"):
            duration["ceterms:exactDuration"] = f"P{int(data['duration_weeks'])}W"
        if data.get("workload_hours"):
            duration["ceterms:description"] = text(
                f"{data['workload_hours']} hours of notional learning"
            )
        doc["ceterms:estimatedDuration"] = [duration]
    if data.get("participation") in DELIVERY:
        node, name = DELIVERY[data["participation"]]
        doc["ceterms:learningDeliveryType"] = [
            {
                "@type": "ceterms:CredentialAlignmentObject",
                "ceterms:targetNode": node,
                "ceterms:frameworkName": text("Delivery Type"),
                "ceterms:targetNodeName": text(name),
            }
        ]
    if data.get("isced_code"):
        doc["ceterms:instructionalProgramType"] = [
            {
                "@type": "ceterms:CredentialAlignmentObject",
                "ceterms:framework": ISCED_F,
                "ceterms:frameworkName": text("ISCED Fields of Education and Training 2013"),
                "ceterms:codedNotation": data["isced_code"],
                "ceterms:targetNodeName": text(data.get("isced_name") or data["isced_code"]),
            }
        ]
    return doc


# -- CSV ----------------------------------------------------------------------------------
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
    "keywords",
    "status",
    "valid_from",
    "valid_until",
    "url",
)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """A text cell that a spreadsheet would read as a formula (it starts with ``=``, ``+``,
    ``-``, ``@``, a tab or a carriage return, also after spaces) gets a leading apostrophe,
    so it is shown as text and never run. Numbers are left alone."""
    if isinstance(value, str) and value.lstrip(" ")[:1] in FORMULA_START and value:
        return "'" + value
    return value


def csv_rows(listings, today: date):
    """The CSV document, row by row (a UTF-8 byte-order mark first, so spreadsheets read the
    accents right)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    yield "\ufeff" + buffer.getvalue()
    for listing in listings:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(
            [
                neutralise(v)
                for v in (
                    listing.id,
                    listing.reference,
                    listing.title,
                    listing.provider_name,
                    listing.country,
                    listing.eqf_level,
                    listing.isced_code,
                    None if listing.ects is None else f"{float(listing.ects):g}",
                    listing.workload_hours,
                    listing.participation,
                    listing.languages,
                    listing.keywords_text,
                    listing.public_status(today).value,
                    _iso(listing.valid_from),
                    _iso(listing.valid_until),
                    external_url("catalogue.detail", listing_id=listing.id),
                )
            ]
        )
        yield buffer.getvalue()


# -- Atom ---------------------------------------------------------------------------------
# Characters XML 1.0 cannot carry at all (not even escaped): most C0 controls and the
# non-characters; a title pasted with one of them must not break the whole feed.
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml(value: str) -> str:
    return escape(_NOT_XML.sub("", value or ""))


def atom_feed(listings: list[Listing], qa_body_name: str, today: date) -> str:
    """Atom 1.0 feed of the newest approvals (``listings`` newest first). One entry per
    approval: a renewal published on the same listing is a new entry."""
    feed_url = external_url("catalogue.feed")
    updated = max((listing.updated_at for listing in listings), default=datetime(2000, 1, 1))
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">',
        f"<title>{_xml(qa_body_name)}: newly approved microcredentials</title>",
        f'<link rel="self" type="application/atom+xml" href={quoteattr(feed_url)}/>',
        f'<link rel="alternate" type="text/html" '
        f"href={quoteattr(external_url('catalogue.index'))}/>",
        f"<id>{_xml(feed_url)}</id>",
        f"<updated>{_zulu(updated)}</updated>",
        f"<author><name>{_xml(qa_body_name)}</name></author>",
    ]
    for listing in listings:
        url = external_url("catalogue.detail", listing_id=listing.id)
        decision = listing.decision
        status = listing.public_status(today)
        summary = (
            f"{listing.provider_name}: {decision.outcome.label.lower()} on "
            f"{decision.decided_at:%d %B %Y}, valid until {listing.valid_until:%d %B %Y}"
            f"{' (conditions open)' if status == PublicStatus.CONDITIONS_OPEN else ''}. "
            f"{listing.summary}"
        ).strip()
        parts += [
            "<entry>",
            f"<title>{_xml(listing.title)}</title>",
            f'<link rel="alternate" type="text/html" href={quoteattr(url)}/>',
            f"<id>{_xml(url)}#decision-{decision.id}</id>",
            f"<published>{_zulu(decision.decided_at)}</published>",
            f"<updated>{_zulu(listing.updated_at)}</updated>",
            f"<author><name>{_xml(listing.provider_name)}</name></author>",
            f"<summary>{_xml(summary)}</summary>",
            "</entry>",
        ]
    parts.append("</feed>")
    return "\n".join(parts)
