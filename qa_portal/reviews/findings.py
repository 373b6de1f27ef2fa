"""The panel's findings on a round (ESG 2.6): per criterion of the round's rubric the panel's
judgement (the rubric's 1–4 scale) and its findings; overall strengths, recommendations
(advisory), proposed conditions (binding once decided), a proposed outcome and a summary.

Rules enforced here: the case officer (any QA officer) or the panel's chair writes them
(``can_write_findings``); a chair only after submitting their own review (a reviewer reads
the other reviews only then); they are written while the round is under review or waiting
for its decision, once a review is in, never after the decision; an edit made from a page
opened before someone else's save is refused (``lock_version``), never silently lost.
The individual reviews inform the findings under their public aliases ("Reviewer 1").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm.exc import StaleDataError

from qa_portal.accounts.models import Role, User
from qa_portal.core import audit
from qa_portal.core.errors import InvalidInput, NotPermitted, StaleObject, TransitionNotAllowed
from qa_portal.core.models import utcnow
from qa_portal.dossiers.locks import lock_dossier
from qa_portal.dossiers.notices import tell_case_officer
from qa_portal.extensions import db
from qa_portal.reviews import aliases
from qa_portal.reviews.models import (
    AssignmentState,
    CriterionFinding,
    PanelFindings,
    Recommendation,
    ReviewAssignment,
    ReviewRound,
    RubricCriterion,
)
from qa_portal.reviews.rounds import REVIEWABLE_STATES
from qa_portal.reviews.rubric import SCORE_LABELS

CHAIR = "chair"
MAX_ITEMS = 30


def outcome_label(value: Recommendation | str | None) -> str:
    return str(value).replace("_", " ").capitalize() if value else ""


# -- who and when -------------------------------------------------------------------------
def chair_assignment(user: User, round_: ReviewRound) -> ReviewAssignment | None:
    """The user's assignment on the round if they chair its panel (``panel_role``, added
    with the panel composition rules)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return next(
        (
            a
            for a in round_.assignments
            if a.reviewer_id == user.id
            and a.is_on_panel
            and getattr(a, "panel_role", None) == CHAIR
        ),
        None,
    )


def can_write_findings(user: User, round_: ReviewRound) -> bool:
    """QA officers, and the chair of the round's panel."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return user.has_role(Role.QA_OFFICER) or chair_assignment(user, round_) is not None


def not_writable_because(user: User, round_: ReviewRound) -> str | None:
    """Why the findings of ``round_`` cannot be written now (None: they can)."""
    dossier = round_.dossier
    if round_.decided_at is not None or round_ is not dossier.current_round:
        return "This round has been decided; its findings can no longer change."
    if dossier.state not in REVIEWABLE_STATES or round_.rubric is None:
        return (
            "The panel's findings are written while the dossier is in review or waiting for "
            f"the decision; it is {dossier.state.label.lower()}."
        )
    if not any(a.state == AssignmentState.SUBMITTED for a in round_.assignments):
        return "The findings can be written once a review is in."
    if not user.has_role(Role.QA_OFFICER):
        mine = chair_assignment(user, round_)
        if mine is not None and mine.state != AssignmentState.SUBMITTED:
            return (
                "Submit your own review first; then you can read the others and write the findings."
            )
    return None


def findings_of(round_: ReviewRound | None) -> PanelFindings | None:
    if round_ is None or round_.id is None:
        return None
    return db.session.execute(
        sa.select(PanelFindings).where(PanelFindings.round_id == round_.id)
    ).scalar()


# -- the reviews that inform the findings ---------------------------------------------------
@dataclass
class ReviewerView:
    alias: str
    score: int | None
    comment: str


def reviews_by_criterion(round_: ReviewRound) -> dict[int, list[ReviewerView]]:
    """Criterion id → each submitted review's score and comment, under its public alias."""
    public = aliases.public_aliases(round_.assignments)
    by_id = {a.id: a for a in round_.assignments}
    result: dict[int, list[ReviewerView]] = {}
    for assignment_id, alias in public.items():
        review = by_id[assignment_id].review
        scores = {s.criterion_id: s for s in (review.scores if review else [])}
        for criterion in round_.rubric.criteria if round_.rubric else []:
            row = scores.get(criterion.id)
            result.setdefault(criterion.id, []).append(
                ReviewerView(alias, row.score if row else None, row.comment if row else "")
            )
    return result


def recommendations_by_alias(round_: ReviewRound) -> list[tuple[str, str, str]]:
    """(alias, recommendation, comments to the provider) of each submitted review."""
    public = aliases.public_aliases(round_.assignments)
    by_id = {a.id: a for a in round_.assignments}
    rows = []
    for assignment_id, alias in public.items():
        review = by_id[assignment_id].review
        if review is not None:
            rows.append((alias, outcome_label(review.recommendation), review.comments_to_provider))
    return rows


# -- saving -------------------------------------------------------------------------------
def _texts(values: list[str] | None, what: str) -> list[str]:
    cleaned = [v.strip() for v in (values or []) if v and v.strip()]
    if len(cleaned) > MAX_ITEMS:
        raise InvalidInput(f"At most {MAX_ITEMS} {what}.")
    return cleaned


def _judgement(value: Any, criterion: RubricCriterion) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"Criterion {criterion.position}: choose a judgement.") from None
    if number not in SCORE_LABELS:
        raise InvalidInput(
            f"Criterion {criterion.position}: the judgement goes from 1 (does not meet) to "
            "4 (exceeds)."
        )
    return number


