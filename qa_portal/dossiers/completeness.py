"""The completeness check of product spec section 2.

Errors block submission: a mandatory EU standard element missing, no learning outcome, an
outcome that no assessment component assesses, assessment weights not summing to 100 %,
a required evidence type missing. Warnings are shown to the provider, the reviewers and in
the report: non-observable outcome verbs, hours per ECTS outside 25–30, 60 ECTS or more,
outcomes without framework alignment. The check reads the plain dossier data
(``snapshot.dossier_to_dict``), so it runs the same on a draft, on the live form and on a
frozen version.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

from qa_portal.dossiers.models import REQUIRED_EVIDENCE, label_of

ERROR = "error"
WARNING = "warning"

# "understand", "know", "be aware of", "appreciate", "learn about" are not observable.
NON_OBSERVABLE = (
    "understand",
    "know",
    "be aware of",
    "appreciate",
    "learn about",
    "be familiar with",
    "become aware of",
    "have an understanding of",
    "gain an understanding of",
    "have knowledge of",
)
# Lead-ins that come before the verb: "By the end of the course, learners will be able to …",
# "The participant can …", "You will …".
LEAD_IN = re.compile(
    r"^(?:(?:on|upon|after|by|at)\b[^,.;:]{0,120},\s*)?"
    r"(?:(?:the\s+)?(?:successful\s+)?"
    r"(?:learners?|students?|participants?|graduates?|trainees?|you)\s+)?"
    r"(?:(?:will|shall|should|can|could|must|may|are|is)\s+)?"
    r"(?:be\s+able\s+to\s+|able\s+to\s+)?",
    re.IGNORECASE,
)
# The phrase must end the word: "understand." and "know:" count, "understandably",
# "know-how" and "knowledge-based" do not.
_WORD_END = r"(?![\w\-'’])"
HOURS_PER_ECTS = (25, 30)
MICRO_ECTS_LIMIT = 60


@dataclass(frozen=True)
class Finding:
    level: str
    code: str
    message: str
    anchor: str = ""

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def _blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list | tuple | dict):
        return len(value) == 0
    return False


def outcome_label(index: int) -> str:
    return f"LO{index + 1}"


def starts_with_non_observable(statement: str) -> str | None:
    """The non-observable verb an outcome starts with (after any lead-in), or None."""
    text = re.sub(r"\s+", " ", statement.strip())
    text = LEAD_IN.sub("", text, count=1).lower()
    for phrase in NON_OBSERVABLE:
        if re.match(re.escape(phrase) + _WORD_END, text):
            return phrase
    return None


def _mandatory(data: dict[str, Any]) -> list[Finding]:
    found: list[Finding] = []

    def missing(code: str, message: str, anchor: str) -> None:
        found.append(Finding(ERROR, code, message, anchor))

    if _blank(data.get("title")):
        missing("missing_title", "Title is missing.", "title")
    awarding = data.get("awarding_body") or {}
    if _blank(awarding.get("name")):
        missing("missing_awarding_body", "Awarding body is missing.", "title")
    if _blank(data.get("country")):
        missing("missing_country", "Country of the issuer is missing.", "country")
    if data.get("eqf_level") is None and not data.get("level_not_applicable"):
        missing(
            "missing_level",
            "Level is missing: give the EQF level, or mark the level as not applicable.",
            "eqf_level",
        )
    if data.get("workload_hours") in (None, "", 0):
        missing("missing_workload", "Notional workload (hours) is missing.", "workload_hours")
    if _blank(data.get("participation")):
        missing(
            "missing_participation",
            "Form of participation (online, in person, blended) is missing.",
            "participation",
        )
    if _blank(data.get("internal_qa")):
        missing(
            "missing_quality_assurance",
            "Type of quality assurance (the provider's internal QA procedures) is missing.",
            "internal_qa",
        )
    return found


def _outcomes(data: dict[str, Any]) -> list[Finding]:
    found: list[Finding] = []
    outcomes = data.get("outcomes") or []
    if not outcomes:
        return [Finding(ERROR, "no_outcomes", "There is no learning outcome.", "outcomes")]
    assessed = {key for a in (data.get("assessments") or []) for key in (a.get("outcomes") or [])}
    for i, outcome in enumerate(outcomes):
        label = outcome_label(i)
        anchor = f"outcomes-{i}"
        statement = (outcome.get("statement") or "").strip()
        if not statement:
            found.append(
                Finding(ERROR, "outcome_statement_missing", f"{label} has no statement.", anchor)
            )
            continue
        if _blank(outcome.get("eqf_domain")):
            found.append(
                Finding(
                    ERROR,
                    "outcome_domain_missing",
                    f"{label} has no EQF domain (knowledge, skills, responsibility and autonomy).",
                    anchor,
                )
            )
        if outcome.get("key") not in assessed:
            found.append(
                Finding(
                    ERROR,
                    "outcome_not_assessed",
                    f"{label} is not assessed by any assessment component.",
                    anchor,
                )
            )
        verb = starts_with_non_observable(statement)
        if verb:
            found.append(
                Finding(
                    WARNING,
                    "outcome_not_observable",
                    f"{label} starts with “{verb}”, which is not observable; "
                    "use an action verb such as analyse, design, apply.",
                    anchor,
                )
            )
        if _blank(outcome.get("framework_code")) and _blank(outcome.get("framework_url")):
            found.append(
                Finding(
                    WARNING,
                    "outcome_not_aligned",
                    f"{label} is not aligned to a framework item (for example an ESCO skill).",
                    anchor,
                )
            )
    return found


def _assessments(data: dict[str, Any]) -> list[Finding]:
    assessments = data.get("assessments") or []
    if not assessments:
        return [
            Finding(ERROR, "no_assessments", "There is no assessment component.", "assessments")
        ]
    found: list[Finding] = []
    total = 0.0
    for i, component in enumerate(assessments):
        anchor = f"assessments-{i}"
        if _blank(component.get("method")):
            found.append(
                Finding(
                    ERROR, "assessment_method_missing", f"Assessment {i + 1} has no method.", anchor
                )
            )
        weight = component.get("weight")
        if weight is None or weight == "":
            found.append(
                Finding(
                    ERROR, "assessment_weight_missing", f"Assessment {i + 1} has no weight.", anchor
                )
            )
        else:
            total += float(weight)
    if abs(total - 100) > 1e-9:
        found.append(
            Finding(
                ERROR,
                "weights_not_100",
                f"Assessment weights add up to {total:g} %, not 100 %.",
                "assessments",
            )
        )
    return found


def _evidence(data: dict[str, Any]) -> list[Finding]:
    kinds = {f.get("kind") for f in data.get("files") or []}
    return [
        Finding(
            ERROR,
            f"missing_evidence_{kind.value}",
            f"Evidence file missing: {label_of(kind).lower()} (PDF).",
            "files",
        )
        for kind in REQUIRED_EVIDENCE
        if kind.value not in kinds
    ]


def _workload(data: dict[str, Any]) -> list[Finding]:
    found: list[Finding] = []
    hours, ects = data.get("workload_hours"), data.get("ects")
    if ects not in (None, "") and float(ects) > 0:
        if hours not in (None, "") and float(hours) > 0:
            ratio = float(hours) / float(ects)
            low, high = HOURS_PER_ECTS
            if ratio < low or ratio > high:
                found.append(
                    Finding(
                        WARNING,
                        "hours_per_ects",
                        f"{ratio:.1f} hours per ECTS credit is outside the usual {low}–{high}.",
                        "workload_hours",
                    )
                )
        if float(ects) >= MICRO_ECTS_LIMIT:
            found.append(
                Finding(
                    WARNING,
                    "not_micro",
                    f"{float(ects):g} ECTS: with {MICRO_ECTS_LIMIT} ECTS or more "
                    "this is no longer a microcredential.",
                    "ects",
                )
            )
    return found


def check(data: dict[str, Any]) -> list[Finding]:
    """All findings for the dossier data, errors first, in form order."""
    findings = (
        _mandatory(data) + _outcomes(data) + _assessments(data) + _evidence(data) + _workload(data)
    )
    return sorted(findings, key=lambda f: f.level != ERROR)


def errors(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.level == ERROR]


def warnings(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.level == WARNING]
