"""The draft report and its factual-accuracy check: the officer sends the draft; the provider
reads it and points out errors of fact; the officer answers each point and closes the check."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request, url_for
from flask_login import current_user, login_required

from qa_portal.accounts.models import Role
from qa_portal.core import clock
from qa_portal.core.db import commit
from qa_portal.core.errors import DomainError, InvalidInput, TransitionNotAllowed, wants_json
from qa_portal.core.permissions import roles_required
from qa_portal.core.responses import done
from qa_portal.decisions import factual_accuracy
from qa_portal.decisions.factual_forms import AnswerForm, CommentsForm
from qa_portal.decisions.models import FactualCheck, FactualCheckState, FactualPoint
from qa_portal.dossiers.models import Dossier, DossierState
from qa_portal.dossiers.views import dossier_or_404
from qa_portal.extensions import db

bp = Blueprint("factual", __name__, url_prefix="/dossiers/<int:dossier_id>")


@bp.app_template_global()
def factual_check_of(dossier: Dossier) -> FactualCheck | None:
    """The factual-accuracy check of the dossier's current round (for the dossier page)."""
    return factual_accuracy.check_of(dossier.current_round)


@bp.app_template_global()
def draft_refused_because(dossier: Dossier) -> str | None:
    return factual_accuracy.draft_refused_because(dossier)


@bp.app_template_global()
def factual_gate_problem(dossier: Dossier) -> str | None:
    """Why the round cannot be decided yet because of its factual-accuracy check."""
    round_ = dossier.current_round
    if round_ is None:
        return None
    try:
        factual_accuracy.check_ready_for_decision(round_)
    except TransitionNotAllowed as exc:
        return exc.message
    return None


@bp.app_template_global()
def draft_step_due(dossier: Dossier) -> bool:
    """The policy has the factual-accuracy step and the dossier waits for its decision."""
    return factual_accuracy.uses_factual_check() and dossier.state == DossierState.DECISION_PENDING


def _back(dossier: Dossier) -> str:
    return url_for("cases.show", dossier_id=dossier.id, _anchor="factual-accuracy")


def _check_or_404(dossier: Dossier) -> FactualCheck:
    check = factual_accuracy.check_of(dossier.current_round)
    if check is None:
        abort(404)
    return check


# -- the officer sends the draft ----------------------------------------------------------
@bp.post("/draft-report/send")
@roles_required(Role.QA_OFFICER)
def send(dossier_id: int):
    dossier = dossier_or_404(dossier_id)
    check = factual_accuracy.send_draft(current_user, dossier)
    commit()
    return done(
        f"The draft report is sent; the provider may comment until {check.due_date:%d %B %Y}.",
        _back(dossier),
        state=check.state.value,
    )


# -- the provider's draft page ------------------------------------------------------------
def _draft_page(dossier: Dossier, check: FactualCheck | None, form: CommentsForm, status=200):
    return render_template(
        "decisions/draft_report.html",
        dossier=dossier,
        check=check,
        draft=factual_accuracy.draft_data(dossier),
        form=form,
        is_member=dossier.is_member(current_user),
        overdue=check is not None and check.is_overdue(clock.today()),
    ), status


@bp.route("/draft-report", methods=["GET", "POST"])
@login_required
def draft(dossier_id: int):
    """The provider reads the draft and sends points, a statement or "no errors of fact"; QA
    staff read the same page (a preview before it is sent)."""
    dossier = dossier_or_404(dossier_id)
    check = factual_accuracy.check_of(dossier.current_round)
    if request.method == "GET":
        if check is None and not (current_user.is_staff and factual_accuracy.draft_data(dossier)):
            abort(404)
        return _draft_page(dossier, check, CommentsForm(formdata=None))
    if not dossier.is_member(current_user):
        abort(403 if current_user.is_staff else 404)
    if check is None:
        abort(404)
    if factual_accuracy.expire_if_overdue(check):
        commit()
        raise TransitionNotAllowed(
            f"The period to comment on the draft report ended on {check.due_date:%d %B %Y}."
        )
    form = CommentsForm()
    if request.form.get("row_action") == "add-point":
        form.points.append_entry()
        return _draft_page(dossier, check, form)
    no_errors = "no_errors" in request.form
    if not form.validate_on_submit():
        if wants_json():
            raise InvalidInput("Not sent: correct the fields marked on the form.")
        return _draft_page(dossier, check, form, 400)
    try:
        factual_accuracy.submit_comments(
            current_user,
            check,
            points=[e.form.data for e in form.points.entries],
            statement=form.statement.data or "",
            no_errors=no_errors,
        )
    except DomainError as exc:
        if wants_json():
            raise
        db.session.rollback()
        dossier = dossier_or_404(dossier_id)
        check = _check_or_404(dossier)
        form.form_errors.append(exc.message)
        return _draft_page(dossier, check, form, exc.status_code)
    commit()
    return done(
        "Thank you: your comments on the draft report are sent to the QA body.",
        url_for("factual.draft", dossier_id=dossier.id),
        state=check.state.value,
    )


# -- the officer answers and closes -------------------------------------------------------
def _answers_page(dossier, check, forms: dict[int, AnswerForm], status=200):
    for point in check.points:
        if point.id not in forms:
            forms[point.id] = AnswerForm(
                formdata=None,
                data={
                    "verdict": None
                    if point.accepted is None
                    else ("accepted" if point.accepted else "not_accepted"),
                    "answer": point.answer,
                },
                prefix=f"p{point.id}",
            )
    return render_template(
        "decisions/factual_answers.html",
        dossier=dossier,
        check=check,
        forms=forms,
        can_answer=check.state == FactualCheckState.COMMENTED,
        closable=check.awaits_officer or check.is_overdue(clock.today()),
    ), status


@bp.route("/factual-accuracy", methods=["GET", "POST"])
@roles_required(Role.QA_OFFICER)
def answers(dossier_id: int):
    dossier = dossier_or_404(dossier_id)
    check = _check_or_404(dossier)
    if request.method == "GET":
        return _answers_page(dossier, check, {})
    try:
        point_id = int(request.form.get("point_id", ""))
    except ValueError:
        raise InvalidInput("Choose the point to answer.") from None
    point = db.session.get(FactualPoint, point_id)
    if point is None or point.check_id != check.id:
        abort(404)
    form = AnswerForm(prefix=f"p{point.id}")
    if not form.validate_on_submit():
        if wants_json():
            raise InvalidInput("Not saved: choose the answer and explain it.")
        return _answers_page(dossier, check, {point.id: form}, 400)
    try:
        factual_accuracy.answer_point(
            current_user,
            point,
            accepted=form.verdict.data == "accepted",
            answer=form.answer.data or "",
        )
    except DomainError as exc:
        if wants_json():
            raise
        db.session.rollback()
        dossier = dossier_or_404(dossier_id)
        check = _check_or_404(dossier)
        form.form_errors.append(exc.message)
        return _answers_page(dossier, check, {point_id: form}, exc.status_code)
    commit()
    return done(
        f"Point {point.position} answered.",
        url_for("factual.answers", dossier_id=dossier.id, _anchor=f"point-{point.position}"),
    )


@bp.post("/factual-accuracy/close")
@roles_required(Role.QA_OFFICER)
def close(dossier_id: int):
    dossier = dossier_or_404(dossier_id)
    check = _check_or_404(dossier)
    factual_accuracy.close_check(current_user, check)
    commit()
    return done(
        "The factual-accuracy check is closed; the provider has been told. You can now decide.",
        _back(dossier),
        state=check.state.value,
    )
