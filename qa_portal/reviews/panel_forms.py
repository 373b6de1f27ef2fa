"""Forms of the panel-composition and site-visit pages: a reviewer's member types, a panel
member's role, the officer's exception to the composition rules, and the site visit's
schedule, record and cancellation (the policy's own fields are in ``PolicyForm``)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateTimeLocalField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Regexp

from qa_portal.core.forms import MultiCheckboxField, choices, strip_filter
from qa_portal.reviews.panel_enums import PanelRole, SiteVisitMode

YES_NO = choices([("no", "No"), ("yes", "Yes")])


def yes_no(value) -> str:
    """A stored flag or a submitted answer as "yes" or "no" (the select's values)."""
    return "yes" if value is True or str(value).strip().lower() in ("yes", "true", "1") else "no"


class MemberTypesForm(FlaskForm):
    """The reviewer's member types; the choices are the review policy's types."""

    member_types = MultiCheckboxField(
        "I can sit on a panel as",
        choices=[],
        invalid_choice_message="%(value)s: not a member type of the review policy.",
    )


class PanelRoleForm(FlaskForm):
    assignment_id = HiddenField(
        validators=[DataRequired(), Regexp(r"^\d{1,9}$", message="Choose a panel member.")]
    )
    panel_role = SelectField(
        "Role", choices=choices((r.value, r.label) for r in PanelRole), validate_choice=True
    )


class PanelExceptionForm(FlaskForm):
    justification = TextAreaField(
        "Justification of the exception",
        validators=[
            DataRequired(message="Say why the review may open with this panel."),
            Length(max=4000),
        ],
        filters=[strip_filter],
        description="Recorded in the audit trail and shown in the internal report.",
        render_kw={"rows": 3},
    )


class ScheduleVisitForm(FlaskForm):
    mode = SelectField(
        "Mode",
        choices=choices((m.value, m.label) for m in SiteVisitMode),
        validate_choice=True,
    )
    scheduled_for = DateTimeLocalField(
        "Date and time",
        format="%Y-%m-%dT%H:%M",
        validators=[DataRequired(message="Give the date and time (YYYY-MM-DD HH:MM).")],
    )
    location = StringField(
        "Place or meeting link",
        validators=[DataRequired(message="Say where the visit takes place."), Length(max=500)],
        filters=[strip_filter],
    )
    participants = TextAreaField(
        "Participants",
        validators=[DataRequired(message="List who takes part."), Length(max=4000)],
        filters=[strip_filter],
        description="The panel and the provider's staff, learners or partners to meet.",
        render_kw={"rows": 3},
    )


class RecordVisitForm(FlaskForm):
    minutes = TextAreaField(
        "Written minutes",
        validators=[Length(max=50000)],
        filters=[strip_filter],
        description="Write the minutes here, upload them as a PDF, or both.",
        render_kw={"rows": 8},
    )
    minutes_file = FileField("Minutes as a PDF file")
    summary = TextAreaField(
        "Summary for the report",
        validators=[
            DataRequired(message="Write the summary the report will publish."),
            Length(max=8000),
        ],
        filters=[strip_filter],
        render_kw={"rows": 4},
    )


class CancelVisitForm(FlaskForm):
    reason = TextAreaField(
        "Reason for cancelling",
        validators=[DataRequired(message="Give the reason."), Length(max=2000)],
        filters=[strip_filter],
    )
