"""Dossier pages: the provider's dashboard, the QA body's queue, authoring, live completeness,
files, submit, versions, diff."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
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
from qa_portal.core.errors import DomainError, InvalidInput, StaleObject, wants_json
from qa_portal.core.permissions import roles_required
from qa_portal.dossiers import completeness, forms, isced, operations, queries, quota
from qa_portal.dossiers.diff import diff_snapshots
from qa_portal.dossiers.models import Dossier, EvidenceFile, label_of
from qa_portal.dossiers.snapshot import dossier_to_dict
from qa_portal.dossiers.workflow import DOSSIER_MACHINE
from qa_portal.extensions import db

bp = Blueprint("dossiers", __name__, url_prefix="/dossiers")
bp.add_app_template_filter(isced.name_of, "isced")
bp.add_app_template_filter(label_of, "label")


def dossier_or_404(dossier_id: int, *, full: bool = False) -> Dossier:
    """The dossier if this user may see it; 404 otherwise (never reveal that it exists)."""
    dossier = queries.dossier_for(current_user, dossier_id, full=full)
    if dossier is None:
        abort(404)
    return dossier


def editable_or_404(dossier_id: int, *, full: bool = False) -> Dossier:
    """A dossier of the user's organisation (QA staff: 403, others: 404)."""
    dossier = dossier_or_404(dossier_id, full=full)
    if not dossier.is_member(current_user):
        abort(404 if not current_user.is_staff else 403)
    return dossier


def member_dossier_or_403(dossier_id: int) -> Dossier:
    """A visible dossier of the user's organisation; 403 for anyone else who may see it."""
    dossier = dossier_or_404(dossier_id)
    if not dossier.is_member(current_user):
        abort(403)
    return dossier


@bp.route("/new", methods=["GET", "POST"])
@roles_required(Role.PROVIDER)
def new():
    form = forms.NewDossierForm()
    if form.validate_on_submit():
        dossier = operations.create_dossier(current_user, form.title.data)
        commit()
        flash(
            "Draft created. Fill in the sections; the checklist shows what is missing.", "success"
        )
        return redirect(url_for("dossiers.edit", dossier_id=dossier.id))
    return render_template("dossiers/new.html", form=form), 400 if form.errors else 200


def _edit_form(dossier: Dossier) -> forms.DossierForm:
    if request.method == "POST":
        return forms.DossierForm()
    data = forms.DossierForm.form_data_from(dossier_to_dict(dossier))
    return forms.DossierForm(data={**data, "lock_version": dossier.lock_version})


def _render_edit(
    dossier: Dossier,
    form: forms.DossierForm,
    status: int = 200,
    conflict: dict | None = None,
    upload_form: forms.UploadForm | None = None,
):
    data = {**dossier_to_dict(dossier), **form.to_data()}
    findings = completeness.check(data)
    # The trailing "-" matters: WTForms adds no separator after a prefix ending in "_", and
    # the rows the script adds must be named like the server's ("outcomes-3-statement").
    row_templates = {
        "outcomes": forms.OutcomeForm(prefix="outcomes-__index__-"),
        "assessments": forms.AssessmentForm(prefix="assessments-__index__-"),
        "prerequisites": forms.PrerequisiteForm(prefix="prerequisites-__index__-"),
        "stackability": forms.StackabilityForm(prefix="stackability-__index__-"),
    }
    return render_template(
        "dossiers/edit.html",
        dossier=dossier,
        form=form,
        findings=findings,
        upload_form=upload_form or forms.UploadForm(formdata=None),
        upload_limit=storage.megabytes(current_app.config["EVIDENCE_MAX_BYTES"]),
        storage_usage=quota.storage_usage(dossier.organisation_id),
        conflict=conflict,
        row_templates=row_templates,
        submit_label=DOSSIER_MACHINE.label_of(operations.submit_action(dossier)),
    ), status


@bp.route("/<int:dossier_id>/edit", methods=["GET", "POST"])
@login_required
def edit(dossier_id: int):
    dossier = editable_or_404(dossier_id, full=True)
    if not dossier.is_editable:
        if request.method == "POST":
            operations.require_editable(current_user, dossier)  # 409 with the reason
        flash(f"This dossier is {dossier.state.label.lower()} and cannot be edited now.", "info")
        return redirect(url_for("cases.show", dossier_id=dossier.id))
    form = _edit_form(dossier)
    if request.method == "GET":
        return _render_edit(dossier, form)
    row_action = request.form.get("row_action")
    if row_action:
        form.apply_row_action(row_action)
        return _render_edit(dossier, form)
    if not form.validate_on_submit():
        flash("Not saved: please correct the fields marked below.", "error")
        return _render_edit(dossier, form, 400)
    try:
        changes = operations.save_dossier(
            current_user, dossier, form.to_data(), form.lock_version.data
        )
    except StaleObject as exc:
        db.session.rollback()
        dossier = db.session.get(Dossier, dossier_id)
        theirs = diff_snapshots(
            dossier_to_dict(dossier), {**dossier_to_dict(dossier), **form.to_data()}
        )
        form.lock_version.data = dossier.lock_version  # saving again keeps this user's input
        return _render_edit(
            dossier, form, 409, conflict={"message": exc.message, "differences": theirs.summary()}
        )
    commit()
    flash("Saved." if changes else "Saved (no changes).", "success")
    return redirect(url_for("dossiers.edit", dossier_id=dossier.id))


