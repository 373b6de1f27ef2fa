"""Reviewer-facing forms: invitation answers, the scoring form, the profile; QA forms for
the panel, moderation, rubric and policy."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from qa_portal.core.errors import InvalidInput
from qa_portal.core.forms import MultiCheckboxField, OptionalSelectField, choices, strip_filter
from qa_portal.dossiers import isced
from qa_portal.reviews import deciding_body
from qa_portal.reviews.models import Recommendation
from qa_portal.reviews.panel_enums import PanelDisclosure, SiteVisitPolicy
from qa_portal.reviews.panel_forms import YES_NO, yes_no
from qa_portal.reviews.panel_policy import parse_member_types, parse_required_counts
from qa_portal.reviews.rubric import SCORE_LABELS

RECOMMENDATIONS = choices(
    [("", "— choose —")]
    + [(r.value, r.value.replace("_", " ").capitalize()) for r in Recommendation]
)


class AcceptForm(FlaskForm):
    no_conflict = BooleanField(
        "I declare that I have no conflict of interest with this provider or microcredential "
        "(no employment, affiliation, collaboration, financial or personal interest in the "
        "last three years).",
        validators=[DataRequired(message="Tick the declaration to accept, or decline.")],
    )
    declaration = TextAreaField(
        "Anything the QA body should know (optional)",
        validators=[Length(max=2000)],
        filters=[strip_filter],
    )


class DeclineForm(FlaskForm):
    reason = TextAreaField(
        "Reason for declining",
        validators=[DataRequired(message="Give a short reason."), Length(max=2000)],
        filters=[strip_filter],
    )


class ScoreForm(Form):
    criterion_id = HiddenField()
    score = RadioField(
        "Score",
        choices=choices((str(k), f"{k} – {v}") for k, v in SCORE_LABELS.items()),
        validators=[Optional()],
        validate_choice=True,
    )
    comment = TextAreaField(
        "Comment", validators=[Length(max=5000)], filters=[strip_filter], render_kw={"rows": 2}
    )


class ReviewForm(FlaskForm):
    lock_version = HiddenField()
    scores = FieldList(FormField(ScoreForm))
    recommendation = OptionalSelectField("Overall recommendation", choices=RECOMMENDATIONS)
    comments_to_provider = TextAreaField(
        "Comments to the provider",
        validators=[Length(max=20000)],
        filters=[strip_filter],
        description="The provider reads these (your name is never shown: you appear as "
        "“Reviewer N”).",
        render_kw={"rows": 6},
    )
    confidential_comments = TextAreaField(
        "Confidential comments to the QA body",
        validators=[Length(max=20000)],
        filters=[strip_filter],
        description="Only the QA body reads these.",
        render_kw={"rows": 3},
    )


class AffiliationForm(Form):
    organisation_name = StringField(
        "Organisation", validators=[Length(max=200)], filters=[strip_filter]
    )
    role = StringField("Role", validators=[Length(max=200)], filters=[strip_filter])
    start_date = DateField("From", validators=[Optional()])
    end_date = DateField("Until (empty if ongoing)", validators=[Optional()])

    def validate(self, extra_validators=None) -> bool:
        """A row with an organisation needs a start date and cannot end before it starts;
        dates or a role without an organisation are a mistake, not an empty row."""
        valid = super().validate(extra_validators)
        start, end = self.start_date, self.end_date
        if self.organisation_name.data:
            if start.data is None and not start.errors:
                start.errors.append("Give the date the affiliation started.")
                valid = False
            if start.data and end.data and end.data < start.data:
                end.errors.append("The affiliation cannot end before it starts.")
                valid = False
        elif start.data or end.data or self.role.data:
            self.organisation_name.errors.append("Name the organisation, or clear this row.")
            valid = False
        return valid


class ProfileForm(FlaskForm):
    bio = TextAreaField(
        "Short bio", validators=[Length(max=4000)], filters=[strip_filter], render_kw={"rows": 4}
    )
    isced_codes = MultiCheckboxField(
        "Fields of expertise (ISCED-F 2013)",
        choices=choices(isced.DETAILED.items()),
        invalid_choice_message="%(value)s: not an ISCED-F 2013 detailed field.",
    )
    keywords = StringField(
        "Keywords",
        validators=[Length(max=1000)],
        filters=[strip_filter],
        description="Separated by commas.",
    )
    affiliations = FieldList(FormField(AffiliationForm), min_entries=1, max_entries=20)


class InviteForm(FlaskForm):
    reviewer_id = HiddenField(validators=[DataRequired()])
    response_due = DateField("Answer by", validators=[Optional()])
    review_due = DateField("Review due", validators=[Optional()])


class ReasonForm(FlaskForm):
    reason = TextAreaField("Reason", validators=[Length(max=2000)], filters=[strip_filter])


class DatesForm(FlaskForm):
    response_due = DateField("Answer by", validators=[Optional()])
    review_due = DateField("Review due", validators=[Optional()])


class ModerationForm(FlaskForm):
    criterion_id = HiddenField()
    text = TextAreaField(
        "Moderation note", validators=[DataRequired(), Length(max=5000)], filters=[strip_filter]
    )


class CriterionForm(Form):
    title = StringField("Criterion", validators=[Length(max=300)], filters=[strip_filter])
    guidance = TextAreaField(
        "Guidance", validators=[Length(max=4000)], filters=[strip_filter], render_kw={"rows": 2}
    )
    weight = StringField("Weight", validators=[Length(max=10)], filters=[strip_filter])

    @property
    def is_blank(self) -> bool:
        return not self.title.data and not self.guidance.data

    def validate(self, extra_validators=None) -> bool:
        """An empty row removes the criterion; a kept one needs a title and a weight
        greater than 0 and at most 10 (two decimals)."""
        valid = super().validate(extra_validators)
        if self.is_blank:
            return valid
        if not self.title.data:
            self.title.errors.append("Give this criterion a title, or clear its guidance.")
            valid = False
        if self.weight.data:
            try:
                weight = round(float(self.weight.data), 2)
            except ValueError:
                weight = None
            if weight is None or not 0 < weight <= 10:
                self.weight.errors.append("The weight is a number greater than 0, at most 10.")
                valid = False
        return valid


class RubricForm(FlaskForm):
    based_on = HiddenField()
    criteria = FieldList(FormField(CriterionForm), min_entries=1, max_entries=30)
    note = StringField(
        "What changed",
        validators=[
            DataRequired(message="Say what changed in this rubric version."),
            Length(max=500),
        ],
        filters=[strip_filter],
    )

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if all(entry.form.is_blank for entry in self.criteria.entries):
            message = "A rubric needs at least one criterion."
            self.criteria.entries[0].form.title.errors.append(message)
            valid = False
        return valid


class PolicyForm(FlaskForm):
    """Starts from the stored policy: a field left out of the request keeps its value, a
    field sent blank or out of range is refused next to it (0 included)."""

    reviewers_per_dossier = IntegerField("Reviewers per dossier", validators=[NumberRange(1, 10)])
    response_days = IntegerField("Days to answer an invitation", validators=[NumberRange(1, 60)])
    review_days = IntegerField(
        "Days to write a review (after the answer date)",
        validators=[NumberRange(1, 180)],
    )
    reminder_days = IntegerField(
        "Reminder this many days before a due date",
        validators=[NumberRange(1, 30)],
    )
    validity_years = IntegerField(
        "Validity of an approval (years)", validators=[NumberRange(1, 10)]
    )
    condition_days = IntegerField(
        "Default time to fulfil a condition (days)",
        validators=[NumberRange(7, 730)],
    )
    appeal_days = IntegerField("Appeal period (days)", validators=[NumberRange(1, 120)])
    renewal_notice_days = IntegerField(
        "Renewal reminder before expiry (days)", validators=[NumberRange(7, 730)]
    )
    member_types_text = TextAreaField(
        "Panel member types",
        description="One per line: key = label (e.g. “student = Student”). Keys use "
        "lower-case letters, digits and underscores; removing a line removes the type.",
        render_kw={"rows": 5},
    )
    required_counts_text = TextAreaField(
        "Members required per type",
        description="One per line: key = number (0 to 10). A type not listed requires nobody.",
        render_kw={"rows": 5},
    )
    panel_chair_required = SelectField(
        "A chair is required", choices=YES_NO, coerce=yes_no, validate_choice=True
    )
    panel_secretary_used = SelectField(
        "Panels have a secretary", choices=YES_NO, coerce=yes_no, validate_choice=True
    )
    panel_disclosure = SelectField(
        "The public report shows the panel's",
        choices=choices((d.value, d.label) for d in PanelDisclosure),
        coerce=str,
    )
    site_visit = SelectField(
        "Site visit or interview",
        choices=choices((v.value, v.label) for v in SiteVisitPolicy),
        coerce=str,
    )

    def validate_member_types_text(self, field) -> None:
        try:
            parse_member_types(field.data or "")
        except InvalidInput as exc:
            raise ValidationError(exc.message) from None

    def validate_required_counts_text(self, field) -> None:
        try:
            types = parse_member_types(self.member_types_text.data or "")
        except InvalidInput:
            return  # the member types' own error says what is wrong
        try:
            parse_required_counts(field.data or "", types)
        except InvalidInput as exc:
            raise ValidationError(exc.message) from None

    factual_accuracy_days = IntegerField(
        "Days for the provider to check the draft report for errors of fact",
        validators=[NumberRange(0, 60)],
        description="0: no factual-accuracy check; the decision follows the findings.",
    )
    decision_body = RadioField(
        "Who decides", choices=choices(deciding_body.DECISION_BODIES.items())
    )
    committee_name = StringField(
        "Name of the decision committee",
        validators=[Length(max=200)],
        filters=[strip_filter],
        description="Named on every decision and report, e.g. “Accreditation Committee”.",
    )
    committee_quorum = IntegerField(
        "Committee quorum (votes needed)", validators=[NumberRange(1, 20)]
    )

    def validate_committee_name(self, field) -> None:
        if self.decision_body.data == deciding_body.COMMITTEE and not field.data:
            raise ValidationError("Name the committee that decides.")

    complaint_ack_days = IntegerField(
        "Days to acknowledge a complaint", validators=[NumberRange(1, 60)]
    )
    complaint_days = IntegerField(
        "Days to resolve a complaint (from lodging)", validators=[NumberRange(5, 365)]
    )
    appeals_committee_size = IntegerField(
        "Appeals committee members deciding an appeal (at least)",
        validators=[NumberRange(1, 9)],
    )
