"""Reviewer pages (invitations, scoring, profile), the QA officer's panel actions, and the
QA admin's rubric and policy pages."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from qa_portal.accounts.models import Role, User
from qa_portal.core import clock, storage
from qa_portal.core.db import commit, writes_on_get
from qa_portal.core.errors import DomainError, InvalidInput, TransitionNotAllowed, wants_json
from qa_portal.core.permissions import roles_required
from qa_portal.core.responses import done
from qa_portal.dossiers import completeness, queries
from qa_portal.dossiers.diff import diff_snapshots
from qa_portal.dossiers.models import Dossier, EvidenceFile
from qa_portal.dossiers.operations import record_download
from qa_portal.extensions import db
from qa_portal.reviews import (
    aliases,
    conflicts,
    forms,
    invitations,
    moderation,
    profiles,
    rounds,
    scoring,
)
from qa_portal.reviews.models import AssignmentState, ReviewAssignment
from qa_portal.reviews.policy import current_policy, update_policy
from qa_portal.reviews.rubric import SCORE_LABELS, current_rubric, revise_rubric
from qa_portal.reviews.workflow import ASSIGNMENT_MACHINE, REVIEWER

bp = Blueprint("reviews", __name__, url_prefix="/reviews")
panel_bp = Blueprint("panel", __name__, url_prefix="/dossiers/<int:dossier_id>/panel")
rubric_bp = Blueprint("rubric", __name__, url_prefix="/admin")


# -- reviewer -----------------------------------------------------------------------------
def _my_assignment(assignment_id: int) -> ReviewAssignment:
    assignment = db.session.get(ReviewAssignment, assignment_id)
    if assignment is None or assignment.reviewer_id != current_user.id:
        abort(404)
    return assignment


@bp.get("/")
@roles_required(Role.REVIEWER)
def dashboard():
    assignments = list(
        db.session.execute(
            db.select(ReviewAssignment)
            .where(ReviewAssignment.reviewer_id == current_user.id)
            .order_by(ReviewAssignment.invited_at.desc())
        ).scalars()
    )
    groups = {
        "invitations": [a for a in assignments if a.state == AssignmentState.INVITED],
        "to_review": [a for a in assignments if a.state == AssignmentState.ACCEPTED],
        "submitted": [a for a in assignments if a.state == AssignmentState.SUBMITTED],
        "closed": [
            a
            for a in assignments
            if a.state
            in (AssignmentState.DECLINED, AssignmentState.EXPIRED, AssignmentState.CANCELLED)
        ],
    }
    submitted_as = {
        a.id: aliases.public_aliases(a.round.assignments)[a.id] for a in groups["submitted"]
    }
    return render_template(
        "reviews/dashboard.html", groups=groups, submitted_as=submitted_as, today=clock.today()
    )


# How an ended assignment ended, as its page says it (nothing of the dossier is shown).
ENDINGS = {
    AssignmentState.DECLINED: "You declined this invitation",
    AssignmentState.EXPIRED: "This invitation expired without an answer",
    AssignmentState.CANCELLED: "The QA body cancelled this assignment",
}


def _assignment_page(a: ReviewAssignment, accept_form=None, decline_form=None, status=200):
    if a.has_ended:
        return render_template(
            "reviews/assignment_ended.html",
            ending=ENDINGS[a.state],
            ended_at=invitations.ended_at(a),
        ), status
    snapshot = a.round.version.snapshot
    return render_template(
        "reviews/assignment.html",
        a=a,
        alias=aliases.public_aliases(a.round.assignments).get(a.id),
        data=snapshot,
        accept_form=accept_form or forms.AcceptForm(formdata=None),
        decline_form=decline_form or forms.DeclineForm(formdata=None),
        actions={t.action for t in ASSIGNMENT_MACHINE.available(a.state, [REVIEWER])},
        today=clock.today(),
        findings=completeness.check(snapshot),
    ), status


@bp.get("/assignments/<int:assignment_id>")
@roles_required(Role.REVIEWER)
def assignment(assignment_id: int):
    return _assignment_page(_my_assignment(assignment_id))


@bp.post("/assignments/<int:assignment_id>/accept")
@roles_required(Role.REVIEWER)
def accept(assignment_id: int):
    a = _my_assignment(assignment_id)
    form = forms.AcceptForm()
    if not form.validate_on_submit():
        if wants_json() or a.state != AssignmentState.INVITED:
            raise InvalidInput(
                "Tick the declaration of no conflict of interest to accept; if you "
                "have a conflict, decline the invitation."
            )
        return _assignment_page(a, accept_form=form, status=400)
    invitations.accept_invitation(
        current_user, a, no_conflict=True, declaration=form.declaration.data or ""
    )
    commit()
    return done(
        "Thank you: you are on the panel. The review opens when the panel is complete.",
        url_for("reviews.assignment", assignment_id=a.id),
        state=a.state.value,
    )


@bp.post("/assignments/<int:assignment_id>/decline")
@roles_required(Role.REVIEWER)
def decline(assignment_id: int):
    a = _my_assignment(assignment_id)
    form = forms.DeclineForm()
    if not form.validate_on_submit():
        if wants_json() or a.state != AssignmentState.INVITED:
            raise InvalidInput("Give a short reason for declining.")
        return _assignment_page(a, decline_form=form, status=400)
    invitations.decline_invitation(current_user, a, form.reason.data)
    commit()
    return done(
        "You have declined the invitation.",
        url_for("reviews.dashboard"),
        "info",
        state=a.state.value,
    )


def _review_form(a: ReviewAssignment) -> forms.ReviewForm:
    review = a.review
    if request.method == "POST":
        return forms.ReviewForm()
    by_criterion = {s.criterion_id: s for s in (review.scores if review else [])}
    data = {
        "lock_version": review.lock_version if review else 0,
        "recommendation": review.recommendation.value if review and review.recommendation else "",
        "comments_to_provider": review.comments_to_provider if review else "",
        "confidential_comments": review.confidential_comments if review else "",
        "scores": [
            {
                "criterion_id": c.id,
                "score": str(by_criterion[c.id].score)
                if c.id in by_criterion and by_criterion[c.id].score
                else None,
                "comment": by_criterion[c.id].comment if c.id in by_criterion else "",
            }
            for c in a.round.rubric.criteria
        ],
    }
    return forms.ReviewForm(data=data)


def _draft_from(form: forms.ReviewForm) -> dict:
    scores = {}
    for entry in form.scores.entries:
        try:
            criterion_id = int(entry.form.criterion_id.data)
        except (TypeError, ValueError):
            raise InvalidInput("The form is incomplete; reload the page.") from None
        scores[criterion_id] = {"score": entry.form.score.data, "comment": entry.form.comment.data}
    return {
        "scores": scores,
        "recommendation": form.recommendation.data,
        "comments_to_provider": form.comments_to_provider.data or "",
        "confidential_comments": form.confidential_comments.data or "",
        "lock_version": form.lock_version.data,
    }


@bp.route("/assignments/<int:assignment_id>/review", methods=["GET", "POST"])
@roles_required(Role.REVIEWER)
def review(assignment_id: int):
    a = _my_assignment(assignment_id)
    if not a.is_on_panel or a.round.rubric is None:
        message = (
            f"This assignment is {a.state.value}; there is no review to write."
            if not a.is_on_panel
            else "The review opens once the panel is complete."
        )
        if request.method == "POST":
            raise TransitionNotAllowed(message)
        flash(message, "info")
        return redirect(url_for("reviews.assignment", assignment_id=a.id))
    form = _review_form(a)
    status = 200
    if request.method == "POST":
        if not form.validate_on_submit():
            if wants_json():
                raise InvalidInput("Not saved: " + _error_summary(form))
            status = 400
            flash("Not saved: please correct the fields marked below.", "error")
        else:
            try:
                if "submit" in request.form:
                    scoring.submit_review(current_user, a, **_draft_from(form))
                    commit()
                    return done(
                        "Your review is submitted. You can now read the other "
                        "reviews of this round.",
                        url_for("reviews.review", assignment_id=a.id),
                        state=a.state.value,
                    )
                scoring.save_review(current_user, a, **_draft_from(form))
                commit()
                return done("Draft saved.", url_for("reviews.review", assignment_id=a.id))
            except DomainError as exc:
                if wants_json():
                    raise
                db.session.rollback()
                a = _my_assignment(assignment_id)
                flash(exc.message, "error")
                status = exc.status_code
                if isinstance(exc, scoring.IncompleteReview):
                    _mark_missing(form)
    snapshot = a.round.version.snapshot
    previous = _previous_version(a)
    # the aliases the provider will see (reviews.aliases): none before one's own review is in
    public = aliases.public_aliases(a.round.assignments)
    others = []
    if scoring.can_see_other_reviews(current_user, a):
        by_id = {o.id: o for o in a.round.assignments}
        others = [by_id[i] for i in public if i != a.id]  # in the order of their aliases
    return render_template(
        "reviews/review.html",
        a=a,
        alias=public.get(a.id),
        aliases=public,
        form=form,
        data=snapshot,
        criteria=a.round.rubric.criteria,
        score_labels=SCORE_LABELS,
        findings=completeness.check(snapshot),
        others=others,
        changes=diff_snapshots(previous.snapshot, snapshot) if previous else None,
        previous=previous,
        readonly=a.state == AssignmentState.SUBMITTED,
    ), status


def _field_messages(form):
    for field in form:
        if field.type == "FieldList":
            for entry in field.entries:
                yield from _field_messages(entry.form)
        elif field.errors:
            yield f"{field.label.text}: {' '.join(map(str, field.errors))}"


def _error_summary(form) -> str:
    """Every field error of ``form`` in one line, for JSON clients."""
    return "; ".join(_field_messages(form))


def _mark_missing(form: forms.ReviewForm) -> None:
    """Put "required before submitting" next to each empty field the submission needs."""
    needed = "Required before you submit."
    for entry in form.scores.entries:
        if not entry.form.score.data:
            entry.form.score.errors = [*entry.form.score.errors, "Give a score before you submit."]
    if not form.recommendation.data:
        form.recommendation.errors = [*form.recommendation.errors, needed]
    if not form.comments_to_provider.data:
        form.comments_to_provider.errors = [*form.comments_to_provider.errors, needed]


def _previous_version(a: ReviewAssignment):
    rounds = a.round.dossier.rounds
    earlier = [r for r in rounds if r.number < a.round.number]
    return earlier[-1].version if earlier else None


@bp.get("/assignments/<int:assignment_id>/files/<int:file_id>")
@writes_on_get  # the access log: an audit entry
@roles_required(Role.REVIEWER)
def file(assignment_id: int, file_id: int):
    a = _my_assignment(assignment_id)
    if not a.is_on_panel:
        abort(404)
    if file_id not in {f["id"] for f in a.round.version.snapshot.get("files", [])}:
        abort(404)
    evidence = db.session.get(EvidenceFile, file_id)

    record_download(current_user, a.round.dossier, evidence)
    commit()
    response = send_file(
        storage.path_of(evidence.stored_name),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=evidence.original_name,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.route("/profile", methods=["GET", "POST"])
@roles_required(Role.REVIEWER)
def profile():
    profile = profiles.profile_of(current_user)
    if request.method == "POST":
        form = forms.ProfileForm()
        if request.form.get("row_action") == "add-affiliation":
            form.affiliations.append_entry()
            return render_template("reviews/profile.html", form=form)
        if form.validate_on_submit():
            profiles.save_reviewer_profile(
                current_user,
                current_user,
                bio=form.bio.data or "",
                isced_codes=form.isced_codes.data or [],
                keywords=(form.keywords.data or "").split(","),
                affiliations=[e.form.data for e in form.affiliations.entries],
            )
            commit()
            return done("Your reviewer profile is saved.", url_for("reviews.profile"))
        if wants_json():
            raise InvalidInput("Not saved: " + _error_summary(form))
        return render_template("reviews/profile.html", form=form), 400
    form = forms.ProfileForm(
        data={
            "bio": profile.bio,
            "isced_codes": profile.isced_codes,
            "keywords": ", ".join(profile.keywords),
            "affiliations": [
                {
                    "organisation_name": a.organisation_name,
                    "role": a.role,
                    "start_date": a.start_date,
                    "end_date": a.end_date,
                }
                for a in profile.affiliations
            ]
            or [{}],
        }
    )
    return render_template("reviews/profile.html", form=form)


# -- QA officer: the panel ----------------------------------------------------------------
def _staff_dossier(dossier_id: int) -> Dossier:
    dossier = queries.dossier_for(current_user, dossier_id)
    if dossier is None:
        abort(404)
    return dossier


def _panel_assignment(dossier: Dossier, assignment_id: int) -> ReviewAssignment:
    a = db.session.get(ReviewAssignment, assignment_id)
    if a is None or a.round.dossier_id != dossier.id:
        abort(404)
    return a


def _back(dossier: Dossier) -> str:
    return url_for("cases.show", dossier_id=dossier.id, _anchor="panel")


@panel_bp.get("/")
@roles_required(Role.QA_OFFICER)
def suggestions(dossier_id: int):
    dossier = _staff_dossier(dossier_id)
    candidates, excluded = conflicts.suggest_reviewers(dossier, dossier.current_round)
    policy = current_policy()
    return render_template(
        "reviews/suggestions.html",
        dossier=dossier,
        candidates=candidates,
        excluded=excluded,
        form=forms.InviteForm(),
        policy=policy,
        today=clock.today(),
    )


@panel_bp.post("/invite")
@roles_required(Role.QA_OFFICER)
def invite(dossier_id: int):
    dossier = _staff_dossier(dossier_id)
    form = forms.InviteForm()
    if not form.validate_on_submit():
        raise InvalidInput("Choose a reviewer; dates must be written as YYYY-MM-DD.")
    try:
        reviewer = db.session.get(User, int(form.reviewer_id.data))
    except (TypeError, ValueError):
        reviewer = None
    if reviewer is None:
        raise InvalidInput("Choose a reviewer from the list.")
    a = invitations.invite_reviewer(
        current_user,
        dossier,
        reviewer,
        response_due=form.response_due.data,
        review_due=form.review_due.data,
    )
    commit()
    return done(
        f"{reviewer.name} is invited as {a.alias}.",
        url_for("panel.suggestions", dossier_id=dossier.id),
        assignment_id=a.id,
    )


@panel_bp.post("/<int:assignment_id>/cancel")
@roles_required(Role.QA_OFFICER)
def cancel(dossier_id: int, assignment_id: int):
    dossier = _staff_dossier(dossier_id)
    a = _panel_assignment(dossier, assignment_id)
    form = forms.ReasonForm()
    form.validate_on_submit()
    invitations.cancel_assignment(current_user, a, form.reason.data or "")
    commit()
    return done(f"The assignment of {a.alias} is cancelled.", _back(dossier))


@panel_bp.post("/<int:assignment_id>/reinstate")
@roles_required(Role.QA_OFFICER)
def reinstate(dossier_id: int, assignment_id: int):
    dossier = _staff_dossier(dossier_id)
    a = _panel_assignment(dossier, assignment_id)
    form = forms.DatesForm()
    if not form.validate_on_submit():
        raise InvalidInput("Dates must be written as YYYY-MM-DD.")
    invitations.reinstate_assignment(
        current_user, a, response_due=form.response_due.data, review_due=form.review_due.data
    )
    commit()
    return done(f"{a.alias} is invited again.", _back(dossier))


@panel_bp.post("/<int:assignment_id>/reopen")
@roles_required(Role.QA_OFFICER)
def reopen(dossier_id: int, assignment_id: int):
    dossier = _staff_dossier(dossier_id)
    a = _panel_assignment(dossier, assignment_id)
    form = forms.ReasonForm()
    form.validate_on_submit()
    scoring.reopen_review(current_user, a, form.reason.data or "")
    commit()
    return done(f"The review of {a.alias} is reopened.", _back(dossier))


@panel_bp.post("/open")
@roles_required(Role.QA_OFFICER)
def open_review(dossier_id: int):
    dossier = _staff_dossier(dossier_id)
    rounds.open_review(current_user, dossier)
    commit()
    return done(
        "The review is open; the panel has been told.", _back(dossier), state=dossier.state.value
    )


@panel_bp.post("/close")
@roles_required(Role.QA_OFFICER)
def close(dossier_id: int):
    dossier = _staff_dossier(dossier_id)
    rounds.close_round(current_user, dossier)
    commit()
    return done(
        "The round is closed; the dossier waits for the decision.",
        _back(dossier),
        state=dossier.state.value,
    )


@panel_bp.post("/moderation")
@roles_required(Role.QA_OFFICER)
def moderate(dossier_id: int):
    dossier = _staff_dossier(dossier_id)
    form = forms.ModerationForm()
    if not form.validate_on_submit():
        raise InvalidInput("Write the moderation note.")
    criterion_id = int(form.criterion_id.data) if (form.criterion_id.data or "").isdigit() else None
    moderation.add_moderation_note(current_user, dossier, criterion_id, form.text.data)
    commit()
    return done(
        "Moderation note saved.", url_for("cases.show", dossier_id=dossier.id, _anchor="scores")
    )


# -- QA admin: rubric and policy ----------------------------------------------------------
@rubric_bp.route("/rubric", methods=["GET", "POST"])
@roles_required(Role.QA_ADMIN)
def rubric():
    current = current_rubric()
    if request.method == "POST":
        form = forms.RubricForm()
        if request.form.get("row_action") == "add-criterion":
            form.criteria.append_entry()
            return render_template("reviews/rubric.html", form=form, rubric=current)
        if form.validate_on_submit():
            new = revise_rubric(
                current_user,
                [e.form.data for e in form.criteria.entries],
                form.note.data,
                based_on=form.based_on.data,
            )
            commit()
            return done(
                f"Rubric version {new.number} saved; rounds already open keep the "
                "version they opened with.",
                url_for("rubric.rubric"),
                number=new.number,
            )
        if wants_json():
            raise InvalidInput("Not saved: " + _error_summary(form))
        return render_template("reviews/rubric.html", form=form, rubric=current), 400
    form = forms.RubricForm(
        data={
            "based_on": current.number,
            "criteria": [
                {"title": c.title, "guidance": c.guidance, "weight": f"{c.weight:g}"}
                for c in current.criteria
            ],
        }
    )
    return render_template("reviews/rubric.html", form=form, rubric=current)


@rubric_bp.route("/policy", methods=["GET", "POST"])
@roles_required(Role.QA_ADMIN)
def policy():
    policy = current_policy()
    form = forms.PolicyForm(obj=policy)
    if form.validate_on_submit():
        update_policy(current_user, form.data)
        commit()
        flash("Policy saved.", "success")
        return redirect(url_for("rubric.policy"))
    status = 400 if form.errors else 200
    return render_template("reviews/policy.html", form=form, policy=policy), status
