"""The panel-composition and site-visit settings of the review policy (ESG 2.3, 2.4): the
member types the QA admin configures ("key = label", one per line), the members required
per type ("key = number"), whether a chair is required and a secretary used, what the public
report discloses of the panel, and whether rounds have a site visit.

``parse_member_types`` and ``parse_required_counts`` refuse bad text with the reason (the
policy form shows it next to the field); ``apply_panel_policy`` stores the values
``update_policy`` was given and returns the changes for its audit entry.
"""

from __future__ import annotations

import json
import re
from typing import Any

from qa_portal.core.errors import InvalidInput
from qa_portal.reviews.models import ReviewPolicy
from qa_portal.reviews.panel_enums import PanelDisclosure, SiteVisitPolicy

KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_TYPES = 20
MAX_REQUIRED = 10
YES = ("yes", "y", "true", "1", "on")


def _lines(text: str) -> list[tuple[int, str, str]]:
    """(line number, key, value) of each non-blank "key = value" line; a line without "="
    is refused."""
    found = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        if "=" not in line:
            raise InvalidInput(f"Line {number}: write “key = value”.")
        key, value = (part.strip() for part in line.split("=", 1))
        found.append((number, key, value))
    return found


def parse_member_types(text: str) -> list[dict[str, str]]:
    """[{"key", "label"}] from "key = label" lines: keys are lower-case letters, digits and
    underscores, each once; labels are required; at least one type, at most twenty."""
    types: list[dict[str, str]] = []
    for number, key, label in _lines(text):
        if not KEY.match(key):
            raise InvalidInput(
                f"Line {number}: the key “{key}” must start with a letter and use only "
                "lower-case letters, digits and underscores (at most 40)."
            )
        if not label or len(label) > 80:
            raise InvalidInput(f"Line {number}: give the type a label (at most 80 characters).")
        if any(t["key"] == key for t in types):
            raise InvalidInput(f"Line {number}: the key “{key}” is listed twice.")
        types.append({"key": key, "label": label})
    if not types:
        raise InvalidInput("List at least one member type.")
    if len(types) > MAX_TYPES:
        raise InvalidInput(f"At most {MAX_TYPES} member types.")
    return types


def parse_required_counts(text: str, types: list[dict[str, str]]) -> dict[str, int]:
    """{key: number} from "key = number" lines, for keys among ``types``; 0 to 10 each
    (a type not listed requires nobody)."""
    keys = {t["key"] for t in types}
    counts: dict[str, int] = {}
    for number, key, value in _lines(text):
        if key not in keys:
            raise InvalidInput(f"Line {number}: “{key}” is not one of the member types.")
        if not value.isdigit() or not 0 <= int(value) <= MAX_REQUIRED:
            raise InvalidInput(
                f"Line {number}: the number of {key} members is a whole number from 0 to "
                f"{MAX_REQUIRED}."
            )
        counts[key] = int(value)
    return {key: n for key, n in counts.items() if n}


def _flag(value: Any) -> bool:
    return value is True or str(value).strip().lower() in YES


def _choice(enum_cls, value: Any, what: str):
    try:
        return enum_cls(value)
    except ValueError:
        allowed = ", ".join(m.value for m in enum_cls)
        raise InvalidInput(f"{what} is one of: {allowed}.") from None


def apply_panel_policy(policy: ReviewPolicy, values: dict[str, Any]) -> dict[str, list]:
    """Store the panel and site-visit settings present in ``values`` (a missing or None
    value keeps the stored one); return {name: [old, new]} of what changed."""
    wanted: dict[str, Any] = {}
    types = policy.member_types
    if values.get("member_types_text") is not None:
        types = parse_member_types(values["member_types_text"])
        wanted["panel_member_types"] = json.dumps(types)
    if values.get("required_counts_text") is not None:
        counts = parse_required_counts(values["required_counts_text"], types)
    else:  # types removed from the list no longer require anybody
        counts = {k: n for k, n in policy.required_counts.items() if k in {t["key"] for t in types}}
    wanted["panel_required_counts"] = json.dumps(counts, sort_keys=True)
    for name in ("panel_chair_required", "panel_secretary_used"):
        if values.get(name) is not None:
            wanted[name] = _flag(values[name])
    if values.get("panel_disclosure"):
        wanted["panel_disclosure"] = _choice(
            PanelDisclosure, values["panel_disclosure"], "The panel disclosure"
        )
    if values.get("site_visit"):
        wanted["site_visit"] = _choice(SiteVisitPolicy, values["site_visit"], "The site visit")
    changes = {}
    for name, value in wanted.items():
        old = getattr(policy, name)
        if old != value:
            changes[name] = [_plain(old), _plain(value)]
            setattr(policy, name, value)
    return changes


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, (PanelDisclosure, SiteVisitPolicy)) else value
