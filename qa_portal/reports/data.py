"""Everything a report says, as plain data (dicts and lists) built from one decision.

The public variant is anonymised ("Reviewer 1": no score or comment is attributed to a
name) and leaves out confidential comments and the names of QA staff; the internal variant
adds them. Neither carries the completeness check's warnings: they are the QA body's
working notes on the dossier, not findings of the review. Templates receive only this data.
"""

from __future__ import annotations

import re
from typing import Any

import segno

from qa_portal.accounts.queries import qa_body
from qa_portal.core.templating import country_name, language_name
from qa_portal.core.urls import external_url
from qa_portal.decisions import committee, factual_accuracy, follow_up
from qa_portal.decisions.models import Decision, Outcome
from qa_portal.dossiers import isced
from qa_portal.dossiers.diff import diff_snapshots
from qa_portal.dossiers.models import ISSUANCE_STANDARDS, label_of
from qa_portal.extensions import db
from qa_portal.reports.charts import score_chart
from qa_portal.reports.models import Report, ReportVariant
from qa_portal.reviews import aliases, findings, methodology, moderation, panel_rules, site_visits
from qa_portal.reviews.models import ReviewAssignment, ReviewRound


def acronym(name: str) -> str:
    words = [
        w
        for w in re.findall(r"[A-Za-z]+", name)
        if w.lower() not in {"of", "for", "the", "and", "de", "des", "du", "la", "le", "für", "und"}
    ]
    return "".join(w[0].upper() for w in words)[:6] or "QA"


def _country(code: str | None) -> str:
    return country_name(code) if code else ""


def _languages(codes: list[str]) -> str:
    return ", ".join(language_name(c) for c in codes)


def eu_elements(d: dict[str, Any]) -> list[tuple[str, str]]:
    """The standard elements of Annex I of Council Recommendation 2022/C 243/02."""
    level = (
        "Not applicable"
        if d.get("level_not_applicable")
        else (f"EQF level {d['eqf_level']}" if d.get("eqf_level") else "")
    )
    if d.get("national_level"):
        level += f"; national framework: {d['national_level']}"
    if d.get("qf_ehea_cycle"):
        level += f"; QF-EHEA {label_of(d['qf_ehea_cycle']).lower()} cycle"
    workload = f"{d['workload_hours']} hours" if d.get("workload_hours") else ""
    if d.get("ects"):
        workload += f" ({d['ects']:g} ECTS)"
    if d.get("duration_weeks"):
        workload += f", {d['duration_weeks']} weeks"
    methods = sorted(
        {label_of(a.get("method")) for a in d.get("assessments", []) if a.get("method")}
    )
    supervision = sorted(
        {label_of(a.get("supervision")) for a in d.get("assessments", []) if a.get("supervision")}
    )
    participation = label_of(d.get("participation"))
    if d.get("pacing"):
        participation += f", {label_of(d['pacing']).lower()}"
    return [
        ("Title of the micro-credential", d.get("title", "")),
        (
            "Country / region of the issuer",
            ", ".join(p for p in (_country(d.get("country")), d.get("region")) if p),
        ),
        ("Awarding body", d.get("awarding_body", {}).get("name", "")),
        ("Learning outcomes", f"{len(d.get('outcomes', []))} outcome(s); see section 3"),
        ("Notional workload", workload),
        ("Level (and cycle)", level),
        ("Type of assessment", ", ".join(methods)),
        ("Form of participation", participation),
        ("Type of quality assurance", d.get("internal_qa", "")),
        (
            "Prerequisites",
            "; ".join(_prerequisite(p) for p in d.get("prerequisites", [])) or "None",
        ),
        ("Supervision and identity verification", ", ".join(supervision)),
        (
            "Integration / stackability",
            "; ".join(_stackability(s) for s in d.get("stackability", []))
            or d.get("recognition_arrangements", ""),
        ),
        ("Languages", _languages(d.get("languages_instruction", []))),
        (
            "Field of study",
            f"{d.get('isced_code', '')} {isced.name_of(d.get('isced_code'))}".strip(),
        ),
    ]


def _prerequisite(p: dict[str, Any]) -> str:
    text = ": ".join(part for part in (label_of(p.get("kind")), p.get("description", "")) if part)
    if p.get("related_reference"):
        text += f" (see {p['related_reference']})"
    return text


