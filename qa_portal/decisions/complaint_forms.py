"""Forms for complaints and for the appeals committee's decision on an appeal."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, RadioField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length

from qa_portal.core.forms import MultiCheckboxField, OptionalSelectField, choices, strip_filter
from qa_portal.decisions.complaints import MIN_RESPONSE, MIN_TEXT
from qa_portal.decisions.models import ComplaintCategory, ComplaintOutcome


class ComplaintForm(FlaskForm):
    category = RadioField(
        "What is the complaint about?",
        choices=choices([(c.value, c.label) for c in ComplaintCategory]),
        validators=[InputRequired(message="Choose what the complaint is about.")],
    )
    dossier = OptionalSelectField("Procedure (dossier) concerned", choices=[])
    subject = OptionalSelectField("Person complained about", choices=[])
    text = TextAreaField(
        "Your complaint",
        validators=[
            DataRequired(message="Describe the complaint."),
            Length(
                min=MIN_TEXT,
                max=10000,
                message=f"Describe the complaint (at least {MIN_TEXT} characters).",
            ),
        ],
        filters=[strip_filter],
        render_kw={"rows": 8},
    )
    attachment = FileField("Attachment (PDF, optional)")


class AcknowledgeForm(FlaskForm):
    handler = OptionalSelectField("Handler", choices=[])


class ResolveForm(FlaskForm):
    outcome = RadioField(
        "Outcome",
        choices=choices([(o.value, o.label) for o in ComplaintOutcome]),
        validators=[InputRequired(message="Choose the outcome.")],
    )
    response = TextAreaField(
        "Response to the complainant",
        validators=[
            DataRequired(message="Write the response to the complainant."),
            Length(min=MIN_RESPONSE, max=20000, message="Write a full response."),
        ],
        filters=[strip_filter],
        render_kw={"rows": 6},
    )


class AppealHearingForm(FlaskForm):
    verdict = RadioField(
        "The committee's decision",
        choices=choices(
            [("uphold", "Uphold the decision (it stands)"), ("overturn", "Overturn the decision")]
        ),
        validators=[InputRequired(message="Choose whether to uphold or overturn.")],
    )
    rationale = TextAreaField(
        "Rationale",
        validators=[
            DataRequired(message="An appeal decision needs a rationale."),
            Length(max=20000),
        ],
        filters=[strip_filter],
        render_kw={"rows": 6},
    )
    members = MultiCheckboxField("Members who took part", choices=[], coerce=int)
    meeting_date = DateField(
        "Meeting date", validators=[InputRequired(message="Give the date of the meeting.")]
    )


def id_choices(rows, blank: str) -> list:
    return choices([("", blank)] + [(str(value), label) for value, label in rows])
