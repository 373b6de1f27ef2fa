"""Deciding a round, following conditions, appeals; and the screening actions."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user, login_required

from qa_portal.accounts.models import Role
from qa_portal.core import storage
from qa_portal.core.db import commit, writes_on_get
from qa_portal.core.errors import DomainError, InvalidInput, TransitionNotAllowed, wants_json
from qa_portal.core.permissions import roles_required
from qa_portal.core.responses import done
from qa_portal.decisions import factual_accuracy, forms, operations
from qa_portal.decisions.models import Condition, ConditionFile
from qa_portal.decisions.workflow import CONDITION_MACHINE
from qa_portal.dossiers import quota
from qa_portal.dossiers.models import Dossier, DossierState
from qa_portal.dossiers.views import dossier_or_404, member_dossier_or_403
from qa_portal.dossiers.workflow import DOSSIER_MACHINE
from qa_portal.extensions import db
from qa_portal.reviews import moderation
from qa_portal.reviews.deciding_body import decides_in_committee
from qa_portal.reviews.models import AssignmentState
from qa_portal.reviews.policy import current_policy

bp = Blueprint("decisions", __name__, url_prefix="/dossiers/<int:dossier_id>")


def _back(dossier: Dossier, anchor: str = "") -> str:
    return url_for("cases.show", dossier_id=dossier.id, _anchor=anchor or None)


def _condition(dossier: Dossier, condition_id: int) -> Condition:
    condition = db.session.get(Condition, condition_id)
    if condition is None or condition.decision.dossier_id != dossier.id:
        abort(404)
    return condition


# -- decision (QA officer) ----------------------------------------------------------------
def _form_problem(form) -> InvalidInput:
    """A form's field errors as one message (for JSON clients)."""
    messages = [
        f"{form[name].label.text}: {'; '.join(map(str, errs))}"
        for name, errs in form.errors.items()
        if name in form and errs
    ]
    return InvalidInput(" ".join(messages) or "The form is incomplete.")


def require_decision_pending(dossier: Dossier) -> None:
    if dossier.state != DossierState.DECISION_PENDING:
        raise TransitionNotAllowed(
            f"This dossier is {DOSSIER_MACHINE.describe(dossier.state)}; it can be decided "
            "only while it is waiting for a decision."
        )


@bp.route("/decide", methods=["GET", "POST"])
@roles_required(Role.QA_OFFICER)
def decide(dossier_id: int):
    dossier = dossier_or_404(dossier_id)
    require_decision_pending(dossier)  # 409: no decision form for a dossier not ready for one
    # the form starts from the panel's proposal (outcome, conditions), if it made one
    proposal = factual_accuracy.proposal_from_findings(dossier.current_round)
    form = forms.DecisionForm(data=proposal if request.method == "GET" else None)
    status = 200
    if request.method == "POST":

        def decide_now(values):
            decision = operations.decide_round(current_user, dossier, **values)
            commit()
            return done(
                f"Decision recorded: {decision.outcome.label.lower()}. The provider has been told.",
                _back(dossier, "decision"),
                decision_id=decision.id,
                state=dossier.state.value,
            )

        answer, dossier, status = post_decision_form(dossier, form, decide_now)
        if answer is not None:
            return answer
    elif decides_in_committee(current_policy()):  # the officer proposes instead
        return redirect(url_for("committee.propose", dossier_id=dossier.id))
    return decision_page(dossier, form, status)


def post_decision_form(dossier: Dossier, form, act) -> tuple[Any, Dossier, int]:
    """A POST of the decision form (the officer's decision, or the proposal to the
    committee): a condition row added, or the form checked and ``act(values)`` called (it
    commits and returns the response). Otherwise ``(None, dossier, status)`` for the page:
    the dossier loaded again after a refusal, whose message the form shows."""
    if request.form.get("row_action") == "add-condition":
        form.conditions.append_entry()
        return None, dossier, 200
    if not form.validate_on_submit():
        if wants_json():
            raise _form_problem(form)
        return None, dossier, 400
    values = {
        "outcome": form.outcome.data,
        "rationale": form.rationale.data,
        "validity_years": form.validity_years.data,
        "conditions": [e.form.data for e in form.conditions.entries],
    }
    try:
        return act(values), dossier, 200
    except DomainError as exc:
        if wants_json():
            raise
        db.session.rollback()
        form.form_errors.append(exc.message)
        return None, dossier_or_404(dossier.id), exc.status_code


def decision_page(dossier: Dossier, form, status: int, *, proposing: bool = False, **extra):
    """The decision form (``proposing``: the proposal to the committee, the same form;
    ``extra``: more for the template)."""
    round_ = dossier.current_round
    stats = moderation.round_statistics(round_) if round_ else []
    return render_template(
        "decisions/decide.html",
        dossier=dossier,
        form=form,
        stats=stats,
        policy=current_policy(),
        unmoderated=[s for s in stats if s.divergent and not s.notes],
        no_reviews=not any(a.state == AssignmentState.SUBMITTED for a in round_.assignments),
        barred=not proposing and current_user.id in operations.barred_deciders(dossier),
        proposing=proposing,
        **extra,
    ), status