def _stackability(s: dict[str, Any]) -> str:
    text = s.get("qualification") or ""
    if s.get("awarding_body"):
        text += f" ({s['awarding_body']})"
    if s.get("credits"):
        text += f", {s['credits']:g} ECTS recognised"
    return text


def further_information(d: dict[str, Any]) -> list[tuple[str, str]]:
    """The other elements the provider submitted, as (label, text); empty ones left out."""
    issuance = label_of(d.get("issuance"))
    standards = [ISSUANCE_STANDARDS.get(s, s) for s in d.get("issuance_standards") or []]
    if standards:
        issuance = f"{issuance} ({', '.join(standards)})" if issuance else ", ".join(standards)
    rows = [
        ("Summary", d.get("summary")),
        ("Description", d.get("description")),
        ("Programme web page", d.get("web_page")),
        ("Partner organisations", "; ".join(d.get("partners") or [])),
        ("Language(s) of assessment", _languages(d.get("languages_assessment") or [])),
        ("Keywords", ", ".join(d.get("keywords") or [])),
        ("Credit transfer and recognition", d.get("recognition_arrangements")),
        ("External decision requested", label_of(d.get("external_decision"))),
        ("Earlier external reviews", d.get("earlier_reviews")),
        ("Target audience", d.get("target_audience")),
        ("Cost", d.get("cost")),
        ("Grading scheme", d.get("grading_scheme")),
        ("Issuance of the credential", issuance),
    ]
    return [(label, value) for label, value in rows if value]


def _round_history(decision: Decision) -> list[dict[str, Any]]:
    dossier = decision.dossier
    history = []
    for round_ in dossier.rounds:
        if round_.number > decision.round.number:
            break
        decided = [d for d in _decisions(dossier) if d.round_id == round_.id]
        history.append(
            {
                "number": round_.number,
                "version": round_.version.number,
                "submitted": round_.version.created_at,
                "opened": round_.opened_at,
                "closed": round_.closed_at,
                "decisions": [
                    {
                        "outcome": d.outcome.label,
                        "date": d.decided_at,
                        "superseded": d.superseded_at is not None,
                    }
                    for d in decided
                ],
            }
        )
    return history


def _decisions(dossier) -> list[Decision]:
    return list(
        db.session.execute(
            db.select(Decision)
            .where(Decision.dossier_id == dossier.id)
            .order_by(Decision.decided_at, Decision.id)
        ).scalars()
    )


def _qa_body_section() -> dict[str, Any]:
    """The agency: its name, and the address and contact it publishes (ESG 2.6)."""
    body = qa_body()
    body_name = body.name if body else "QA Portal"
    texts = methodology.texts()
    return {
        "name": body_name,
        "acronym": acronym(body_name),
        "country": _country(body.country) if body else "",
        "address": texts["address"].body,
        "email": texts["email"].body,
        "phone": texts["phone"].body,
        "website": (body.website if body else "") or "",
    }


REPORT_LANGUAGE = "English"


def _publication_section(report: Report) -> dict[str, Any]:
    """When this revision was issued (requested: it is rendered right after) and in which
    language."""
    return {"date": report.requested_at, "language": REPORT_LANGUAGE}


def _appeal_section(decision: Decision) -> dict[str, Any]:
    """How to appeal: the agency's procedure and this decision's deadline (none for a
    decision that cannot be appealed)."""
    return {
        "possible": decision.appeal_deadline is not None,
        "deadline": decision.appeal_deadline,
        "procedure": methodology.text_of("appeals"),
        "methodology_url": external_url("publication.methodology_page") + "#appeals",
    }


def _methodology_section(round_: ReviewRound) -> dict[str, Any]:
    """The rubric version the round applied, the date it took effect and its public page."""
    rubric = round_.rubric
    return {
        "url": external_url("publication.methodology_page"),
        "rubric_version": rubric.number if rubric else None,
        "rubric_date": rubric.created_at if rubric else None,
        "rubric_url": (
            external_url("publication.rubric_version", number=rubric.number) if rubric else None
        ),
        "divergence": moderation.DIVERGENCE,
    }


