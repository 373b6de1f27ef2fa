"""The canonical plain-data form of a dossier.

One dictionary shape serves the frozen versions, the completeness check, the diff, the
reviewers' view, the PDF report and the exports, so they can never disagree.
"""

from __future__ import annotations

import enum
import hashlib
import json
from typing import Any

from qa_portal.dossiers.models import Dossier

SCALAR_FIELDS = (
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
    "external_decision",
    "earlier_reviews",
    "target_audience",
    "cost",
    "grading_scheme",
    "issuance",
    "issuance_standards",
)

OUTCOME_FIELDS = (
    "key",
    "statement",
    "eqf_domain",
    "framework_name",
    "framework_code",
    "framework_url",
)
ASSESSMENT_FIELDS = ("key", "method", "description", "weight", "supervision", "pass_criteria")
PREREQUISITE_FIELDS = ("kind", "description", "related_reference")
STACKABILITY_FIELDS = ("qualification", "awarding_body", "credits")


def plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def dossier_to_dict(dossier: Dossier) -> dict[str, Any]:
    """Every field of the dossier as JSON-ready data (enum values, lists, keys)."""
    org = dossier.organisation
    data: dict[str, Any] = {name: plain(getattr(dossier, name)) for name in SCALAR_FIELDS}
    data["reference"] = dossier.reference
    data["awarding_body"] = {
        "id": org.id,
        "name": org.name,
        "country": org.country,
        "domain": org.domain,
        "website": org.website,
    }
    data["outcomes"] = [
        {name: plain(getattr(o, name)) for name in OUTCOME_FIELDS} for o in dossier.outcomes
    ]
    data["assessments"] = [
        {
            **{name: plain(getattr(a, name)) for name in ASSESSMENT_FIELDS},
            "outcomes": [o.key for o in a.outcomes],
        }
        for a in dossier.assessments
    ]
    data["prerequisites"] = [
        {name: plain(getattr(p, name)) for name in PREREQUISITE_FIELDS}
        for p in dossier.prerequisites
    ]
    data["stackability"] = [
        {name: plain(getattr(s, name)) for name in STACKABILITY_FIELDS}
        for s in dossier.stackability
    ]
    data["files"] = [
        {
            "id": f.id,
            "kind": f.kind.value,
            "name": f.original_name,
            "sha256": f.sha256,
            "size": f.size,
        }
        for f in dossier.current_files
    ]
    return data


def canonical(data: dict[str, Any]) -> str:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def digest(data: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(data).encode()).hexdigest()
