"""The public allowlist: which dossier fields the catalogue, the API and the exports show.

Anything not named here (evidence files, earlier reviews, internal notes, reviewers…) never
leaves the QA body through the catalogue.
"""

from __future__ import annotations

from typing import Any

from qa_portal.dossiers import isced
from qa_portal.dossiers.models import label_of

PUBLIC_FIELDS = (
    "title",
    "summary",
    "description",
    "web_page",
    "partners",
    "country",
    "region",
    "languages_instruction",
    "languages_assessment",
    "isced_code",
    "keywords",
    "eqf_level",
    "level_not_applicable",
    "national_level",
    "qf_ehea_cycle",
    "workload_hours",
    "ects",
    "duration_weeks",
    "participation",
    "pacing",
    "recognition_arrangements",
    "internal_qa",
    "target_audience",
    "cost",
    "grading_scheme",
    "issuance",
    "issuance_standards",
)
OUTCOME_FIELDS = ("statement", "eqf_domain", "framework_name", "framework_code", "framework_url")
ASSESSMENT_FIELDS = ("method", "description", "weight", "supervision", "pass_criteria")
PREREQUISITE_FIELDS = ("kind", "description", "related_reference")
STACKABILITY_FIELDS = ("qualification", "awarding_body", "credits")


def public_data(snapshot: dict[str, Any]) -> dict[str, Any]:
    """The allowlisted public part of a dossier snapshot."""
    data = {name: snapshot.get(name) for name in PUBLIC_FIELDS}
    data["isced_name"] = isced.name_of(snapshot.get("isced_code"))
    outcomes = snapshot.get("outcomes") or []
    labels = {o.get("key"): f"LO{i + 1}" for i, o in enumerate(outcomes)}
    data["outcomes"] = [
        {"id": f"LO{i + 1}", **{name: o.get(name) for name in OUTCOME_FIELDS}}
        for i, o in enumerate(outcomes)
    ]
    data["assessments"] = [
        {
            **{name: a.get(name) for name in ASSESSMENT_FIELDS},
            "outcomes": [labels[k] for k in a.get("outcomes") or [] if k in labels],
        }
        for a in snapshot.get("assessments") or []
    ]
    data["prerequisites"] = [
        {name: p.get(name) for name in PREREQUISITE_FIELDS}
        for p in snapshot.get("prerequisites") or []
    ]
    data["stackability"] = [
        {name: s.get(name) for name in STACKABILITY_FIELDS}
        for s in snapshot.get("stackability") or []
    ]
    return data


def outcomes_text(data: dict[str, Any]) -> str:
    return "\n".join(o.get("statement") or "" for o in data.get("outcomes", []))


def labelled(value: Any) -> str:
    return label_of(value)