def _report_section(report: Report) -> dict[str, Any]:
    """The report's number, revision and verification code, with the QR code to check it."""
    verify_url = external_url("reports.verify", code=report.code)
    qr = segno.make(verify_url, error="m")
    return {
        "number": report.number,
        "revision": report.revision,
        "code": report.code,
        "uuid": str(report.uuid),
        "verify_url": verify_url,
        "requested_at": report.requested_at,
        "qr": qr.svg_data_uri(scale=4, border=2, dark="#102a43"),
    }


def _dossier_section(decision: Decision) -> dict[str, Any]:
    """The dossier version the round reviewed."""
    round_ = decision.round
    snapshot = round_.version.snapshot
    return {
        "reference": decision.dossier.reference,
        "title": snapshot.get("title"),
        "summary": snapshot.get("summary", ""),
        "provider": snapshot.get("awarding_body", {}).get("name", ""),
        "round": round_.number,
        "version": round_.version.number,
        "version_sha256": round_.version.sha256,
        "submitted": round_.version.created_at,
    }


def _decision_section(decision: Decision, internal: bool) -> dict[str, Any]:
    return {
        "outcome": decision.outcome.label,
        "outcome_code": decision.outcome.value,
        "approved": decision.outcome in (Outcome.APPROVED, Outcome.APPROVED_WITH_CONDITIONS),
        "date": decision.decided_at,
        "rationale": decision.rationale,
        "valid_from": decision.valid_from,
        "valid_until": decision.valid_until,
        "appeal_deadline": decision.appeal_deadline,
        "decided_by": decision.decided_by.name if internal else None,
        "superseded": decision.superseded_at is not None,
    }


def _outcomes(snapshot: dict[str, Any]) -> list[dict[str, Any]]:
    """The learning outcomes, labelled LO1, LO2…, with their framework alignment."""
    return [
        {
            "label": f"LO{i + 1}",
            "statement": o.get("statement", ""),
            "domain": label_of(o.get("eqf_domain")),
            "alignment": " ".join(
                p for p in (o.get("framework_name"), o.get("framework_code")) if p
            ),
            "alignment_url": o.get("framework_url", ""),
        }
        for i, o in enumerate(snapshot.get("outcomes", []))
    ]


def _assessments(snapshot: dict[str, Any]) -> list[dict[str, Any]]:
    """The assessment components, labelled A1, A2…, with the outcomes each one checks."""
    lo_label = {o["key"]: f"LO{i + 1}" for i, o in enumerate(snapshot.get("outcomes", []))}
    return [
        {
            "label": f"A{i + 1}",
            "method": label_of(a.get("method")),
            "description": a.get("description", ""),
            "weight": a.get("weight"),
            "supervision": label_of(a.get("supervision")),
            "pass_criteria": a.get("pass_criteria", ""),
            "outcomes": [lo_label.get(k, "?") for k in a.get("outcomes", [])],
        }
        for i, a in enumerate(snapshot.get("assessments", []))
    ]


def _panel(
    submitted: list[ReviewAssignment], alias: dict[int, str], internal: bool
) -> list[dict[str, Any]]:
    """The reviewers whose review is in (named in the internal variant only)."""
    return [
        {
            "alias": alias[a.id],
            "name": a.reviewer.name if internal else None,
            "email": a.reviewer.email if internal else None,
            "recommendation": label_of(a.review.recommendation) if a.review else "",
            "submitted": a.submitted_at,
        }
        for a in submitted
    ]


def _criteria(
    round_: ReviewRound, submitted: list[ReviewAssignment], alias: dict[int, str]
) -> list[dict[str, Any]]:
    """Each rubric criterion with the panel's scores and comments, their mean and spread,
    and the moderation notes."""
    stats = moderation.round_statistics(round_, submitted) if round_.rubric else []
    return [
        {
            "position": s.criterion.position,
            "title": s.criterion.title,
            "guidance": s.criterion.guidance,
            "weight": s.criterion.weight,
            "scores": [(alias[a.id], score) for a, score, _ in s.scores],
            "comments": [(alias[a.id], comment) for a, _, comment in s.scores if comment],
            "mean": s.mean,
            "spread": s.spread,
            "divergent": s.divergent,
            "notes": [n.text for n in s.notes],
        }
        for s in stats
    ]


