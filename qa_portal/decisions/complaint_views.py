"""Complaints pages (``/complaints``): file one, see one's own (QA admins: all), handle
them; and the dossier page's complaints card (``complaints_of``)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request, send_file, url_for
from flask_login import current_user, login_required

from qa_portal.accounts.models import Role, User
from qa_portal.core import clock, storage
from qa_portal.core.db import commit, writes_on_get
from qa_portal.core.errors import DomainError, InvalidInput
from qa_portal.core.permissions import roles_required
from qa_portal.core.responses import done
from qa_portal.decisions import complaints
from qa_portal.decisions.complaint_forms import (
    AcknowledgeForm,
    ComplaintForm,
    ResolveForm,
    id_choices,
)
from qa_portal.decisions.models import Complaint, ComplaintState
from qa_portal.decisions.workflow import COMPLAINT_MACHINE
from qa_portal.dossiers.models import Dossier
from qa_portal.extensions import db

bp = Blueprint("complaints", __name__, url_prefix="/complaints")


@bp.app_template_global()
def complaints_of(dossier: Dossier) -> list[Complaint]:
    """For ``decisions/_case_complaints.html``: QA admins see the complaints about the
    dossier; others none (they see their own at /complaints/)."""
    if not current_user.is_authenticated or not current_user.has_role(Role.QA_ADMIN):
        return []
    return complaints.complaints_about(dossier)


def _complaint_or_404(complaint_id: int) -> Complaint:
    complaint = db.session.get(Complaint, complaint_id)
    if complaint is None or not complaints.can_see(current_user, complaint):
        abort(404)
    return complaint


@bp.get("/")
@login_required
def index():
    state = request.args.get("state") or None
    if state not in {s.value for s in ComplaintState}:
        state = None
    overdue = request.args.get("overdue") == "1"
    rows = complaints.complaints_for(current_user, state=state, overdue=overdue)
    return render_template(
        "decisions/complaints.html",
        rows=rows,
        state=state,
        overdue=overdue,
        states=list(ComplaintState),
        admin=current_user.has_role(Role.QA_ADMIN),
        today=clock.today(),
    )


def _fill_choices(form: ComplaintForm) -> None:
    form.dossier.choices = id_choices(
        (
            (d.id, f"{d.reference} — {d.display_title}")
            for d in complaints.dossier_choices(current_user)
        ),
        "— none —",
    )
    form.subject.choices = id_choices(
        ((u.id, u.name) for u in complaints.subject_choices(current_user)),
        "— nobody in particular —",
    )


def _chosen(model, value: str | None):
    """The object a validated select names (its choices are what the user may name)."""
    return db.session.get(model, int(value)) if value and value.isdigit() else None


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    form = ComplaintForm()
    _fill_choices(form)
    if request.method == "GET" and request.args.get("dossier"):
        form.dossier.data = request.args["dossier"]
    status = 200
    if form.validate_on_submit():
        upload = form.attachment.data
        attachment = (upload.filename, upload.read()) if upload and upload.filename else None
        try:
            complaint = complaints.file_complaint(
                current_user,
                category=form.category.data,
                text=form.text.data,
                dossier=_chosen(Dossier, form.dossier.data),
                subject=_chosen(User, form.subject.data),
                attachment=attachment,
            )
        except DomainError as exc:
            db.session.rollback()
            field = form.attachment if isinstance(exc, complaints.AttachmentRefused) else form.text
            field.errors = [exc.message]
            status = exc.status_code
        else:
            commit()
            return done(
                f"Your complaint is lodged (number {complaint.id}). The QA body acknowledges it "
                f"by {complaint.ack_due:%d %B %Y}.",
                url_for("complaints.show", complaint_id=complaint.id),
                complaint_id=complaint.id,
            )
    elif request.method == "POST":
        status = 400
    return render_template("decisions/complaint_new.html", form=form), status


@bp.get("/<int:complaint_id>")
@login_required
def show(complaint_id: int):
    complaint = _complaint_or_404(complaint_id)
    ack = AcknowledgeForm()
    ack.handler.choices = id_choices(
        ((u.id, u.name) for u in complaints.eligible_handlers(complaint)), "— myself —"
    )
    roles = {r.value for r in current_user.roles}
    if current_user.id == complaint.complainant_id:
        roles.add("complainant")
    return render_template(
        "decisions/complaint.html",
        complaint=complaint,
        actions={t.action for t in COMPLAINT_MACHINE.available(complaint.state, roles)},
        may_handle=complaints.may_handle(current_user, complaint),
        ack_form=ack,
        resolve_form=ResolveForm(),
        today=clock.today(),
    )


@bp.post("/<int:complaint_id>/acknowledge")
@roles_required(Role.QA_ADMIN)
def acknowledge(complaint_id: int):
    complaint = _complaint_or_404(complaint_id)
    form = AcknowledgeForm()
    form.handler.choices = id_choices(
        ((u.id, u.name) for u in complaints.eligible_handlers(complaint)), "— myself —"
    )
    form.validate_on_submit()
    value = request.form.get("handler") or ""
    handler = db.session.get(User, int(value)) if value.isdigit() else None
    if value and handler is None:
        raise InvalidInput("Choose a QA admin as handler.")
    complaints.acknowledge_complaint(current_user, complaint, handler)
    commit()
    return done(
        "Complaint acknowledged; the complainant has been told.",
        url_for("complaints.show", complaint_id=complaint.id),
        state=complaint.state.value,
    )


@bp.post("/<int:complaint_id>/resolve")
@roles_required(Role.QA_ADMIN)
def resolve(complaint_id: int):
    complaint = _complaint_or_404(complaint_id)
    form = ResolveForm()
    if not form.validate_on_submit():
        messages = [e for errs in form.errors.values() for e in errs]
        raise InvalidInput(" ".join(map(str, messages)) or "Complete the form.")
    complaints.resolve_complaint(
        current_user, complaint, outcome=form.outcome.data, response=form.response.data
    )
    commit()
    return done(
        "Complaint resolved; the complainant has the response.",
        url_for("complaints.show", complaint_id=complaint.id),
        state=complaint.state.value,
    )


@bp.post("/<int:complaint_id>/withdraw")
@login_required
def withdraw(complaint_id: int):
    complaint = _complaint_or_404(complaint_id)
    complaints.withdraw_complaint(current_user, complaint)
    commit()
    return done(
        "Your complaint is withdrawn.",
        url_for("complaints.show", complaint_id=complaint.id),
        state=complaint.state.value,
    )


@bp.get("/<int:complaint_id>/attachment")
@writes_on_get  # the access log: an audit entry
@login_required
def attachment(complaint_id: int):
    complaint = _complaint_or_404(complaint_id)
    if not complaint.attachment_stored_name:
        abort(404)
    path = storage.path_of(complaint.attachment_stored_name)
    if not path.is_file():
        current_app.logger.error("complaint attachment %s is missing from storage", path.name)
        abort(404)
    complaints.record_attachment_download(current_user, complaint)
    commit()
    response = send_file(
        path,
        mimetype="application/pdf",
        as_attachment=True,
        download_name=complaint.attachment_name,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "sandbox"
    return response
