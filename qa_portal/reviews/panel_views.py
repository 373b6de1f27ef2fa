"""Pages of the panel-composition rules and the site visit: the officer sets each panel
member's role and records a justified exception; a reviewer declares their member types;
the officer schedules, records and cancels the site visit; the panel reads its minutes.

The dossier page shows both through its partials (``reviews/_case_panel_rules.html``,
``reviews/_case_site_visit.html``) with the template globals defined here.
"""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request, send_file, url_for
from flask_login import current_user, login_required

from qa_portal.accounts.models import Role, User
from qa_portal.core import clock, storage
from qa_portal.core.db import commit
from qa_portal.core.errors import InvalidInput, wants_json
from qa_portal.core.forms import choices
from qa_portal.core.permissions import roles_required
from qa_portal.core.responses import done
from qa_portal.dossiers import queries
from qa_portal.dossiers.models import Dossier
from qa_portal.extensions import db
from qa_portal.reviews import conflicts, panel_forms, panel_rules, site_visits
from qa_portal.reviews.forms import InviteForm
from qa_portal.reviews.models import ReviewAssignment, ReviewRound, SiteVisit
from qa_portal.reviews.panel_enums import PanelRole
from qa_portal.reviews.policy import current_policy
from qa_portal.reviews.profiles import profile_of

bp = Blueprint("panel_rules", __name__)
visit_bp = Blueprint("site_visits", __name__, url_prefix="/dossiers/<int:dossier_id>/site-visit")


# -- template globals ---------------------------------------------------------------------
@bp.app_template_global()
def panel_rules_of(dossier: Dossier) -> dict | None:
    """For the officer's panel card: the round's requirements, its members (with their
    member types and the roles they may take) and the exception; None without a round."""
    round_ = dossier.current_round
    if round_ is None:
        return None
    policy = current_policy()
    assignments = [a for a in round_.assignments if not a.has_ended]
    return {
        "round": round_,
        "policy": policy,
        "requirements": panel_rules.panel_requirements(round_),
        "assignments": assignments,
        "types": {
            a.id: panel_rules.type_labels(panel_rules.member_types_of(a.reviewer, policy), policy)
            for a in assignments
        },
        "roles": [r for r in PanelRole if r != PanelRole.SECRETARY or policy.panel_secretary_used],
        "exception": panel_rules.current_exception(round_),
        "can_change": round_.decided_at is None,
        "can_except": round_.opened_at is None,
        "has_rules": bool(
            policy.required_counts or policy.panel_chair_required or policy.panel_secretary_used
        ),
    }


@bp.app_template_global()
def member_type_labels(users: list[User]) -> dict[int, list[str]]:
    """{user id: member types, as the policy labels them} for the suggestion page."""
    return panel_rules.member_type_labels_of(users)


@bp.app_template_global()
def blank_exception_form() -> panel_forms.PanelExceptionForm:
    return panel_forms.PanelExceptionForm(formdata=None)


@bp.app_template_global()
def site_visit_of(round_: ReviewRound | None) -> SiteVisit | None:
    return site_visits.visit_of(round_)


@bp.app_template_global()
def site_visits_offered() -> bool:
    return site_visits.visits_offered()


# -- the officer: panel roles and the exception -------------------------------------------
def _staff_dossier(dossier_id: int) -> Dossier:
    dossier = queries.dossier_for(current_user, dossier_id)
    if dossier is None:
        abort(404)
    return dossier


def _back(dossier: Dossier) -> str:
    if request.form.get("back") == "suggestions":
        return url_for("panel.suggestions", dossier_id=dossier.id, _anchor="panel-rules")
    return url_for("cases.show", dossier_id=dossier.id, _anchor="panel-rules")


@bp.post("/dossiers/<int:dossier_id>/panel/roles")
@roles_required(Role.QA_OFFICER)
def set_role(dossier_id: int):
    dossier = _staff_dossier(dossier_id)
    form = panel_forms.PanelRoleForm()
    if not form.validate_on_submit():
        raise InvalidInput("Choose a panel member and a role: chair, member or secretary.")
    a = db.session.get(ReviewAssignment, int(form.assignment_id.data))
    if a is None or a.round.dossier_id != dossier.id:
        abort(404)
    panel_rules.set_panel_role(current_user, a, form.panel_role.data)
    commit()
    return done(
        f"{a.alias} ({a.reviewer.name}) is now {a.panel_role.label.lower()} of the panel.",
        _back(dossier),
        panel_role=a.panel_role.value,
    )


@bp.post("/dossiers/<int:dossier_id>/panel/exception")
@roles_required(Role.QA_OFFICER)
def record_exception(dossier_id: int):
    dossier = _staff_dossier(dossier_id)
    form = panel_forms.PanelExceptionForm()
    if not form.validate_on_submit():
        if wants_json():
            raise InvalidInput("Say why the review may open with this panel.")
        return _suggestions_page(dossier, form), 400
    round_ = dossier.current_round
    if round_ is None:
        raise InvalidInput("This dossier has no review round yet.")
    panel_rules.record_composition_exception(current_user, round_, form.justification.data)
    commit()
    return done(
        "The exception is recorded: the review may open with this panel.",
        url_for("cases.show", dossier_id=dossier.id, _anchor="panel-rules"),
    )


def _suggestions_page(dossier: Dossier, exception_form) -> str:
    """The panel page (``panel.suggestions``) with the exception form as submitted."""
    candidates, excluded = conflicts.suggest_reviewers(dossier, dossier.current_round)
    return render_template(
        "reviews/suggestions.html",
        dossier=dossier,
        candidates=candidates,
        excluded=excluded,
        form=InviteForm(formdata=None),
        policy=current_policy(),
        today=clock.today(),
        exception_form=exception_form,
    )


