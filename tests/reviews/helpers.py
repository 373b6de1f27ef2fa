"""Helpers of the review tests: reading the pages of the review workflow the way a person
does, the JSON ``Accept`` header, a panel opened by the workflow builder."""

from __future__ import annotations

import html
import re

from tests.builders import Case

JSON = {"Accept": "application/json"}


def open_panel(people, dossier, reviewers):
    """Invite and accept ``reviewers``, then open the review (by the workflow builder);
    returns the assignments."""
    return Case(dossier, officer=people.officer, reviewers=reviewers).open().assignments


def text(response) -> str:
    """The page with its tags removed and entities decoded (what a reader sees)."""
    page = response.data.decode()
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def section(response, heading: str) -> str:
    """The text of the ``<section>`` whose ``<h2>`` is ``heading``."""
    page = response.data.decode()
    match = re.search(r"<h2>\s*" + re.escape(heading) + r".*?</section>", page, flags=re.S)
    assert match, f"no section {heading!r}"
    body = re.sub(r"<[^>]+>", " ", match.group(0))
    return re.sub(r"\s+", " ", html.unescape(body))


def rows(response, heading: str) -> list[str]:
    """The text of each table row in the section whose ``<h2>`` is ``heading``."""
    page = response.data.decode()
    match = re.search(r"<h2>\s*" + re.escape(heading) + r".*?</section>", page, flags=re.S)
    assert match, f"no section {heading!r}"
    found = re.findall(r"<tr\b[^>]*>(.*?)</tr>", match.group(0), flags=re.S)
    return [re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", r))).strip() for r in found]


def row_of(response, heading: str, name: str) -> str | None:
    """The row of ``name`` in that section's table, or None."""
    return next((r for r in rows(response, heading) if name in r), None)


def review_form(
    assignment,
    scores: dict[int, int | None] | None = None,
    *,
    comments: dict[int, str] | None = None,
    recommendation: str = "",
    to_provider: str = "",
    confidential: str = "",
    lock_version=None,
    action: str = "save",
) -> dict[str, str]:
    """What the scoring form sends: ``scores`` maps a criterion position to its score."""
    scores, comments = scores or {}, comments or {}
    data: dict[str, str] = {
        "recommendation": recommendation,
        "comments_to_provider": to_provider,
        "confidential_comments": confidential,
        action: "1",
    }
    if lock_version is not None:
        data["lock_version"] = str(lock_version)
    for i, criterion in enumerate(assignment.round.rubric.criteria):
        data[f"scores-{i}-criterion_id"] = str(criterion.id)
        if scores.get(criterion.position) is not None:
            data[f"scores-{i}-score"] = str(scores[criterion.position])
        data[f"scores-{i}-comment"] = comments.get(criterion.position, "")
    return data


def all_scores(score: int = 3) -> dict[int, int]:
    return dict.fromkeys(range(1, 9), score)


def markup(response) -> str:
    """The page source with entities decoded (to find values of form fields)."""
    return html.unescape(response.data.decode())


def field_errors(response, field_id: str) -> str:
    """The error list rendered next to the field ``field_id`` ("" if none)."""
    match = re.search(
        rf'<ul class="field-errors" id="{re.escape(field_id)}-errors">(.*?)</ul>',
        response.data.decode(),
        flags=re.S,
    )
    return re.sub(r"<[^>]+>|\s+", " ", match.group(1)).strip() if match else ""
