"""Pages of the processes that span dossiers, reviews and decisions: each role's home, the QA
admin's dashboard, the QA body's work queue, the dossier page (the whole case), screening
(take up, return, desk-reject), the provider's moves back to draft and withdrawal."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required

from qa_portal.accounts.models import Role
from qa_portal.accounts.queries import users_with_role
from qa_portal.cases import dashboards, queue, screening, withdrawal
from qa_portal.catalogue.queries import publication_view
from qa_portal.core import clock
from qa_portal.core.db import commit
from qa_portal.core.errors import InvalidInput
from qa_portal.core.pagination import paginate
from qa_portal.core.permissions import roles_required
from qa_portal.core.responses import done
from qa_portal.decisions import forms as decision_forms
from qa_portal.decisions.queries import case_view
from qa_portal.dossiers import completeness
from qa_portal.dossiers import forms as dossier_forms
from qa_portal.dossiers.models import Dossier
from qa_portal.dossiers.snapshot import dossier_to_dict
from qa_portal.dossiers.views import dossier_or_404, editable_or_404, member_dossier_or_403
from qa_portal.dossiers.workflow import DOSSIER_MACHINE, next_action

bp = Blueprint("cases", __name__)

HOME_BY_ROLE = (
    (Role.PROVIDER, "cases.dashboard"),
    (Role.QA_OFFICER, "cases.queue"),
    (Role.QA_ADMIN, "cases.admin_dashboard"),
    (Role.REVIEWER, "reviews.dashboard"),
    (Role.COMMITTEE, "committee.index"),
    (Role.APPEALS_COMMITTEE, "appeals.index"),
)


def _back(dossier: Dossier, anchor: str = "") -> str:
    return url_for("cases.show", dossier_id=dossier.id, _anchor=anchor or None)


@bp.get("/")
def index():
    """Signed-in people land on what needs their action (their first role in this order)."""
    if current_user.is_authenticated:
        for role, endpoint in HOME_BY_ROLE:
            if current_user.has_role(role):
                return redirect(url_for(endpoint))
    return render_template("cases/index.html")


@bp.get("/admin/")
@roles_required(Role.QA_ADMIN)
def admin_dashboard():
    """The QA admin's home: registrations to handle, accounts, rubric version and policy."""
    return render_template("cases/admin_dashboard.html", **dashboards.admin_overview())


@bp.get("/dossiers/")
@roles_required(Role.PROVIDER, Role.QA_OFFICER, Role.QA_ADMIN)
def dashboard():
    """The provider's dossiers and what needs their action; QA staff go to the queue."""
    if current_user.has_role(Role.PROVIDER) and current_user.organisation_id:
        today = clock.today()
        return render_template(
            "dossiers/dashboard.html",
            organisation=current_user.organisation,
            today=today,
            **dashboards.provider_home(current_user.organisation_id, today),
        )
    if not current_user.is_staff:
        # A provider account not attached to an organisation has no dossiers to show, and
        # must never fall through to the QA body's list of every submitted dossier.
        return render_template("dossiers/dashboard.html", rows=[], organisation=None)
    # Only the queue's own filters travel along (never url_for's options such as _scheme).
    args = {k: v for k, v in request.args.items() if k in queue.QueueFilterForm.FIELDS}
    return redirect(url_for("cases.queue", **args))


@bp.get("/dossiers/queue", endpoint="queue")
@roles_required(Role.QA_OFFICER, Role.QA_ADMIN)
def queue_page():
    """The QA body's queue: filters, pagination, flags per row; for officers, what needs
    their action, each count linking to the filtered queue."""
    officers = users_with_role(Role.QA_OFFICER, active_only=False)
    form = queue.QueueFilterForm(request.args, officers)
    today = clock.today()
    is_officer = current_user.has_role(Role.QA_OFFICER)
    counts = queue.action_counts(current_user.id, today) if is_officer else None
    if not form.validate():
        return render_template(
            "cases/queue.html",
            form=form,
            page=None,
            rows=[],
            counts=counts,
            needs=queue.NEEDS,
            need_help=queue.NEED_HELP,
        ), 400
    page = paginate(
        queue.queue_query(form.filters(), current_user.id, today),
        per_page=current_app.config.get("QUEUE_PAGE_SIZE", 25),
        page=form.page.data or 1,
    )
    return render_template(
        "cases/queue.html",
        form=form,
        page=page,
        rows=queue.queue_rows(list(page.items), current_user.id, today),
        counts=counts,
        needs=queue.NEEDS,
        need_help=queue.NEED_HELP,
    )