def _comments(
    submitted: list[ReviewAssignment], alias: dict[int, str], internal: bool
) -> list[dict[str, Any]]:
    """The reviewers' comments to the provider."""
    return [
        {
            "alias": alias[a.id],
            "name": a.reviewer.name if internal else None,
            "text": a.review.comments_to_provider,
        }
        for a in submitted
        if a.review and a.review.comments_to_provider
    ]


def _confidential_comments(
    submitted: list[ReviewAssignment], alias: dict[int, str], internal: bool
) -> list[dict[str, Any]]:
    """The reviewers' confidential comments: in the internal variant only."""
    return [
        {"alias": alias[a.id], "name": a.reviewer.name, "text": a.review.confidential_comments}
        for a in submitted
        if internal and a.review and a.review.confidential_comments
    ]


def _changes(decision: Decision) -> dict[str, Any] | None:
    """What changed since the version the previous round reviewed (None in a first round)."""
    round_ = decision.round
    previous = [r for r in decision.dossier.rounds if r.number < round_.number]
    if not previous:
        return None
    diff = diff_snapshots(previous[-1].version.snapshot, round_.version.snapshot)
    return {
        "summary": diff.summary(),
        "outcomes_added": [o.get("statement", "") for o in diff.outcomes.added],
        "outcomes_removed": [o.get("statement", "") for o in diff.outcomes.removed],
        "outcomes_reworded": [
            (old.get("statement", ""), new.get("statement", ""))
            for old, new in diff.outcomes.reworded
        ],
        "previous_version": previous[-1].version.number,
    }


def _files(snapshot: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "kind": label_of(f.get("kind")),
            "name": f.get("name"),
            "sha256": f.get("sha256"),
            "size": f.get("size"),
        }
        for f in snapshot.get("files", [])
    ]


def build(report: Report) -> dict[str, Any]:
    """The whole content of ``report`` as plain data."""
    decision = report.decision
    round_ = decision.round
    internal = report.variant == ReportVariant.INTERNAL
    snapshot = round_.version.snapshot
    # the aliases the provider sees on the dossier page (reviews.aliases): numbered among
    # the reviewers whose review is in, the same in both variants
    numbers = aliases.public_numbers(r for r in round_.dossier.rounds if r.number <= round_.number)
    submitted = aliases.in_public_order(round_.assignments, numbers)
    alias = {a.id: aliases.alias_of(numbers[a.reviewer_id]) for a in submitted}
    panel = _panel(submitted, alias, internal)
    criteria = _criteria(round_, submitted, alias)
    return {
        "internal": internal,
        "variant_label": report.variant.label,
        "qa_body": _qa_body_section(),
        "report": _report_section(report),
        "dossier": _dossier_section(decision),
        "decision": _decision_section(decision, internal),
        "conditions": [
            {"position": c.position, "text": c.text, "due": c.due_date, "state": c.state.label}
            for c in decision.conditions
        ],
        "elements": eu_elements(snapshot),
        "further": further_information(snapshot),
        "outcomes": _outcomes(snapshot),
        "assessments": _assessments(snapshot),
        "matrix_keys": [o["key"] for o in snapshot.get("outcomes", [])],
        "assessment_keys": [a.get("outcomes", []) for a in snapshot.get("assessments", [])],
        "rubric_version": round_.rubric.number if round_.rubric else None,
        "panel": panel,
        "criteria": criteria,
        "chart": score_chart(criteria, list(alias.values())) if criteria and alias else None,
        "comments": _comments(submitted, alias, internal),
        "confidential": _confidential_comments(submitted, alias, internal),
        "general_notes": [n.text for n in round_.moderation_notes if n.criterion_id is None],
        "history": _round_history(decision),
        "changes": _changes(decision),
        "files": _files(snapshot),
        "panel_composition": panel_rules.report_panel(round_, internal),
        "site_visit": site_visits.report_site_visit(round_),
        "findings": findings.findings_data(round_),
        "factual_accuracy": factual_accuracy.report_data(round_),
        "deciding_body": committee.deciding_body_summary(decision, internal),
        "publication": _publication_section(report),
        "appeal": _appeal_section(decision),
        "methodology": _methodology_section(round_),
        "follow_up": follow_up.report_section(decision),
    }
