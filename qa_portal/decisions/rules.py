"""The rules a decision's content follows, as plain functions (product spec section 4): its
conditions (a text each, a due date in the future), its validity period (1 to 10 years,
the policy's by default; 29 February gives 28 February), and the message its provider
receives."""

from __future__ import annotations

from datetime import date
from typing import Any

from qa_portal.core import clock
from qa_portal.core.errors import InvalidInput
from qa_portal.decisions.models import OFFICER_BODY, Decision
from qa_portal.reviews.models import ReviewPolicy, ReviewRound


def parse_conditions(rows: list[dict[str, Any]], default_due: date) -> list[tuple[str, date]]:
    parsed = []
    for row in rows:
        text = (row.get("text") or "").strip()
        due = row.get("due_date") or None
        if not text and not due:
            continue
        if not text:
            raise InvalidInput("Every condition needs a text.")
        due = due or default_due
        if due <= clock.today():
            raise InvalidInput(f"The due date of “{text[:40]}” must be in the future.")
        parsed.append((text, due))
    return parsed


def validity_years_of(validity_years: int | None, policy: ReviewPolicy) -> int:
    """The approval's validity period: the one asked for (1 to 10 years) or the policy's."""
    years = policy.validity_years if validity_years in (None, "") else validity_years
    try:
        years = int(years)
    except (TypeError, ValueError):
        raise InvalidInput("The validity period is a whole number of years.") from None
    if not 1 <= years <= 10:
        raise InvalidInput("The validity period goes from 1 to 10 years.")
    return years


def decision_message(decision: Decision, round_: ReviewRound) -> str:
    """What the provider is told: who decided, the outcome, the rationale, the validity,
    the conditions and the appeal deadline."""
    who, by = "The QA body", f"Deciding body: {OFFICER_BODY}."
    if decision.deciding_body != OFFICER_BODY:
        who, by = f"The QA body's {decision.deciding_body}", ""
    if decision.meeting_date:
        who += f", at its meeting of {decision.meeting_date:%d %B %Y},"
    body = [
        f"{who} decided on “{round_.version.snapshot.get('title')}”: "
        f"{decision.outcome.label.lower()}. {by}".rstrip(),
        "",
        decision.rationale,
    ]
    if decision.valid_until:
        body.append(f"\nThe approval is valid until {decision.valid_until:%d %B %Y}.")
    for condition in decision.conditions:
        body.append(
            f"\nCondition {condition.position} (due {condition.due_date:%d %B %Y}): "
            f"{condition.text}"
        )
    if decision.appeal_deadline:
        body.append(f"\nYou may appeal until {decision.appeal_deadline:%d %B %Y}.")
    body.append("\nThe reviews (anonymised) are now visible on the dossier page.")
    return "\n".join(body)


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)
