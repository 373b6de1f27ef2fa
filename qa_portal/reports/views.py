"""Report pages: generate (QA), progress and download, and the public verification page."""

from __future__ import annotations

import hashlib

from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user

from qa_portal.accounts.models import Role
from qa_portal.core import audit, clock, storage
from qa_portal.core.db import commit, writes_on_get
from qa_portal.core.errors import InvalidInput
from qa_portal.core.permissions import roles_required
from qa_portal.core.responses import done
from qa_portal.decisions.models import Decision
from qa_portal.dossiers import queries
from qa_portal.extensions import db, limiter
from qa_portal.reports import operations, signing
from qa_portal.reports.models import Report, ReportStatus, ReportVariant

bp = Blueprint("reports", __name__)


@bp.app_template_global()
def report_panel(dossier) -> dict:
    """For ``templates/reports/_panel.html`` on the dossier page: the dossier's reviewed
    decisions with the reports the current user may see, and whether they may generate."""
    return operations.panel_for(current_user, dossier)


def _report_or_404(report_id: int) -> Report:
    report = db.session.get(Report, report_id)
    if report is None or not operations.can_view(current_user, report):
        abort(404)
    return report


@bp.post("/dossiers/<int:dossier_id>/reports")
@roles_required(Role.QA_OFFICER, Role.QA_ADMIN)
def generate(dossier_id: int):
    dossier = queries.dossier_for(current_user, dossier_id)
    if dossier is None:
        abort(404)
    try:
        decision = db.session.get(Decision, int(request.form.get("decision_id", "")))
        variant = ReportVariant(request.form.get("variant", ""))
    except ValueError:
        raise InvalidInput("Choose the decision and the variant (public or internal).") from None
    if decision is None or decision.dossier_id != dossier.id:
        abort(404)
    report = operations.request_report(current_user, decision, variant)
    commit()
    return done(
        f"{variant.label} revision {report.revision} is being rendered.",
        url_for("reports.show", report_id=report.id),
        report_id=report.id,
    )


@bp.get("/reports/<int:report_id>")
def show(report_id: int):
    report = _report_or_404(report_id)
    return render_template("reports/show.html", report=report, stuck=operations.is_stuck(report))


@bp.get("/reports/<int:report_id>/status")
def status(report_id: int):
    report = _report_or_404(report_id)
    body = {"status": report.status.value, "ready": report.is_ready}
    if (
        report.status == ReportStatus.FAILED
        and current_user.is_authenticated
        and current_user.is_staff
    ):
        body["error"] = report.error
    if report.is_ready:
        body.update(
            download=url_for("reports.download", report_id=report.id),
            sha256=report.sha256,
            pages=report.pages,
        )
    return jsonify(body)


@bp.get("/reports/<int:report_id>/download")
@writes_on_get  # the access log: an audit entry
def download(report_id: int):
    report = _report_or_404(report_id)
    if not report.is_ready:
        abort(404)
    if current_user.is_authenticated and current_user.is_staff:
        audit.record(current_user, "report.download", report, variant=report.variant.value)
        commit()
    response = send_file(
        storage.path_of(report.stored_name, kind="reports"),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=report.filename,
        max_age=0,
        etag=report.sha256,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.post("/reports/<int:report_id>/retry")
@roles_required(Role.QA_OFFICER, Role.QA_ADMIN)
def retry(report_id: int):
    report = _report_or_404(report_id)
    operations.retry_report(current_user, report)
    commit()
    return done("Rendering again.", url_for("reports.show", report_id=report_id))


# -- public verification ------------------------------------------------------------------
def _not_found(code: str):
    """ "No report has this code": the form again with what was typed, why it cannot be a
    code (or that none has it), and the code's format (404). A report not yet rendered is
    answered the same way: its existence is not revealed."""
    problem = operations.code_problem(code)
    error = "No report has this code." + (f" {problem}" if problem else " Check it and try again.")
    return _start_page(code=code, error=error), 404


def _ready_report(code: str) -> Report | None:
    report = operations.by_code(code)
    return report if report is not None and report.is_ready else None


@bp.route("/verify", methods=["GET", "POST"])
@limiter.limit("30 per minute", methods=["POST"])
def verify_start():
    """Look a report up by its code, or by the PDF itself (its SHA-256): a file that is no
    issued report is said to be so, with what its signature, if any, tells."""
    if request.method == "POST":
        upload = request.files.get("file")
        data = upload.read() if upload else b""  # compared in memory, never stored
        try:
            report = operations.by_file(data)
        except InvalidInput as exc:
            return _start_page(file_error=exc.message), 400
        if report is not None:
            return _verify_page(report, result=True, error=None)
        return _start_page(unknown_file=_upload_signature(data))
    code = request.args.get("code", "").strip()[:100]
    if code:
        if _ready_report(code) is None:
            return _not_found(code)
        return redirect(url_for("reports.verify", code=operations.normalise_code(code)))
    return _start_page()


def _start_page(**context):
    """The lookup page: by code, or by the file; ``context`` says what went wrong."""
    values = {"code": "", "error": None, "file_error": None, "unknown_file": None}
    return render_template(
        "reports/verify_start.html", code_format=operations.CODE_FORMAT, **(values | context)
    )


def _upload_signature(data: bytes) -> dict:
    """What an uploaded file that is no issued report carries: its signature, if any."""
    return {
        "sha256": hashlib.sha256(data).hexdigest(),
        "signature": _as_shown(signing.signature_of(data)),
    }


@bp.route("/verify/<code>", methods=["GET", "POST"])
@limiter.limit("30 per minute", methods=["POST"])
def verify(code: str):
    report = _ready_report(code)
    if report is None:
        return _not_found(code[:100])
    result, error = None, None
    if request.method == "POST":
        upload = request.files.get("file")
        data = upload.read() if upload else b""  # compared in memory, never stored
        try:
            result = operations.verify_bytes(report, data)
        except InvalidInput as exc:
            error = exc.message
    return _verify_page(report, result, error)


def _verify_page(report: Report, result: bool | None, error: str | None):
    return render_template(
        "reports/verify.html",
        report=report,
        result=result,
        error=error,
        listing=operations.listing_record(report, clock.today()),
        signature=_signature_of(report),
        **_newer(report),
    ), (400 if error else 200)


def _signature_of(report: Report) -> dict | None:
    """The report's digital signature as the page shows it — a dict with ``signer``,
    ``organisation``, ``signed_at`` and ``valid`` (intact, trusted, the only signature and
    covering the whole file) — or None (the page then says nothing of a signature)."""
    try:
        info = signing.signature_of(operations.read(report))
    except OSError:  # the stored file is unreadable: the page still gives the SHA-256
        current_app.logger.exception("report %s: its stored file cannot be read", report.id)
        return None
    return _as_shown(info)


def _as_shown(info) -> dict | None:
    """A signature as the pages show it: signer, organisation, time, and whether it holds."""
    if info is None:
        return None
    return {
        "signer": info.signer_name,
        "organisation": info.signer_organisation,
        "signed_at": info.signed_at,
        "valid": info.is_sound,
    }


def _newer(report: Report) -> dict:
    """What supersedes ``report``: a later rendered revision of the same decision and
    variant (``newer``), and, when the decision itself was superseded (overturned on
    appeal), the report of the decision in force (``current``)."""
    return {
        "newer": operations.newer_revision(report),
        "current": operations.current_decision_report(report),
    }
