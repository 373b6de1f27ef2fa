"""The reviewers' aliases seen outside the QA body: "Reviewer 1", "Reviewer 2"…

An assignment's ``reviewer_number`` is given at invitation, per dossier, and stays the QA
body's: its panel table, its notices and reminders use it. Shown to anyone else, those
numbers would tell what the QA body keeps to itself: when Reviewer 1 declines, a provider
reading "Reviewer 2, Reviewer 3" learns that someone dropped out.

So the provider's dossier page, both reports of a decision and the reviewers' own pages
number only the reviewers whose review is in (submitted), without gaps: in the order of
the first round in which each one submitted, and within a round in the order the reviews
came in. A reviewer keeps that number in later rounds of the dossier, and later reviews
only add numbers, so a report rendered after a decision keeps matching the dossier page.
A reviewer who has not submitted has no alias yet.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from qa_portal.reviews.models import AssignmentState, ReviewAssignment, ReviewRound


def alias_of(number: int) -> str:
    return f"Reviewer {number}"


def public_numbers(rounds: Iterable[ReviewRound]) -> dict[int, int]:
    """Reviewer id → the number shown outside the QA body, over ``rounds`` (a dossier's)."""
    first: dict[int, tuple[int, float, int]] = {}
    for round_ in sorted(rounds, key=lambda r: r.number):
        for a in round_.assignments:
            if a.state == AssignmentState.SUBMITTED and a.reviewer_id not in first:
                came_in = a.submitted_at.timestamp() if a.submitted_at else 0.0
                first[a.reviewer_id] = (round_.number, came_in, a.reviewer_number)
    ordered = sorted(first, key=first.__getitem__)
    return {reviewer_id: n for n, reviewer_id in enumerate(ordered, start=1)}


def in_public_order(
    assignments: Iterable[ReviewAssignment], numbers: dict[int, int]
) -> list[ReviewAssignment]:
    """The submitted ones among ``assignments``, by their public numbers."""
    submitted = [a for a in assignments if a.state == AssignmentState.SUBMITTED]
    return sorted(submitted, key=lambda a: numbers[a.reviewer_id])


def public_aliases(assignments: Sequence[ReviewAssignment]) -> dict[int, str]:
    """Assignment id → alias outside the QA body, for the submitted ones among
    ``assignments`` (of one dossier), in that order."""
    if not assignments:
        return {}
    numbers = public_numbers(assignments[0].round.dossier.rounds)
    return {a.id: alias_of(numbers[a.reviewer_id]) for a in in_public_order(assignments, numbers)}