# -- the reviewer: member types -----------------------------------------------------------
@bp.post("/reviews/profile/member-types")
@roles_required(Role.REVIEWER)
def member_types():
    form = member_types_form()
    if not form.validate_on_submit():
        raise InvalidInput("Choose member types among those listed.")
    chosen = panel_rules.save_member_types(current_user, current_user, form.member_types.data)
    commit()
    return done("Your panel member types are saved.", url_for("reviews.profile"), types=chosen)


@bp.app_template_global()
def member_types_form() -> panel_forms.MemberTypesForm:
    """The profile page's member-types form: the policy's types, the reviewer's ticked."""
    policy = current_policy()
    if request.method == "POST" and request.endpoint == "panel_rules.member_types":
        form = panel_forms.MemberTypesForm()
    else:
        form = panel_forms.MemberTypesForm(
            formdata=None, data={"member_types": profile_of(current_user).member_types or []}
        )
    form.member_types.choices = choices((t["key"], t["label"]) for t in policy.member_types)
    return form


# -- the site visit -----------------------------------------------------------------------
def _visit_page(dossier: Dossier, status: int = 200, **forms):
    round_ = dossier.current_round
    visit = site_visits.visit_of(round_)
    schedule = forms.get("schedule") or panel_forms.ScheduleVisitForm(
        formdata=None,
        obj=visit,
        data={"mode": visit.mode.value} if visit else None,
    )
    return render_template(
        "reviews/site_visit.html",
        dossier=dossier,
        round_=round_,
        visit=visit,
        policy=current_policy(),
        schedule_form=schedule,
        record_form=forms.get("record") or panel_forms.RecordVisitForm(formdata=None, obj=visit),
        cancel_form=forms.get("cancel") or panel_forms.CancelVisitForm(formdata=None),
        offered=site_visits.visits_offered(),
        actions={
            t.action
            for t in site_visits.SITE_VISIT_MACHINE.available(visit.state, [site_visits.OFFICER])
        }
        if visit
        else set(),
    ), status


def _visit_or_404(dossier: Dossier) -> SiteVisit:
    visit = site_visits.visit_of(dossier.current_round)
    if visit is None:
        abort(404)
    return visit


@visit_bp.get("/")
@roles_required(Role.QA_OFFICER)
def show(dossier_id: int):
    return _visit_page(_staff_dossier(dossier_id))


@visit_bp.post("/schedule")
@roles_required(Role.QA_OFFICER)
def schedule(dossier_id: int):
    dossier = _staff_dossier(dossier_id)
    form = panel_forms.ScheduleVisitForm()
    if not form.validate_on_submit():
        if wants_json():
            raise InvalidInput("Give the mode, date and time, place and participants.")
        return _visit_page(dossier, 400, schedule=form)
    visit = site_visits.schedule_site_visit(
        current_user,
        dossier,
        mode=form.mode.data,
        scheduled_for=form.scheduled_for.data,
        location=form.location.data,
        participants=form.participants.data,
    )
    commit()
    return done(
        "The site visit is scheduled; the provider and the panel have been told.",
        url_for("cases.show", dossier_id=dossier.id, _anchor="site-visit"),
        state=visit.state.value,
    )


@visit_bp.post("/record")
@roles_required(Role.QA_OFFICER)
def record(dossier_id: int):
    dossier = _staff_dossier(dossier_id)
    visit = _visit_or_404(dossier)
    form = panel_forms.RecordVisitForm()
    upload = form.minutes_file.data
    if form.validate_on_submit():
        data = upload.read() if upload and upload.filename else None
        try:
            site_visits.record_site_visit(
                current_user,
                visit,
                minutes=form.minutes.data or "",
                summary=form.summary.data,
                minutes_file=(upload.filename, data) if data is not None else None,
            )
        except InvalidInput as exc:
            if wants_json():
                raise
            db.session.rollback()
            field = form.minutes_file if data is not None else form.minutes
            field.errors = [*field.errors, exc.message]
            return _visit_page(_staff_dossier(dossier_id), 400, record=form)
        commit()
        return done(
            "The site visit is recorded as held, with its minutes.",
            url_for("cases.show", dossier_id=dossier.id, _anchor="site-visit"),
            state=visit.state.value,
        )
    if wants_json():
        raise InvalidInput("Write the summary, and the minutes or a PDF of them.")
    return _visit_page(dossier, 400, record=form)


@visit_bp.post("/cancel")
@roles_required(Role.QA_OFFICER)
def cancel(dossier_id: int):
    dossier = _staff_dossier(dossier_id)
    visit = _visit_or_404(dossier)
    form = panel_forms.CancelVisitForm()
    if not form.validate_on_submit():
        if wants_json():
            raise InvalidInput("Give the reason for cancelling the visit.")
        return _visit_page(dossier, 400, cancel=form)
    site_visits.cancel_site_visit(current_user, visit, form.reason.data)
    commit()
    return done(
        "The site visit is cancelled; the provider and the panel have been told.",
        url_for("cases.show", dossier_id=dossier.id, _anchor="site-visit"),
        state=visit.state.value,
    )


@visit_bp.get("/minutes.pdf")
@login_required
def minutes(dossier_id: int):
    """The minutes as a PDF: QA staff and the round's panel; anyone else gets 404."""
    dossier = db.session.get(Dossier, dossier_id)
    visit = site_visits.visit_of(dossier.current_round) if dossier else None
    if (
        visit is None
        or not visit.stored_name
        or not site_visits.can_read_minutes(current_user, visit)
    ):
        abort(404)
    response = send_file(
        storage.path_of(visit.stored_name),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=visit.original_name or "minutes.pdf",
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
