"""The QA body's follow-up decision on a condition not met (extend it, or withdraw the
approval), from the dossier page; and what the dossier page's follow-up section shows
(``templates/decisions/_case_follow_up.html``)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, abort, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, RadioField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from qa_portal.accounts.models import Role
from qa_portal.core import clock
from qa_portal.core.db import commit
from qa_portal.core.errors import InvalidInput, TransitionNotAllowed
from qa_portal.core.forms import choices, strip_filter
from qa_portal.core.permissions import roles_required
from qa_portal.core.responses import done
from qa_portal.decisions import follow_up
from qa_portal.decisions.models import Condition, ConditionState, FollowUpAction
from qa_portal.decisions.operations import latest_decision
from qa_portal.dossiers.models import Dossier
from qa_portal.dossiers.views import dossier_or_404
from qa_portal.dossiers.workflow import APPROVED, DOSSIER_MACHINE
from qa_portal.extensions import db

bp = Blueprint("follow_up", __name__, url_prefix="/dossiers/<int:dossier_id>")


class FollowUpForm(FlaskForm):
    """The QA body's answer to a condition not met."""

    condition_id = IntegerField("Condition", validators=[DataRequired("Choose the condition.")])
    action = RadioField(
        "Follow-up decision",
        choices=choices(
            [
                (FollowUpAction.EXTEND.value, "Extend the condition (new due date)"),
                (FollowUpAction.WITHDRAW.value, "Withdraw the approval"),
            ]
        ),
        validators=[DataRequired("Choose to extend the condition or withdraw the approval.")],
    )
    new_due_date = DateField("New due date (to extend)", validators=[Optional()])
    reason = TextAreaField(
        "Reason (told to the provider; published with a withdrawal)",
        validators=[DataRequired("Give the reason."), Length(max=follow_up.MAX_REASON)],
        filters=[strip_filter],
    )


def _problem(form: FlaskForm) -> InvalidInput:
    messages = [
        f"{form[name].label.text}: {'; '.join(map(str, errs))}"
        for name, errs in form.errors.items()
        if name in form and errs
    ]
    return InvalidInput(" ".join(messages) or "The form is incomplete.")


@bp.post("/follow-up")
@roles_required(Role.QA_OFFICER)
def decide(dossier_id: int):
    dossier = dossier_or_404(dossier_id)
    if dossier.state not in APPROVED:  # 409 with the reason, before reading the form
        raise TransitionNotAllowed(
            f"This dossier is {DOSSIER_MACHINE.describe(dossier.state)}; a follow-up "
            "decision is taken on an approval with conditions."
        )
    form = FollowUpForm()
    if not form.validate_on_submit():
        raise _problem(form)  # 400 with the message, as the dossier page's inline forms
    condition = db.session.get(Condition, form.condition_id.data)
    if condition is None or condition.decision.dossier_id != dossier.id:
        abort(404)
    row = follow_up.decide_follow_up(
        current_user,
        condition,
        action=form.action.data,
        reason=form.reason.data or "",
        new_due_date=form.new_due_date.data,
    )
    commit()
    if row.action == FollowUpAction.EXTEND:
        message = (
            f"Condition {condition.position} extended to {row.new_due_date:%d %B %Y}; the "
            "provider has been told."
        )
    else:
        message = "The approval is withdrawn and the listing revoked; the provider has been told."
    return done(
        message,
        url_for("cases.show", dossier_id=dossier.id, _anchor="follow-up"),
        action=row.action.value,
        condition_state=condition.state.value,
        dossier_state=dossier.state.value,
    )


@bp.app_template_global()
def condition_badge(condition: Condition, today: date, closed: bool = False) -> tuple[str, str]:
    """For the catalogue and dossier pages: ``(css name, label)`` of a condition's public
    state (overdue, not met pending the follow-up decision, or its state)."""
    return follow_up.condition_badge(condition, today, closed)


@bp.app_template_global()
def follow_up_of(dossier: Dossier) -> dict[str, Any] | None:
    """For the dossier page: the decision in force's conditions that need the QA body's
    attention, the follow-up decisions taken, and what the viewer may do; None when the
    decision has no conditions."""
    decision = latest_decision(dossier)
    if decision is None or not decision.conditions:
        return None
    today = clock.today()
    officer = current_user.is_authenticated and current_user.has_role(Role.QA_OFFICER)
    approved = dossier.state in APPROVED
    return {
        "decision": decision,
        "today": today,
        "rows": follow_up.follow_ups_of(decision),
        "withdrawn": follow_up.withdrawal_of(decision),
        "public_note": follow_up.public_note(decision, today),
        # open conditions whose due date is reached: the officer may mark them not met
        "due_without_evidence": [
            c
            for c in decision.conditions
            if officer and approved and c.state == ConditionState.OPEN and c.due_date <= today
        ],
        "not_met": [
            c for c in decision.conditions if approved and c.state == ConditionState.NOT_MET
        ],
        "can_decide": bool(officer and approved),
        "min_due": date.fromordinal(today.toordinal() + 1),
    }
