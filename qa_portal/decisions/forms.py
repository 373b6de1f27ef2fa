"""Forms for decisions, conditions and appeals."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import DateField, FieldList, Form, FormField, IntegerField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from qa_portal.core.forms import OptionalSelectField, choices, strip_filter
from qa_portal.decisions.models import Outcome

DECISIONS = choices(
    [("", "— choose —")] + [(o.value, o.label) for o in Outcome if o != Outcome.DESK_REJECTED]
)


class ConditionForm(Form):
    text = TextAreaField(
        "Condition", validators=[Length(max=4000)], filters=[strip_filter], render_kw={"rows": 2}
    )
    due_date = DateField("Due", validators=[Optional()])


class DecisionForm(FlaskForm):
    outcome = OptionalSelectField(
        "Decision", choices=DECISIONS, validators=[DataRequired(message="Choose a decision.")]
    )
    rationale = TextAreaField(
        "Rationale",
        validators=[DataRequired(), Length(max=20000)],
        filters=[strip_filter],
        render_kw={"rows": 6},
        description="Published in the report and sent to the provider.",
    )
    validity_years = IntegerField(
        "Validity (years)",
        validators=[Optional(), NumberRange(1, 10)],
        description="For approvals; the policy default if empty.",
    )
    conditions = FieldList(FormField(ConditionForm), min_entries=1, max_entries=30)


class EvidenceForm(FlaskForm):
    note = TextAreaField(
        "How the condition is met",
        validators=[Length(max=10000)],
        filters=[strip_filter],
        render_kw={"rows": 4},
    )
    files = MultipleFileField("Evidence (PDF)")


class VerifyForm(FlaskForm):
    note = TextAreaField(
        "Note to the provider",
        validators=[Length(max=5000)],
        filters=[strip_filter],
        render_kw={"rows": 2},
    )


class AppealForm(FlaskForm):
    grounds = TextAreaField(
        "Grounds of the appeal",
        validators=[
            DataRequired(message="State the grounds of the appeal."),
            Length(
                min=20,
                max=20000,
                message="State the grounds in a few sentences (at least 20 characters).",
            ),
        ],
        filters=[strip_filter],
        render_kw={"rows": 8},
    )


class NoteForm(FlaskForm):
    note = TextAreaField(
        "Note",
        validators=[DataRequired(), Length(max=10000)],
        filters=[strip_filter],
        render_kw={"rows": 4},
    )