@bp.post("/<int:dossier_id>/check")
@login_required
def check(dossier_id: int):
    """Live completeness check of the form as it is now, without saving it."""
    dossier = editable_or_404(dossier_id, full=True)
    form = forms.DossierForm()
    form.validate()
    data = {**dossier_to_dict(dossier), **form.to_data()}
    findings = completeness.check(data)
    return jsonify(
        errors=[f.as_dict() for f in completeness.errors(findings)],
        warnings=[f.as_dict() for f in completeness.warnings(findings)],
        html=render_template("dossiers/_checklist.html", findings=findings),
    )


@bp.post("/<int:dossier_id>/files")
@login_required
def upload(dossier_id: int):
    dossier = editable_or_404(dossier_id, full=True)
    form = forms.UploadForm()
    if not form.validate_on_submit():
        message = "; ".join(e for errs in form.errors.values() for e in errs)
        flash(f"File not uploaded: {message}", "error")
        return _render_edit(dossier, _edit_form_for_get(dossier), 400, upload_form=form)
    file = form.file.data
    try:
        evidence = operations.add_evidence_file(
            current_user, dossier, form.kind.data, file.filename, file.read()
        )
    except InvalidInput as exc:
        db.session.rollback()
        if wants_json():
            raise  # the error handler answers with the reason
        flash(f"File not uploaded: {exc.message}", "error")
        form.file.errors = [exc.message]  # shown next to the file field as well
        return _render_edit(dossier, _edit_form_for_get(dossier), 400, upload_form=form)
    commit()
    flash(f"{evidence.original_name} uploaded (SHA-256 {evidence.sha256[:12]}…).", "success")
    return redirect(url_for("dossiers.edit", dossier_id=dossier.id, _anchor="files"))


def _edit_form_for_get(dossier: Dossier) -> forms.DossierForm:
    data = forms.DossierForm.form_data_from(dossier_to_dict(dossier))
    return forms.DossierForm(formdata=None, data={**data, "lock_version": dossier.lock_version})


def _file_or_404(dossier: Dossier, file_id: int) -> EvidenceFile:
    evidence = db.session.get(EvidenceFile, file_id)
    if evidence is None or evidence.dossier_id != dossier.id:
        abort(404)
    return evidence


@bp.post("/<int:dossier_id>/files/<int:file_id>/remove")
@login_required
def remove_file(dossier_id: int, file_id: int):
    dossier = editable_or_404(dossier_id)
    evidence = _file_or_404(dossier, file_id)
    name = evidence.original_name
    kept_for = operations.remove_evidence_file(current_user, dossier, evidence)
    commit()
    if kept_for:
        numbers = ", ".join(str(n) for n in kept_for)
        flash(
            f"{name} removed from the draft. It stays stored for submitted version {numbers}, "
            "which refers to it.",
            "success",
        )
    else:
        flash(f"{name} removed from the dossier and deleted.", "success")
    return redirect(url_for("dossiers.edit", dossier_id=dossier.id, _anchor="files"))


@bp.get("/<int:dossier_id>/files/<int:file_id>")
@writes_on_get  # the access log: an audit entry
@login_required
def download(dossier_id: int, file_id: int):
    dossier = dossier_or_404(dossier_id)
    evidence = _file_or_404(dossier, file_id)
    path = storage.path_of(evidence.stored_name)
    if not path.is_file():
        current_app.logger.error("evidence file %s is missing from storage", evidence.stored_name)
        abort(404)
    operations.record_download(current_user, dossier, evidence)
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


@bp.route("/<int:dossier_id>/submit", methods=["GET", "POST"])
@login_required
def submit(dossier_id: int):
    dossier = editable_or_404(dossier_id, full=True)
    # Refuse (409) before showing a submit button the state would not honour.
    DOSSIER_MACHINE.check(dossier, operations.submit_action(dossier), "provider")
    form = forms.ConfirmForm()
    status = 200
    if request.method == "POST" and form.validate_on_submit():
        try:
            version = operations.submit_dossier(current_user, dossier, form.lock_version.data)
        except DomainError as exc:
            db.session.rollback()
            dossier = editable_or_404(dossier_id, full=True)
            flash(exc.message, "error")
            status = exc.status_code
        else:
            commit()
            flash(
                f"Submitted as version {version.number}; the QA body will now screen it.", "success"
            )
            return redirect(
                url_for("dossiers.version", dossier_id=dossier.id, number=version.number)
            )
    data = dossier_to_dict(dossier)
    findings = completeness.check(data)
    form.lock_version.data = dossier.lock_version
    previous = dossier.latest_version
    changes = diff_snapshots(previous.snapshot, data) if previous else None
    return render_template(
        "dossiers/submit.html", dossier=dossier, form=form, findings=findings, changes=changes
    ), status


@bp.get("/<int:dossier_id>/versions/<int:number>")
@login_required
def version(dossier_id: int, number: int):
    dossier = dossier_or_404(dossier_id)
    version = queries.version(dossier, number)
    if version is None:
        abort(404)
    data = version.snapshot
    previous = queries.version(dossier, number - 1) if number > 1 else None
    return render_template(
        "dossiers/version.html",
        dossier=dossier,
        version=version,
        data=data,
        findings=completeness.check(data),
        changes=diff_snapshots(previous.snapshot, data) if previous else None,
        previous=previous,
    )