@bp.get("/dossiers/<int:dossier_id>")
@login_required
def show(dossier_id: int):
    dossier = dossier_or_404(dossier_id, full=True)
    data = dossier_to_dict(dossier)
    findings = completeness.check(data)
    roles = ["provider"] if dossier.is_member(current_user) else []
    case = case_view(dossier, current_user)
    return render_template(
        "cases/dossier.html",
        dossier=dossier,
        data=data,
        findings=findings,
        next_action=next_action(dossier.state, case.appeal_open_until),
        actions={t.action for t in DOSSIER_MACHINE.available(dossier.state, roles)},
        case=case,
        publication=publication_view(dossier, current_user),
    )


# -- screening (QA officer) ---------------------------------------------------------------
@bp.post("/dossiers/<int:dossier_id>/take-up")
@roles_required(Role.QA_OFFICER)
def take_up(dossier_id: int):
    dossier = dossier_or_404(dossier_id)
    screening.take_up(current_user, dossier)
    commit()
    return done(
        "You are the case officer; screen the dossier.", _back(dossier), state=dossier.state.value
    )


@bp.post("/dossiers/<int:dossier_id>/return")
@roles_required(Role.QA_OFFICER)
def return_dossier(dossier_id: int):
    dossier = dossier_or_404(dossier_id)
    form = decision_forms.NoteForm()
    if not form.validate_on_submit():
        raise InvalidInput("Write the note telling the provider what to correct.")
    screening.return_to_provider(current_user, dossier, form.note.data)
    commit()
    return done(
        "Returned to the provider with your note.", _back(dossier), state=dossier.state.value
    )


@bp.post("/dossiers/<int:dossier_id>/desk-reject")
@roles_required(Role.QA_OFFICER)
def desk_reject(dossier_id: int):
    dossier = dossier_or_404(dossier_id)
    form = decision_forms.NoteForm()
    if not form.validate_on_submit():
        raise InvalidInput("Give the reason for the desk rejection.")
    screening.desk_reject(current_user, dossier, form.note.data)
    commit()
    return done(
        "The dossier is desk-rejected; the provider has been told.",
        _back(dossier),
        state=dossier.state.value,
    )


# -- provider moves -----------------------------------------------------------------------
@bp.post("/dossiers/<int:dossier_id>/start-revision")
@login_required
def start_revision(dossier_id: int):
    dossier = member_dossier_or_403(dossier_id)
    screening.start_revision(current_user, dossier)
    commit()
    return done(
        "The dossier is a draft again, prefilled from your last version. Revise it and "
        "submit it for the next round.",
        url_for("dossiers.edit", dossier_id=dossier.id),
        state=dossier.state.value,
    )


@bp.post("/dossiers/<int:dossier_id>/start-renewal")
@login_required
def start_renewal(dossier_id: int):
    dossier = member_dossier_or_403(dossier_id)
    screening.start_renewal(current_user, dossier)
    commit()
    return done(
        "Renewal started: update the dossier and submit it. The current approval stays "
        "valid until the new decision.",
        url_for("dossiers.edit", dossier_id=dossier.id),
        state=dossier.state.value,
    )


@bp.route("/dossiers/<int:dossier_id>/withdraw", methods=["GET", "POST"])
@login_required
def withdraw(dossier_id: int):
    dossier = editable_or_404(dossier_id)
    DOSSIER_MACHINE.check(dossier, "withdraw", "provider")  # 409 once decided or withdrawn
    form = dossier_forms.WithdrawForm()
    if form.validate_on_submit():
        withdrawal.withdraw_dossier(current_user, dossier, form.reason.data or "")
        commit()
        flash("The dossier has been withdrawn.", "info")
        return redirect(url_for("cases.show", dossier_id=dossier.id))
    return render_template("cases/withdraw.html", dossier=dossier, form=form)
