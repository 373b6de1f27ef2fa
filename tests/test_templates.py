"""Templates show; operations decide. No template re-states a workflow rule by comparing a
state (or status) with a string: what may be done, and what a state means, comes from the
transition tables, the models' predicates or the view. Printing a state's label, or using
its value as a badge's class name, is fine."""

from __future__ import annotations

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

# {% if … %} / {% elif … %}, and the inline "a if … else b" of an expression
CONDITION = re.compile(
    r"\{%-?\s*(?:el)?if\b(.*?)-?%\}|\{\{((?:(?!\}\}).)*?\bif\b(?:(?!\}\}).)*)\}\}", re.S
)
STATE = re.compile(r"\b(?:\w+_)?(?:state|status)\b")
COMPARISON = re.compile(r"==|!=|\snot\s+in\s|\sin\s")
QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
# an enum's value compared, wherever it stands
VALUE_COMPARED = re.compile(r"\.value\s*(?:==|!=)|\.value\s+(?:not\s+)?in\s")
# a filter testing a state: selectattr('state.value', 'in', [...]), rejectattr(…, 'equalto', …)
FILTERED = re.compile(
    r"(?:select|reject)attr\(\s*['\"][\w.]*(?:state|status)[\w.]*['\"]\s*,\s*"
    r"['\"](?:in|==|!=|eq|equalto|ne|sameas)['\"]"
)


def state_comparisons(text: str) -> list[tuple[int, str]]:
    """Every place (line, text) in a template that compares a state or status with a
    string; a condition caught by several patterns counts once."""
    spans = []
    for match in CONDITION.finditer(text):
        condition = match.group(1) or match.group(2)
        if STATE.search(condition) and COMPARISON.search(condition) and QUOTED.search(condition):
            spans.append(match.span())
    for pattern in (VALUE_COMPARED, FILTERED):
        for match in pattern.finditer(text):
            if not any(start <= match.start() < end for start, end in spans):
                spans.append(match.span())
    return sorted(
        (text.count("\n", 0, start) + 1, " ".join(text[start:end].split())) for start, end in spans
    )


def test_the_scan_finds_what_it_must():
    """The scan itself: each way of comparing a state with a string is caught; a label, a
    badge class, a transition-table lookup and a predicate are not."""
    caught = [
        "{% if d.state.value == 'draft' %}",
        "{%- elif a.state.value in ('invited', 'accepted') -%}",
        "{% if report.status == 'failed' %}",
        "{% if listing.state not in ['withdrawn', 'revoked'] %}",
        "{{ 'Resubmit' if dossier.state.value == 'returned' else 'Submit' }}",
        "{{ kind.value == 'provider' }}",
        "{{ xs|selectattr('state.value', 'in', ['accepted'])|list|length }}",
    ]
    for text in caught:
        assert state_comparisons(text), text
    allowed = [
        "{{ state_badge(d.state) }} {{ d.state.label }}",
        '<span class="badge badge-{{ c.state.value }}">',
        "{% if 'withdraw' in actions %}",
        "{% if a.can_submit %}",
        "{% if f.kind == 'overdue' %}",
        "{{ 'Only unread' if show == 'all' else 'Show all' }}",
        "{{ 'LO' if text == 'statement' else 'A' }}",
    ]
    for text in allowed:
        assert not state_comparisons(text), text


def test_no_template_compares_a_state_with_a_string():
    offences = [
        f"{path.relative_to(TEMPLATES)}:{line}: {found}"
        for path in sorted(TEMPLATES.rglob("*"))
        if path.is_file() and path.suffix in {".html", ".txt", ".xml"}
        for line, found in state_comparisons(path.read_text(encoding="utf-8"))
    ]
    assert not offences, "templates re-stating workflow rules:\n" + "\n".join(offences)
