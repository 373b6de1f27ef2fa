"""Follow-up of conditions with teeth (ESG 2.3).

Rules enforced here: a condition marked not met (on its evidence, or without evidence once
its due date is reached: ``operations.verify_condition``) waits for the QA body's follow-up
decision, taken by a QA officer on the decision in force while the microcredential is
approved: either extend the condition (a reason and a new due date in the future; the
condition is open again) or withdraw the approval (a reason; the dossier ends ``withdrawn``
and the catalogue revokes its listing). Each follow-up decision is recorded
(``ConditionFollowUp``), audited, told to the provider, and announced by
``signals.condition_followed_up`` (the catalogue updates the listing, reports queue a new
revision). Every check runs before anything changes.

Overdue is computed from the dates when read (``Condition.is_overdue``), never stored: the
listing page, the API, the feed, the exports and the report all ask these functions.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa

from qa_portal.accounts.models import Role, User
from qa_portal.core import audit, clock, signals
from qa_portal.core.errors import InvalidInput, NotPermitted, TransitionNotAllowed
from qa_portal.decisions.models import (
    Condition,
    ConditionFollowUp,
    ConditionState,
    Decision,
    FollowUpAction,
)
from qa_portal.decisions.operations import latest_decision
from qa_portal.decisions.workflow import CONDITION_MACHINE
from qa_portal.dossiers import locks, notices
from qa_portal.dossiers.workflow import APPROVED, DOSSIER_MACHINE
from qa_portal.extensions import db

MAX_REASON = 2000
PENDING_NOTE = "Condition not met — follow-up decision pending"


# -- reading --------------------------------------------------------------------------------
def follow_ups_of(decision: Decision) -> list[ConditionFollowUp]:
    """The follow-up decisions taken on ``decision``'s conditions, oldest first."""
    return list(
        db.session.execute(
            sa.select(ConditionFollowUp)
            .join(Condition, Condition.id == ConditionFollowUp.condition_id)
            .where(Condition.decision_id == decision.id)
            .order_by(ConditionFollowUp.decided_at, ConditionFollowUp.id)
        ).scalars()
    )


def withdrawal_of(decision: Decision) -> ConditionFollowUp | None:
    """The withdrawal of ``decision``'s approval, if the QA body withdrew it."""
    return db.session.execute(
        sa.select(ConditionFollowUp)
        .join(Condition, Condition.id == ConditionFollowUp.condition_id)
        .where(
            Condition.decision_id == decision.id,
            ConditionFollowUp.action == FollowUpAction.WITHDRAW,
        )
        .limit(1)
    ).scalar()


def condition_badge(condition: Condition, today: date, closed: bool = False) -> tuple[str, str]:
    """A condition's state as the public reads it, ``(css name, label)``: overdue, and "not
    met, follow-up decision pending", are said as such (``closed``: the approval has ended,
    nothing is pending any more)."""
    if condition.is_overdue(today) and not closed:
        return "overdue", "Overdue"
    if condition.state == ConditionState.NOT_MET and not closed:
        return "not_met", "Not met — follow-up decision pending"
    return condition.state.value, condition.state.label


def public_note(decision: Decision, today: date) -> str:
    """What a listing says besides its status while conditions are open: a condition not met
    awaiting the QA body's decision, or overdue conditions; "" when neither."""
    conditions = decision.conditions
    if any(c.state == ConditionState.NOT_MET for c in conditions):
        return PENDING_NOTE
    overdue = [c for c in conditions if c.is_overdue(today)]
    if len(overdue) == 1:
        return f"Condition overdue since {overdue[0].due_date:%d %B %Y}"
    if overdue:
        return f"{len(overdue)} conditions overdue"
    return ""


def report_section(decision: Decision, today: date | None = None) -> dict[str, Any]:
    """The report's follow-up section (key ``follow_up``): every condition's current state,
    its extensions, and the withdrawal of the approval if any. Plain data, no names."""
    today = today or clock.today()
    rows = follow_ups_of(decision)
    extensions: dict[int, list[dict[str, Any]]] = {}
    withdrawn = None
    for row in rows:
        if row.action == FollowUpAction.WITHDRAW:
            withdrawn = {"date": row.decided_at.date(), "reason": row.reason}
        else:
            extensions.setdefault(row.condition_id, []).append(
                {
                    "date": row.decided_at.date(),
                    "previous_due": row.previous_due_date,
                    "new_due": row.new_due_date,
                    "reason": row.reason,
                }
            )
    return {
        "as_of": today,
        "conditions": [
            {
                "position": c.position,
                "text": c.text,
                "due": c.due_date,
                "state": c.state.label,
                "status": condition_badge(c, today, closed=withdrawn is not None)[1],
                "overdue": c.is_overdue(today) and withdrawn is None,
                "verified_at": c.verified_at.date() if c.verified_at else None,
                "note": c.verification_note,
                "extensions": extensions.get(c.id, []),
            }
            for c in decision.conditions
        ],
        "withdrawn": withdrawn,
    }


