"""Forms of the factual-accuracy check: the provider's points on the draft report (repeating
rows) and statement; the officer's answer to one point."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import FieldList, Form, FormField, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from qa_portal.core.forms import choices, strip_filter


class PointForm(Form):
    location = StringField(
        "Where in the report",
        validators=[Length(max=200)],
        filters=[strip_filter],
        description="For example “Criterion 3” or “Summary”.",
    )
    text = TextAreaField(
        "The error of fact, and what is correct",
        validators=[Length(max=5000)],
        filters=[strip_filter],
        render_kw={"rows": 3},
    )

    def validate(self, extra_validators=None) -> bool:
        """An empty row is left out; a row with a location needs the error described."""
        valid = super().validate(extra_validators)
        if self.location.data and not self.text.data:
            self.text.errors = [*self.text.errors, "Describe the error of fact."]
            valid = False
        return valid


class CommentsForm(FlaskForm):
    points = FieldList(FormField(PointForm), min_entries=1, max_entries=50)
    statement = TextAreaField(
        "Your statement for the final report (optional)",
        validators=[Length(max=20000)],
        filters=[strip_filter],
        render_kw={"rows": 5},
        description="Published with the final report as the provider's statement.",
    )

    def has_points(self) -> bool:
        return any(e.form.location.data or e.form.text.data for e in self.points.entries)


class AnswerForm(FlaskForm):
    verdict = RadioField(
        "Your answer",
        choices=choices([("accepted", "Accepted: corrected"), ("not_accepted", "Not accepted")]),
        validators=[DataRequired(message="Choose whether the point is accepted.")],
    )
    answer = TextAreaField(
        "What was corrected, or why the point is not accepted",
        validators=[Length(max=5000)],
        filters=[strip_filter],
        render_kw={"rows": 2},
    )

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if not self.answer.data and self.verdict.data in ("accepted", "not_accepted"):
            self.answer.errors = [
                *self.answer.errors,
                "Say what was corrected in the findings."
                if self.verdict.data == "accepted"
                else "Give the reason why the point is not accepted.",
            ]
            valid = False
        return valid