# -- conditions ---------------------------------------------------------------------------
@bp.route("/conditions/<int:condition_id>/evidence", methods=["GET", "POST"])
@login_required
def condition_evidence(dossier_id: int, condition_id: int):
    """The provider's evidence for a condition. The dossier page carries the same form; a
    refused submission comes back here, with what was typed and the reason by its field."""
    dossier = member_dossier_or_403(dossier_id)
    condition = _condition(dossier, condition_id)
    CONDITION_MACHINE.check(condition, "submit_evidence", "provider")  # 409 with the reason
    form = forms.EvidenceForm()
    status = 200
    if form.validate_on_submit():
        files = [(f.filename, f.read()) for f in (form.files.data or []) if f and f.filename]
        try:
            operations.submit_condition_evidence(
                current_user, condition, form.note.data or "", files
            )
        except InvalidInput as exc:
            if wants_json():
                raise
            db.session.rollback()
            dossier = member_dossier_or_403(dossier_id)
            condition = _condition(dossier, condition_id)
            field = form.files if isinstance(exc, quota.FileRefused) else form.note
            field.errors = [exc.message]
            status = exc.status_code
        else:
            commit()
            return done(
                f"Evidence for condition {condition.position} submitted; the QA body will "
                "verify it.",
                _back(dossier, "conditions"),
                state=condition.state.value,
            )
    elif request.method == "POST":
        if wants_json():
            raise _form_problem(form)
        status = 400
    return render_template(
        "decisions/condition_evidence.html",
        dossier=dossier,
        condition=condition,
        form=form,
        storage_usage=quota.storage_usage(dossier.organisation_id),
        upload_limit=storage.megabytes(current_app.config["EVIDENCE_MAX_BYTES"]),
        max_files=quota.max_files_per_request(),
    ), status


@bp.post("/conditions/<int:condition_id>/verify")
@roles_required(Role.QA_OFFICER)
def condition_verify(dossier_id: int, condition_id: int):
    dossier = dossier_or_404(dossier_id)
    condition = _condition(dossier, condition_id)
    form = forms.VerifyForm()
    form.validate_on_submit()
    verdict = request.form.get("verdict")
    if verdict not in ("met", "not_met"):
        raise InvalidInput("Choose whether the condition is met.")
    operations.verify_condition(
        current_user, condition, met=verdict == "met", note=form.note.data or ""
    )
    commit()
    return done(
        f"Condition {condition.position} marked {verdict.replace('_', ' ')}.",
        _back(dossier, "conditions"),
        state=condition.state.value,
    )


@bp.get("/conditions/<int:condition_id>/files/<int:file_id>")
@writes_on_get  # the access log: an audit entry
@login_required
def condition_file(dossier_id: int, condition_id: int, file_id: int):
    dossier = dossier_or_404(dossier_id)
    condition = _condition(dossier, condition_id)
    evidence = db.session.get(ConditionFile, file_id)
    if evidence is None or evidence.condition_id != condition.id:
        abort(404)
    path = storage.path_of(evidence.stored_name)
    if not path.is_file():
        current_app.logger.error("condition evidence %s is missing from storage", path.name)
        abort(404)
    operations.record_condition_download(current_user, condition, evidence)
    commit()
    response = send_file(
        path,
        mimetype="application/pdf",
        as_attachment=True,
        download_name=evidence.original_name,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "sandbox"
    return response


# -- appeals ------------------------------------------------------------------------------
@bp.route("/appeal", methods=["GET", "POST"])
@login_required
def appeal(dossier_id: int):
    dossier = member_dossier_or_403(dossier_id)
    # 409 with the reason (not appealable, period over, already appealed) before any form.
    decision = operations.appealable_decision(dossier)
    form = forms.AppealForm()
    status = 200
    if form.validate_on_submit():
        try:
            operations.lodge_appeal(current_user, dossier, form.grounds.data)
        except DomainError as exc:
            if wants_json():
                raise
            db.session.rollback()
            dossier = member_dossier_or_403(dossier_id)
            decision = operations.latest_decision(dossier)
            form.form_errors.append(exc.message)
            status = exc.status_code
        else:
            commit()
            return done(
                "Your appeal is lodged. The appeals committee, whose members had no part in the "
                "decision, will decide it.",
                _back(dossier, "appeal"),
                state=dossier.state.value,
            )
    elif request.method == "POST":
        if wants_json():
            raise _form_problem(form)
        status = 400
    return render_template(
        "decisions/appeal.html", dossier=dossier, form=form, decision=decision
    ), status
