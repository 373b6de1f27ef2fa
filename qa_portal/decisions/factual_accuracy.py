"""Draft report → factual-accuracy check → decision (ESG 2.6).

When the review policy gives the provider ``factual_accuracy_days`` (0: no such step), the
case officer sends the draft report (the panel's findings, proposed outcome and conditions;
no reviewer named) once the findings are complete and the dossier waits for its decision.
The provider's members may, until the due date, point out errors of fact (each with where
in the report, and what is wrong), add a statement for the final report, or say there is no
error of fact. The officer answers every point: accepted (saying what was corrected in the
findings) or not accepted (with the reason), then closes the check; a check whose period
passed without an answer expires (the daily reminders job, or the officer when closing it)
and is closed by the officer. Until the check is closed, the round cannot be decided.

States (``FACTUAL_CHECK_MACHINE``): sent → commented | expired → closed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa

from qa_portal.accounts.models import Role, User
from qa_portal.core import audit, clock
from qa_portal.core.errors import InvalidInput, NotPermitted, TransitionNotAllowed
from qa_portal.core.models import utcnow
from qa_portal.core.states import SYSTEM, StateMachine, Transition
from qa_portal.decisions.models import FactualCheck, FactualPoint
from qa_portal.decisions.models import FactualCheckState as F
from qa_portal.dossiers import locks, notices
from qa_portal.dossiers.models import Dossier, DossierState
from qa_portal.extensions import db
from qa_portal.notifications.operations import notify, provider_members
from qa_portal.reviews import findings as panel_findings
from qa_portal.reviews.models import ReviewRound
from qa_portal.reviews.policy import current_policy
from qa_portal.reviews.rounds import require_round

PROVIDER = "provider"
OFFICER = "qa_officer"
MAX_POINTS = 50

FACTUAL_CHECK_MACHINE = StateMachine(
    "factual-accuracy check",
    [
        Transition("comment", (F.SENT,), F.COMMENTED, (PROVIDER,), "Send the comments"),
        Transition("expire", (F.SENT,), F.EXPIRED, (SYSTEM, OFFICER), "Expire"),
        Transition("close", (F.COMMENTED, F.EXPIRED), F.CLOSED, (OFFICER,), "Close the check"),
    ],
    phrases={
        F.SENT: "waiting for the provider's comments",
        F.COMMENTED: "answered by the provider",
        F.EXPIRED: "expired without an answer",
        F.CLOSED: "closed",
    },
)


def uses_factual_check() -> bool:
    return current_policy().factual_accuracy_days > 0


def check_of(round_: ReviewRound | None) -> FactualCheck | None:
    if round_ is None or round_.id is None:
        return None
    return db.session.execute(
        sa.select(FactualCheck).where(FactualCheck.round_id == round_.id)
    ).scalar()


def _require_officer(actor: User) -> None:
    if not actor.has_role(Role.QA_OFFICER):
        raise NotPermitted("Only QA officers may do this.")


# -- sending the draft --------------------------------------------------------------------
def draft_refused_because(dossier: Dossier) -> str | None:
    """Why the draft report cannot be sent now (None: it can)."""
    days = current_policy().factual_accuracy_days
    if days <= 0:
        return "The review policy has no factual-accuracy check (0 days)."
    if dossier.state != DossierState.DECISION_PENDING:
        return (
            "The draft report is sent once the round is closed and the dossier waits for "
            f"its decision; it is {dossier.state.label.lower()}."
        )
    round_ = dossier.current_round
    existing = check_of(round_)
    if existing is not None:
        return f"The draft report was already sent on {existing.sent_at:%d %B %Y}."
    if not panel_findings.is_complete(panel_findings.findings_of(round_)):
        return "Write the panel's findings first: a judgement on every criterion and a summary."
    return None


def send_draft(actor: User, dossier: Dossier) -> FactualCheck:
    """Send the draft report to the provider, who may point out errors of fact until the due
    date (today + the policy's days)."""
    _require_officer(actor)
    locks.lock_dossier(dossier)
    round_ = require_round(dossier)
    problem = draft_refused_because(dossier)
    if problem:
        raise TransitionNotAllowed(problem)
    days = current_policy().factual_accuracy_days
    check = FactualCheck(
        dossier_id=dossier.id,
        round=round_,
        sent_by=actor,
        due_date=clock.today() + timedelta(days=days),
        state=F.SENT,
    )
    db.session.add(check)
    db.session.flush()
    audit.record(
        actor,
        "factual_check.send",
        check,
        dossier_id=dossier.id,
        round=round_.number,
        due_date=check.due_date,
    )
    notify(
        provider_members(dossier.organisation_id),
        "draft_report",
        f"Draft report on {dossier.reference}: check it for errors of fact",
        f"The QA body sends you the draft report on “{dossier.display_title}”: the panel's "
        "findings, the proposed outcome and conditions. Point out any error of fact, and "
        f"add a statement for the final report if you wish, by {check.due_date:%d %B %Y}.",
        "factual.draft",
        dossier_id=dossier.id,
    )
    return check


# -- the provider's comments --------------------------------------------------------------
def _points(rows: list[dict[str, Any]]) -> list[tuple[str, str]]:
    cleaned = []
    for n, row in enumerate(rows, start=1):
        location = (row.get("location") or "").strip()
        text = (row.get("text") or "").strip()
        if not location and not text:
            continue
        if not text:
            raise InvalidInput(f"Point {n}: describe the error of fact.")
        cleaned.append((location[:200], text))
    if len(cleaned) > MAX_POINTS:
        raise InvalidInput(f"At most {MAX_POINTS} points.")
    return cleaned


def expire_if_overdue(check: FactualCheck, actor: User | None = None) -> bool:
    """Expire a check whose period has passed without an answer; True if it did now."""
    if not check.is_overdue(clock.today()):
        return False
    expire_check(check, actor)
    return True


def expire_check(check: FactualCheck, actor: User | None = None) -> None:
    """The period passed without the provider's answer: tell the case officer."""
    role = OFFICER if actor is not None else SYSTEM
    FACTUAL_CHECK_MACHINE.fire(check, "expire", actor=actor, role=role, dossier_id=check.dossier_id)
    dossier = check.dossier
    notices.tell_case_officer(
        dossier,
        "factual_check_expired",
        f"No factual-accuracy comments on {dossier.reference}",
        f"The provider did not comment on the draft report of {dossier.reference} by "
        f"{check.due_date:%d %B %Y}. Close the check, then decide.",
    )


def submit_comments(
    actor: User,
    check: FactualCheck,
    *,
    points: list[dict[str, Any]],
    statement: str = "",
    no_errors: bool = False,
) -> FactualCheck:
    """The provider's answer to the draft: errors of fact pointed out, a statement for the
    final report, or "no errors of fact" — once, before the due date."""
    dossier = check.dossier
    if not dossier.is_member(actor):
        raise NotPermitted("Only members of the provider organisation comment on the draft.")
    locks.lock_dossier(dossier)
    FACTUAL_CHECK_MACHINE.check(check, "comment", PROVIDER)
    if check.due_date < clock.today():
        raise TransitionNotAllowed(
            f"The period to comment on the draft report ended on {check.due_date:%d %B %Y}."
        )
    cleaned = _points(points)
    statement = (statement or "").strip()
    if no_errors and cleaned:
        raise InvalidInput(
            "You confirmed there is no error of fact but listed points: remove them, or send "
            "the points."
        )
    if not no_errors and not cleaned and not statement:
        raise InvalidInput("Point out at least one error of fact, or confirm there is none.")
    for position, (location, text) in enumerate(cleaned, start=1):
        check.points.append(FactualPoint(position=position, location=location, text=text))
    check.statement = statement
    check.no_errors = no_errors
    check.commented_by = actor
    check.commented_at = utcnow()
    FACTUAL_CHECK_MACHINE.fire(
        check,
        "comment",
        actor=actor,
        role=PROVIDER,
        dossier_id=dossier.id,
        points=[{"location": loc, "text": text} for loc, text in cleaned],
        statement=statement,
        no_errors=no_errors,
    )
    summary = (
        "no error of fact"
        if no_errors
        else f"{len(cleaned)} point(s)" + (" and a statement" if statement else "")
    )
    notices.tell_case_officer(
        dossier,
        "factual_comments",
        f"Factual-accuracy comments on {dossier.reference}",
        f"The provider answered the draft report of {dossier.reference}: {summary}. "
        "Answer each point, correct the findings where needed, and close the check.",
    )
    return check


# -- the officer's answers ----------------------------------------------------------------
def answer_point(actor: User, point: FactualPoint, *, accepted: bool, answer: str) -> None:
    """Accept a point (saying what was corrected) or not (with the reason); the answer may
    change until the check is closed."""
    _require_officer(actor)
    check = point.check
    locks.lock_dossier(check.dossier)
    if check.state != F.COMMENTED:
        raise TransitionNotAllowed(
            f"This factual-accuracy check is {FACTUAL_CHECK_MACHINE.describe(check.state)}; "
            "its points can no longer be answered."
        )
    answer = (answer or "").strip()
    if not answer:
        raise InvalidInput(
            "Say what was corrected in the findings."
            if accepted
            else "Give the reason why the point is not accepted."
        )
    point.accepted = accepted
    point.answer = answer
    point.answered_by = actor
    point.answered_at = utcnow()
    db.session.flush()
    audit.record(
        actor,
        "factual_point.answer",
        point,
        dossier_id=check.dossier_id,
        position=point.position,
        accepted=accepted,
        answer=answer,
    )


def close_check(actor: User, check: FactualCheck) -> FactualCheck:
    """Close the check once every point is answered (or its period passed without an
    answer); the provider is told the answers."""
    _require_officer(actor)
    dossier = check.dossier
    locks.lock_dossier(dossier)
    expire_if_overdue(check, actor)
    FACTUAL_CHECK_MACHINE.check(check, "close", OFFICER)
    open_points = check.unanswered
    if open_points:
        raise TransitionNotAllowed(
            "Answer every point before closing the check: "
            + ", ".join(f"point {p.position}" for p in open_points)
            + " still open."
        )
    check.closed_by = actor
    check.closed_at = utcnow()
    FACTUAL_CHECK_MACHINE.fire(check, "close", actor=actor, role=OFFICER, dossier_id=dossier.id)
    lines = [
        f"Point {p.position} ({p.location or 'no location'}): "
        + ("accepted — " if p.accepted else "not accepted — ")
        + p.answer
        for p in check.points
    ]
    notices.tell_providers(
        dossier,
        "factual_check_closed",
        f"Factual-accuracy check of {dossier.reference} closed",
        "The QA body has answered your comments on the draft report; the decision follows."
        + ("\n\n" + "\n".join(lines) if lines else ""),
    )
    return check


# -- the decision gate, reminders and the report ------------------------------------------
def check_ready_for_decision(round_: ReviewRound) -> None:
    """Refuse (409) to decide a round whose draft report has not been through its closed
    factual-accuracy check, when the policy has the step."""
    if not uses_factual_check():
        return
    check = check_of(round_)
    if check is None:
        raise TransitionNotAllowed(
            "The review policy gives the provider a factual-accuracy check of the draft "
            "report before the decision: send the draft report first."
        )
    if check.state != F.CLOSED:
        raise TransitionNotAllowed(
            f"The factual-accuracy check is {FACTUAL_CHECK_MACHINE.describe(check.state)} "
            f"(due {check.due_date:%d %B %Y}); close it before deciding."
        )


def remind(on: date, reminder_days: int, send: Callable) -> None:
    """The provider is reminded before the due date; when it has passed, the check expires
    and the case officer is told (each once, through the reminders job's ``send``)."""
    rows = (
        db.session.execute(
            sa.select(FactualCheck)
            .join(Dossier, Dossier.id == FactualCheck.dossier_id)
            .where(
                FactualCheck.state == F.SENT,
                Dossier.state == DossierState.DECISION_PENDING,
            )
        )
        .scalars()
        .all()
    )
    for check in rows:
        d = check.dossier
        if check.due_date < on:
            send(
                f"factual-expired:{check.id}:{check.due_date}",
                lambda c=check: expire_check(c),
                "factual_check_expired",
            )
        elif check.due_date - timedelta(days=reminder_days) <= on:
            send(
                f"factual-due:{check.id}:{check.due_date}",
                lambda c=check, d=d: notify(
                    provider_members(d.organisation_id),
                    "reminder",
                    f"Reminder: the draft report on {d.reference}",
                    f"You may point out errors of fact in the draft report on {d.reference} "
                    f"until {c.due_date:%d %B %Y}.",
                    "factual.draft",
                    dossier_id=d.id,
                ),
                "factual_check_due",
            )


def report_data(round_: ReviewRound) -> dict[str, Any] | None:
    """The provider's statement and the answered points, for the final report."""
    check = check_of(round_)
    if check is None or check.state in (F.SENT,):
        return None
    return {
        "statement": check.statement,
        "no_errors": check.no_errors,
        "expired": check.commented_at is None,
        "sent": check.sent_at.date(),
        "due": check.due_date,
        "points": [
            {
                "location": p.location,
                "text": p.text,
                "accepted": p.accepted,
                "answer": p.answer,
            }
            for p in check.points
        ],
    }


OUTCOME_OF_PROPOSAL = {
    "approve": "approved",
    "approve_with_conditions": "approved_with_conditions",
    "revise_and_resubmit": "revise_and_resubmit",
    "reject": "rejected",
}


def proposal_from_findings(round_: ReviewRound | None) -> dict[str, Any]:
    """The decision form's starting values from the panel's proposal: the outcome and the
    proposed conditions (empty when there are no findings)."""
    findings = panel_findings.findings_of(round_)
    if findings is None:
        return {}
    proposal: dict[str, Any] = {}
    if findings.proposed_outcome:
        proposal["outcome"] = OUTCOME_OF_PROPOSAL[findings.proposed_outcome.value]
    if findings.conditions:
        proposal["conditions"] = [{"text": t, "due_date": None} for t in findings.conditions]
    return proposal


def draft_data(dossier: Dossier) -> dict[str, Any] | None:
    """What the draft report shows (plain data; no reviewer named)."""
    round_ = dossier.current_round
    findings = panel_findings.findings_data(round_) if round_ else None
    if findings is None:
        return None
    version = round_.version
    return {
        "title": version.snapshot.get("title") or dossier.display_title,
        "provider": dossier.organisation.name,
        "reference": dossier.reference,
        "round": round_.number,
        "version": version.number,
        "rubric_version": round_.rubric.number if round_.rubric else None,
        "reviewers": sum(1 for a in round_.assignments if a.state.value == "submitted"),
        "findings": findings,
    }
