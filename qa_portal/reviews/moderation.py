"""Moderation: per-criterion statistics of a round; a criterion whose scores differ by 2 or
more needs a moderation note before the decision.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from statistics import mean

from qa_portal.accounts.models import User
from qa_portal.core import audit
from qa_portal.core.errors import InvalidInput, TransitionNotAllowed
from qa_portal.dossiers.models import Dossier
from qa_portal.extensions import db
from qa_portal.reviews.models import (
    AssignmentState,
    ModerationNote,
    ReviewAssignment,
    ReviewRound,
    RubricCriterion,
)
from qa_portal.reviews.rounds import REVIEWABLE_STATES, require_officer, require_round

DIVERGENCE = 2


@dataclass
class CriterionStats:
    criterion: RubricCriterion
    scores: list[tuple[ReviewAssignment, int | None, str]]
    notes: list[ModerationNote]

    @property
    def values(self) -> list[int]:
        return [s for _, s, _ in self.scores if s is not None]

    @property
    def mean(self) -> float | None:
        return round(mean(self.values), 2) if self.values else None

    @property
    def spread(self) -> int | None:
        return max(self.values) - min(self.values) if self.values else None

    @property
    def divergent(self) -> bool:
        return self.spread is not None and self.spread >= DIVERGENCE


def round_statistics(
    round_: ReviewRound, submitted: Sequence[ReviewAssignment] | None = None
) -> list[CriterionStats]:
    """Per criterion: each submitted reviewer's score, mean, spread, divergence, notes.
    The scores follow ``submitted`` (the round's submitted assignments in the order a page
    shows them; by default in the order of their ``reviewer_number``)."""
    if round_.rubric is None:
        return []
    if submitted is None:
        submitted = [a for a in round_.assignments if a.state == AssignmentState.SUBMITTED]
    notes_by: dict[int | None, list[ModerationNote]] = {}
    for note in round_.moderation_notes:
        notes_by.setdefault(note.criterion_id, []).append(note)
    stats = []
    for criterion in round_.rubric.criteria:
        rows = []
        for assignment in submitted:
            score = next(
                (s for s in assignment.review.scores if s.criterion_id == criterion.id), None
            )
            rows.append(
                (assignment, score.score if score else None, score.comment if score else "")
            )
        stats.append(CriterionStats(criterion, rows, notes_by.get(criterion.id, [])))
    return stats


def unmoderated_divergences(round_: ReviewRound) -> list[CriterionStats]:
    return [s for s in round_statistics(round_) if s.divergent and not s.notes]


def add_moderation_note(
    actor: User, dossier: Dossier, criterion_id: int | None, text: str
) -> ModerationNote:
    require_officer(actor)
    if dossier.state not in REVIEWABLE_STATES:
        raise TransitionNotAllowed("Moderation notes are written before the decision.")
    if not text.strip():
        raise InvalidInput("The moderation note is empty.")
    round_ = require_round(dossier)
    if criterion_id is not None and criterion_id not in {c.id for c in round_.rubric.criteria}:
        raise InvalidInput("This criterion is not part of the round's rubric.")
    note = ModerationNote(round=round_, criterion_id=criterion_id, author=actor, text=text.strip())
    db.session.add(note)
    db.session.flush()
    audit.record(
        actor,
        "moderation.note",
        note,
        dossier_id=dossier.id,
        criterion_id=criterion_id,
        text=note.text,
    )
    return note
