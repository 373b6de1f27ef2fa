"""Field-by-field difference between two dossier versions (or a version and a draft).

Outcomes and assessment components keep a stable key across versions, so an edited
statement is reported as *reworded* rather than as one outcome removed and another added.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from qa_portal.dossiers.snapshot import (
    PREREQUISITE_FIELDS,
    SCALAR_FIELDS,
    STACKABILITY_FIELDS,
)

FIELD_LABELS = {
    "title": "Title",
    "summary": "Summary",
    "description": "Full description",
    "web_page": "Programme web page",
    "partners": "Partner organisations",
    "country": "Country of the issuer",
    "region": "Region",
    "languages_instruction": "Languages of instruction",
    "languages_assessment": "Languages of assessment",
    "isced_code": "Field of study (ISCED-F)",
    "keywords": "Keywords",
    "eqf_level": "EQF level",
    "level_not_applicable": "Level not applicable",
    "national_level": "National framework level",
    "qf_ehea_cycle": "QF-EHEA cycle",
    "workload_hours": "Notional workload (hours)",
    "ects": "ECTS credits",
    "duration_weeks": "Duration (weeks)",
    "participation": "Form of participation",
    "pacing": "Pacing",
    "recognition_arrangements": "Credit transfer and recognition",
    "internal_qa": "Internal quality assurance",
    "external_decision": "External decision requested",
    "earlier_reviews": "Earlier external reviews",
    "target_audience": "Target audience",
    "cost": "Cost",
    "grading_scheme": "Grading scheme",
    "issuance": "How the credential is issued",
    "issuance_standards": "Issuance standards",
}


@dataclass
class FieldChange:
    field: str
    label: str
    old: Any
    new: Any


@dataclass
class ItemChanges:
    """Changes in one repeating group."""

    added: list[dict] = field(default_factory=list)
    removed: list[dict] = field(default_factory=list)
    reworded: list[tuple[dict, dict]] = field(default_factory=list)
    changed: list[tuple[dict, dict, list[str]]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.reworded or self.changed)


@dataclass
class DossierDiff:
    fields: list[FieldChange]
    outcomes: ItemChanges
    assessments: ItemChanges
    prerequisites: ItemChanges
    stackability: ItemChanges
    files: ItemChanges

    @property
    def is_empty(self) -> bool:
        return not (
            self.fields
            or self.outcomes
            or self.assessments
            or self.prerequisites
            or self.stackability
            or self.files
        )

    def summary(self) -> list[str]:
        """Short sentences for lists and e-mails (“2 outcomes reworded”)."""
        parts = []
        if self.fields:
            parts.append(
                f"{_count(len(self.fields), 'field')} changed: "
                + ", ".join(c.label for c in self.fields)
            )
        for noun, plural, changes in (
            ("outcome", "outcomes", self.outcomes),
            ("assessment", "assessments", self.assessments),
            ("prerequisite", "prerequisites", self.prerequisites),
            ("stackability entry", "stackability entries", self.stackability),
            ("evidence file", "evidence files", self.files),
        ):
            for verb, items in (
                ("added", changes.added),
                ("removed", changes.removed),
                ("reworded", changes.reworded),
                ("changed", changes.changed),
            ):
                if items:
                    parts.append(f"{_count(len(items), noun, plural)} {verb}")
        return parts


def _count(n: int, noun: str, plural: str | None = None) -> str:
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


def _keyed(old: list[dict], new: list[dict], text_field: str | None) -> ItemChanges:
    changes = ItemChanges()
    old_by = {item.get("key"): (i, item) for i, item in enumerate(old)}
    new_by = {item.get("key"): (i, item) for i, item in enumerate(new)}
    for key, (i, item) in new_by.items():
        if key not in old_by:
            changes.added.append({**item, "position": i + 1})
            continue
        j, before = old_by[key]
        after = {**item, "position": i + 1}
        before = {**before, "position": j + 1}
        differing = sorted(
            k
            for k in set(item) | set(old_by[key][1])
            if k not in {"key", "position"} and old_by[key][1].get(k) != item.get(k)
        )
        if text_field and text_field in differing:
            changes.reworded.append((before, after))
            differing.remove(text_field)
            if differing:
                changes.changed.append((before, after, differing))
        elif differing:
            changes.changed.append((before, after, differing))
    for key, (i, item) in old_by.items():
        if key not in new_by:
            changes.removed.append({**item, "position": i + 1})
    return changes


def _unkeyed(old: list[dict], new: list[dict], fields: tuple[str, ...]) -> ItemChanges:
    def sig(item: dict) -> tuple:
        return tuple(item.get(f) for f in fields)

    changes = ItemChanges()
    remaining = [sig(i) for i in old]
    for item in new:
        s = sig(item)
        if s in remaining:
            remaining.remove(s)
        else:
            changes.added.append(item)
    new_sigs = [sig(i) for i in new]
    for item in old:
        s = sig(item)
        if s in new_sigs:
            new_sigs.remove(s)
        else:
            changes.removed.append(item)
    return changes


def _files(old: list[dict], new: list[dict]) -> ItemChanges:
    changes = ItemChanges()
    old_hashes = {(f["kind"], f["sha256"]) for f in old}
    new_hashes = {(f["kind"], f["sha256"]) for f in new}
    changes.added = [f for f in new if (f["kind"], f["sha256"]) not in old_hashes]
    changes.removed = [f for f in old if (f["kind"], f["sha256"]) not in new_hashes]
    return changes


def diff_snapshots(old: dict[str, Any], new: dict[str, Any]) -> DossierDiff:
    """What changed from ``old`` to ``new`` (both ``dossier_to_dict`` shapes)."""
    fields = [
        FieldChange(name, FIELD_LABELS.get(name, name), old.get(name), new.get(name))
        for name in SCALAR_FIELDS
        if _normal(old.get(name)) != _normal(new.get(name))
    ]
    return DossierDiff(
        fields=fields,
        outcomes=_keyed(old.get("outcomes") or [], new.get("outcomes") or [], "statement"),
        assessments=_keyed(
            old.get("assessments") or [], new.get("assessments") or [], "description"
        ),
        prerequisites=_unkeyed(
            old.get("prerequisites") or [], new.get("prerequisites") or [], PREREQUISITE_FIELDS
        ),
        stackability=_unkeyed(
            old.get("stackability") or [], new.get("stackability") or [], STACKABILITY_FIELDS
        ),
        files=_files(old.get("files") or [], new.get("files") or []),
    )


def _normal(value: Any) -> Any:
    """Treat None, "" and [] alike, and 3 and 3.0 alike."""
    if value in (None, "", []):
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        return value.strip()
    return value
