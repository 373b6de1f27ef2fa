"""The appeals committee's pages (``/appeals/``: the appeals to decide, and each appeal with
its decision form), and the public yearly summary of appeals and complaints
(``/appeals-and-complaints``). Committee members are not QA staff: these are their pages."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request, url_for
from flask_login import current_user

from qa_portal.accounts.models import Role, User
from qa_portal.core import clock
from qa_portal.core.db import commit
from qa_portal.core.errors import DomainError, wants_json
from qa_portal.core.forms import choices
from qa_portal.core.permissions import roles_required
from qa_portal.core.responses import done
from qa_portal.decisions import appeals_committee, operations
from qa_portal.decisions.complaint_forms import AppealHearingForm
from qa_portal.decisions.complaints import yearly_summary
from qa_portal.decisions.models import Appeal, AppealState, ComplaintCategory, ComplaintOutcome
from qa_portal.decisions.workflow import APPEAL_MACHINE
from qa_portal.extensions import db
from qa_portal.reviews import moderation

bp = Blueprint("appeals", __name__, url_prefix="/appeals")
public_bp = Blueprint("accountability", __name__)


@bp.get("/")
@roles_required(Role.APPEALS_COMMITTEE)
def index():
    return render_template(
        "decisions/appeals.html",
        to_decide=appeals_committee.appeals_to_decide(current_user),
        decided=appeals_committee.decided_appeals(),
    )


def _appeal_or_404(appeal_id: int) -> Appeal:
    appeal = db.session.get(Appeal, appeal_id)
    if appeal is None:
        abort(404)
    return appeal


@bp.route("/<int:appeal_id>", methods=["GET", "POST"])
@roles_required(Role.APPEALS_COMMITTEE)
def show(appeal_id: int):
    appeal = _appeal_or_404(appeal_id)
    eligible = appeals_committee.eligible_members(appeal.decision)
    form = AppealHearingForm()
    form.members.choices = choices([(u.id, u.name) for u in eligible])
    if request.method == "GET":
        form.members.data = [current_user.id]
        form.meeting_date.data = clock.today()
    status = 200
    if request.method == "POST":
        # a decided appeal: 409 with the reason, before any form
        APPEAL_MACHINE.check(appeal, "uphold", "appeals_committee")
        appeals_committee.check_recorder(current_user, appeal.decision)  # 403: had a part
        if form.validate_on_submit():
            chosen = [db.session.get(User, i) for i in form.members.data or []]
            try:
                operations.decide_appeal(
                    current_user,
                    appeal,
                    uphold=form.verdict.data == "uphold",
                    rationale=form.rationale.data,
                    members=[u for u in chosen if u is not None],
                    meeting_date=form.meeting_date.data,
                )
            except DomainError as exc:
                if wants_json():
                    raise
                db.session.rollback()
                appeal = _appeal_or_404(appeal_id)
                form.form_errors.append(exc.message)
                status = exc.status_code
            else:
                commit()
                return done(
                    "The committee's decision is recorded; the provider has been told.",
                    url_for("appeals.show", appeal_id=appeal.id),
                    state=appeal.state.value,
                )
        else:
            status = 400
    round_ = appeal.decision.round
    return render_template(
        "decisions/appeal_committee.html",
        appeal=appeal,
        decision=appeal.decision,
        dossier=appeal.dossier,
        form=form,
        had_part=appeals_committee.had_part_in(current_user, appeal.decision),
        stats=moderation.round_statistics(round_),
        open=appeal.state == AppealState.LODGED,
    ), status


@public_bp.get("/appeals-and-complaints")
def summary():
    """Public: per calendar year, the numbers of appeals and complaints and their outcomes."""
    return render_template(
        "decisions/accountability.html",
        years=yearly_summary(),
        categories=list(ComplaintCategory),
        outcomes=list(ComplaintOutcome),
    )
