"""The page where the case officer or the panel's chair writes the panel's findings, informed
by the round's reviews (under their public aliases)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, render_template, request, url_for
from flask_login import current_user, login_required

from qa_portal.accounts.models import Role
from qa_portal.core.db import commit
from qa_portal.core.errors import DomainError, InvalidInput, TransitionNotAllowed, wants_json
from qa_portal.core.responses import done
from qa_portal.dossiers.models import Dossier
from qa_portal.extensions import db
from qa_portal.reviews import findings as panel_findings
from qa_portal.reviews.findings_forms import FindingsForm
from qa_portal.reviews.models import PanelFindings, ReviewRound
from qa_portal.reviews.rubric import SCORE_LABELS

bp = Blueprint("findings", __name__, url_prefix="/dossiers/<int:dossier_id>/findings")


@bp.app_template_global()
def findings_of(dossier: Dossier) -> PanelFindings | None:
    """The panel's findings on the dossier's current round (for the dossier page)."""
    return panel_findings.findings_of(dossier.current_round)


@bp.app_template_global()
def findings_data_of(dossier: Dossier) -> dict | None:
    """The findings on the dossier's current round as plain data (read-only views)."""
    round_ = dossier.current_round
    return panel_findings.findings_data(round_) if round_ is not None else None


@bp.app_template_global()
def can_write_findings_now(round_: ReviewRound | None) -> bool:
    """Whether the signed-in user may write the round's findings now (links and buttons)."""
    return (
        round_ is not None
        and panel_findings.can_write_findings(current_user, round_)
        and panel_findings.not_writable_because(current_user, round_) is None
    )


def _round_or_404(dossier_id: int) -> tuple[Dossier, ReviewRound]:
    """The dossier's current round, if the user may write its findings: 404 for whoever may
    not know the dossier (providers of other organisations, reviewers off its panel), 403
    for the others who may see it."""
    dossier = db.session.get(Dossier, dossier_id)
    if dossier is None:
        abort(404)
    round_ = dossier.current_round
    on_panel = round_ is not None and any(
        a.reviewer_id == current_user.id and a.is_on_panel for a in round_.assignments
    )
    if not (dossier.can_view(current_user) or on_panel):
        abort(404)
    if round_ is None or not panel_findings.can_write_findings(current_user, round_):
        abort(403)
    return dossier, round_


def _form_data(findings: PanelFindings | None, round_: ReviewRound) -> dict:
    by_criterion = {c.criterion_id: c for c in (findings.criteria if findings else [])}
    return {
        "lock_version": findings.lock_version if findings else 0,
        "summary": findings.summary if findings else "",
        "strengths": findings.strengths if findings else "",
        "recommendations": (findings.recommendations if findings else []) or [""],
        "conditions": (findings.conditions if findings else []) or [""],
        "proposed_outcome": findings.proposed_outcome.value
        if findings and findings.proposed_outcome
        else "",
        "criteria": [
            {
                "criterion_id": c.id,
                "judgement": str(by_criterion[c.id].judgement)
                if c.id in by_criterion and by_criterion[c.id].judgement
                else None,
                "text": by_criterion[c.id].text if c.id in by_criterion else "",
            }
            for c in round_.rubric.criteria
        ],
    }


def _criteria_values(form: FindingsForm) -> dict[int, dict]:
    values = {}
    for entry in form.criteria.entries:
        try:
            criterion_id = int(entry.form.criterion_id.data)
        except (TypeError, ValueError):
            raise InvalidInput("The form is incomplete; reload the page.") from None
        values[criterion_id] = {
            "judgement": entry.form.judgement.data,
            "text": entry.form.text.data,
        }
    return values


def _after_save(dossier: Dossier) -> str:
    if current_user.has_role(Role.QA_OFFICER):
        return url_for("cases.show", dossier_id=dossier.id, _anchor="findings")
    return url_for("findings.edit", dossier_id=dossier.id)


@bp.route("", methods=["GET", "POST"])
@login_required
def edit(dossier_id: int):
    dossier, round_ = _round_or_404(dossier_id)
    findings = panel_findings.findings_of(round_)
    problem = panel_findings.not_writable_because(current_user, round_)
    if problem and (request.method == "POST" or findings is None):
        raise TransitionNotAllowed(problem)
    status = 200
    if request.method == "POST":
        form = FindingsForm()
        if request.form.get("row_action") == "add-recommendation":
            form.recommendations.append_entry()
        elif request.form.get("row_action") == "add-condition":
            form.conditions.append_entry()
        elif form.validate_on_submit():
            try:
                panel_findings.save_findings(
                    current_user,
                    round_,
                    summary=form.summary.data or "",
                    strengths=form.strengths.data or "",
                    recommendations=list(form.recommendations.data),
                    conditions=list(form.conditions.data),
                    proposed_outcome=form.proposed_outcome.data,
                    criteria=_criteria_values(form),
                    lock_version=form.lock_version.data,
                )
            except DomainError as exc:
                if wants_json():
                    raise
                db.session.rollback()
                dossier, round_ = _round_or_404(dossier_id)
                findings = panel_findings.findings_of(round_)
                form.form_errors.append(exc.message)
                status = exc.status_code
            else:
                commit()
                return done("The panel's findings are saved.", _after_save(dossier))
        else:
            if wants_json():
                raise InvalidInput("Not saved: correct the fields marked on the form.")
            status = 400
            flash("Not saved: please correct the fields marked below.", "error")
    else:
        form = FindingsForm(data=_form_data(findings, round_))
    return render_template(
        "reviews/findings.html",
        dossier=dossier,
        round_=round_,
        form=form,
        findings=findings,
        fdata=panel_findings.findings_data(round_) if problem else None,
        readonly=problem,
        criteria=round_.rubric.criteria,
        reviews=panel_findings.reviews_by_criterion(round_),
        recommendations=panel_findings.recommendations_by_alias(round_),
        score_labels=SCORE_LABELS,
        is_officer=current_user.has_role(Role.QA_OFFICER),
    ), status
