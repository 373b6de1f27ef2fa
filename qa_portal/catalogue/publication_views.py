"""Public pages of the agency's publication duties (ESG 2.2, 2.5, 2.6): the methodology, a
rubric version, the register of reviews; and the QA admin's page for the methodology's
texts, the agency's contact and the publication policy."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from qa_portal.accounts.models import Role
from qa_portal.catalogue import methodology as public_methodology
from qa_portal.catalogue import register as review_register
from qa_portal.core.db import commit
from qa_portal.core.forms import MultiCheckboxField, choices, strip_filter
from qa_portal.core.permissions import roles_required
from qa_portal.reviews import methodology

bp = Blueprint("publication", __name__)


@bp.get("/methodology")
def methodology_page():
    return render_template("publication/methodology.html", **public_methodology.page_data())


@bp.get("/methodology/rubric/<int:number>")
def rubric_version(number: int):
    rubric = public_methodology.version(number)
    if rubric is None:
        abort(404)
    current = public_methodology.versions()[0]
    return render_template(
        "publication/rubric_version.html",
        rubric=rubric,
        current=current,
        scale=sorted(public_methodology.SCORE_LABELS.items()),
    )


@bp.get("/reports")
def register():
    form = review_register.RegisterSearchForm(request.args)
    if request.args and not form.validate():
        return render_template("publication/register.html", form=form, page=None), 400
    page = review_register.search(form)
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template("publication/register.html", form=form, page=page, args=args)


class MethodologyForm(FlaskForm):
    """The QA admin's texts, the agency's contact and which outcomes are published."""

    introduction = TextAreaField(
        "Introduction to the review policy",
        validators=[DataRequired(message="Write this text; it is published."), Length(max=5000)],
        filters=[strip_filter],
        render_kw={"rows": 5},
    )
    appeals = TextAreaField(
        "Appeals procedure",
        validators=[DataRequired(message="Write this text; it is published."), Length(max=5000)],
        filters=[strip_filter],
        render_kw={"rows": 6},
    )
    complaints = TextAreaField(
        "Complaints procedure",
        validators=[DataRequired(message="Write this text; it is published."), Length(max=5000)],
        filters=[strip_filter],
        render_kw={"rows": 6},
    )
    address = TextAreaField(
        "Postal address",
        validators=[Length(max=500)],
        filters=[strip_filter],
        render_kw={"rows": 3},
        description="Printed in every report and on the methodology page.",
    )
    email = StringField(
        "E-mail address",
        validators=[
            Optional(),
            Length(max=200),
            Regexp(methodology.EMAIL, message="Give a valid e-mail address."),
        ],
        filters=[strip_filter],
    )
    phone = StringField("Telephone", validators=[Length(max=50)], filters=[strip_filter])
    published_outcomes = MultiCheckboxField(
        "Publish the report of these outcomes as soon as it is issued",
        choices=choices(methodology.PUBLISHABLE),
        description="Approvals are always published, with their catalogue listing. ESG 2.6 "
        "asks for every outcome to be published.",
    )


@bp.route("/admin/methodology", methods=["GET", "POST"])
@roles_required(Role.QA_ADMIN)
def admin():
    texts = methodology.texts()
    form = MethodologyForm(
        data={
            **{key: t.body for key, t in texts.items()},
            "published_outcomes": sorted(methodology.published_outcomes()),
        }
    )
    if (
        request.method == "POST"
        and request.form.get("publication")
        and ("published_outcomes" not in request.form)
    ):
        form.published_outcomes.data = []  # every box unticked: the browser sends none
    if form.validate_on_submit():
        values = {key: form[key].data for key in methodology.TEXT_KEYS}
        methodology.update_texts(current_user, values)
        if request.form.get("publication"):  # the part of the form with the checkboxes
            # (every box unticked: the browser sends none of them, and the list is empty)
            methodology.update_published_outcomes(current_user, form.published_outcomes.data)
        commit()
        flash("Methodology saved.", "success")
        return redirect(url_for("publication.admin"))
    status = 400 if form.errors else 200
    return render_template(
        "publication/admin.html", form=form, texts=texts, history=methodology.history()
    ), status