def _outcome(value: str | None, conditions: list[str]) -> Recommendation | None:
    if value in (None, ""):
        outcome = None
    else:
        try:
            outcome = Recommendation(value)
        except ValueError:
            raise InvalidInput("Choose one of the outcomes offered.") from None
    if outcome == Recommendation.APPROVE_WITH_CONDITIONS and not conditions:
        raise InvalidInput("Approval with conditions needs at least one proposed condition.")
    if conditions and outcome not in (None, Recommendation.APPROVE_WITH_CONDITIONS):
        raise InvalidInput("Conditions are proposed only with approval with conditions.")
    return outcome


def _check_lock(findings: PanelFindings | None, lock_version: Any) -> None:
    if lock_version in (None, ""):
        return
    saved = findings.lock_version if findings else 0
    if str(lock_version) != str(saved):
        who = findings.written_by.name if findings and findings.written_by else "someone"
        raise StaleObject(
            f"The findings were saved by {who} after you opened this page; reload it to see "
            "their version, then make your changes again."
        )


def save_findings(
    actor: User,
    round_: ReviewRound,
    *,
    summary: str,
    strengths: str,
    recommendations: list[str],
    conditions: list[str],
    proposed_outcome: str | None,
    criteria: dict[int, dict[str, Any]],
    lock_version: Any = None,
) -> PanelFindings:
    """Write the panel's findings on ``round_`` (the officer or the chair, before the
    decision). ``lock_version``: the version the form was opened with (0: none existed)."""
    if not can_write_findings(actor, round_):
        raise NotPermitted("Only the case officer or the panel's chair writes the findings.")
    lock_dossier(round_.dossier)
    problem = not_writable_because(actor, round_)
    if problem:
        raise TransitionNotAllowed(problem)
    findings = findings_of(round_)
    _check_lock(findings, lock_version)
    recommendations = _texts(recommendations, "recommendations")
    conditions = _texts(conditions, "conditions")
    outcome = _outcome(proposed_outcome, conditions)
    rubric = {c.id: c for c in round_.rubric.criteria}
    values = {}
    for criterion_id, row in criteria.items():
        if criterion_id not in rubric:
            raise InvalidInput("A finding refers to a criterion of another rubric.")
        values[criterion_id] = (
            _judgement(row.get("judgement"), rubric[criterion_id]),
            (row.get("text") or "").strip(),
        )
    created = findings is None
    if created:
        findings = PanelFindings(round=round_)
        db.session.add(findings)
    existing = {c.criterion_id: c for c in findings.criteria}
    for criterion_id, (judgement, text) in values.items():
        row = existing.get(criterion_id)
        if row is None:
            row = CriterionFinding(criterion_id=criterion_id)
            findings.criteria.append(row)
        row.judgement, row.text = judgement, text
    findings.summary = (summary or "").strip()
    findings.strengths = (strengths or "").strip()
    findings.recommendations = recommendations
    findings.conditions = conditions
    findings.proposed_outcome = outcome
    findings.written_by = actor
    findings.updated_at = utcnow()
    try:
        db.session.flush()
    except (StaleDataError, sa.exc.IntegrityError):
        raise StaleObject(
            "The findings were saved from another page a moment ago; reload this one."
        ) from None
    _record(actor, findings, created)
    return findings


def _record(actor: User, findings: PanelFindings, created: bool) -> None:
    round_ = findings.round
    dossier = round_.dossier
    audit.record(
        actor,
        "findings.write" if created else "findings.update",
        findings,
        dossier_id=dossier.id,
        round=round_.number,
        proposed_outcome=findings.proposed_outcome.value if findings.proposed_outcome else None,
        judgements={
            c.criterion.position: c.judgement
            for c in sorted(findings.criteria, key=lambda c: c.criterion.position)
        },
        recommendations=findings.recommendations,
        conditions=findings.conditions,
    )
    if not actor.has_role(Role.QA_OFFICER):
        tell_case_officer(
            dossier,
            "findings_written",
            f"Panel findings on {dossier.reference}",
            f"The panel's chair saved the findings of round {round_.number} of "
            f"{dossier.reference}.",
        )


# -- reading ------------------------------------------------------------------------------
def is_complete(findings: PanelFindings | None) -> bool:
    """A judgement on every criterion of the round's rubric, and a summary."""
    if findings is None or not findings.summary:
        return False
    judged = {c.criterion_id for c in findings.criteria if c.judgement}
    return all(c.id in judged for c in findings.round.rubric.criteria)


def findings_data(round_: ReviewRound) -> dict[str, Any] | None:
    """The findings as plain data, for the reports and the draft report (names nobody)."""
    findings = findings_of(round_)
    if findings is None:
        return None
    by_criterion = {c.criterion_id: c for c in findings.criteria}
    criteria = []
    for criterion in round_.rubric.criteria if round_.rubric else []:
        row = by_criterion.get(criterion.id)
        judgement = row.judgement if row else None
        criteria.append(
            {
                "position": criterion.position,
                "title": criterion.title,
                "judgement": SCORE_LABELS.get(judgement, "") if judgement else "",
                "score": judgement,
                "text": row.text if row else "",
            }
        )
    return {
        "summary": findings.summary,
        "criteria": criteria,
        "strengths": findings.strengths,
        "recommendations": list(findings.recommendations or []),
        "conditions": list(findings.conditions or []),
        "proposed_outcome": outcome_label(findings.proposed_outcome),
        "updated_at": findings.updated_at,
    }