# -- deciding -------------------------------------------------------------------------------
def _checked(actor: User, condition: Condition, reason: str) -> str:
    """The reason, once ``actor`` may take a follow-up decision on ``condition`` now: a QA
    officer, a condition not met, of the decision in force, on an approved dossier."""
    if not actor.has_role(Role.QA_OFFICER):
        raise NotPermitted("Only QA officers decide the follow-up of a condition.")
    decision = condition.decision
    dossier = decision.dossier
    locks.lock_dossier(dossier)
    if condition.state != ConditionState.NOT_MET:
        raise TransitionNotAllowed(
            f"Condition {condition.position} is {CONDITION_MACHINE.describe(condition.state)}; "
            "a follow-up decision is taken on a condition marked not met."
        )
    in_force = latest_decision(dossier)
    if in_force is None or in_force.id != decision.id or dossier.state not in APPROVED:
        raise TransitionNotAllowed(
            f"This dossier is {DOSSIER_MACHINE.describe(dossier.state)}; the approval with "
            "this condition is no longer in force."
        )
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("Give the reason for the follow-up decision.")
    if len(reason) > MAX_REASON:
        raise InvalidInput("Keep the reason under 2,000 characters.")
    return reason


def _record(
    actor: User, condition: Condition, action: FollowUpAction, reason: str, new_due: date | None
) -> ConditionFollowUp:
    row = ConditionFollowUp(
        condition=condition,
        action=action,
        reason=reason,
        previous_due_date=condition.due_date,
        new_due_date=new_due,
        decided_by=actor,
    )
    db.session.add(row)
    db.session.flush()
    audit.record(
        actor,
        f"condition.follow_up.{action.value}",
        row,
        dossier_id=condition.decision.dossier_id,
        decision_id=condition.decision_id,
        condition_id=condition.id,
        reason=reason,
        previous_due_date=row.previous_due_date,
        new_due_date=new_due,
    )
    return row


def extend_condition(
    actor: User, condition: Condition, *, new_due_date: date | None, reason: str
) -> ConditionFollowUp:
    """The QA body gives a condition not met a new due date (in the future), with a reason:
    the condition is open again and the provider is told."""
    reason = _checked(actor, condition, reason)
    CONDITION_MACHINE.check(condition, "extend", "qa_officer")
    if new_due_date is None:
        raise InvalidInput("Give the new due date.")
    if new_due_date <= clock.today():
        raise InvalidInput("The new due date must be in the future.")
    row = _record(actor, condition, FollowUpAction.EXTEND, reason, new_due_date)
    dossier = condition.decision.dossier
    CONDITION_MACHINE.fire(
        condition,
        "extend",
        actor=actor,
        role="qa_officer",
        values={"due_date": new_due_date, "verified_at": None, "verified_by_id": None},
        dossier_id=dossier.id,
        previous_due_date=row.previous_due_date,
        new_due_date=new_due_date,
        reason=reason,
    )
    signals.condition_followed_up.send(row, actor=actor)
    notices.tell_providers(
        dossier,
        "condition_extended",
        f"Condition {condition.position} of {dossier.reference}: new due date",
        f"The QA body extended condition {condition.position} (“{condition.text}”), which "
        f"was not met. It is now due on {new_due_date:%d %B %Y}.\n\n{reason}",
    )
    return row


def withdraw_approval(actor: User, condition: Condition, *, reason: str) -> ConditionFollowUp:
    """The QA body withdraws the approval because ``condition`` was not met, with a public
    reason: the dossier ends ``withdrawn``, the catalogue revokes the listing (through the
    signal) and the provider is told."""
    reason = _checked(actor, condition, reason)
    dossier = condition.decision.dossier
    DOSSIER_MACHINE.check(dossier, "withdraw_approval", "qa_officer")
    row = _record(actor, condition, FollowUpAction.WITHDRAW, reason, None)
    DOSSIER_MACHINE.fire(
        dossier,
        "withdraw_approval",
        actor=actor,
        role="qa_officer",
        decision_id=condition.decision_id,
        condition_id=condition.id,
        reason=reason,
    )
    signals.condition_followed_up.send(row, actor=actor)
    notices.tell_providers(
        dossier,
        "approval_withdrawn",
        f"Approval of {dossier.reference} withdrawn",
        f"Condition {condition.position} (“{condition.text}”) was not met. The QA body "
        f"withdrew the approval of “{dossier.title}”; it is no longer listed as approved in "
        f"the public catalogue.\n\n{reason}",
    )
    return row


def decide_follow_up(
    actor: User,
    condition: Condition,
    *,
    action: str,
    reason: str,
    new_due_date: date | None = None,
) -> ConditionFollowUp:
    """Extend the condition or withdraw the approval (``action``: extend / withdraw)."""
    if action == FollowUpAction.EXTEND.value:
        return extend_condition(actor, condition, new_due_date=new_due_date, reason=reason)
    if action == FollowUpAction.WITHDRAW.value:
        return withdraw_approval(actor, condition, reason=reason)
    raise InvalidInput("Choose whether to extend the condition or withdraw the approval.")
