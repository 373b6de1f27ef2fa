"""The form of the panel's findings: per criterion a judgement and the findings; the summary,
strengths, recommendations and proposed conditions (repeating rows) and outcome."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import FieldList, Form, FormField, HiddenField, RadioField, TextAreaField
from wtforms.validators import Length, Optional

from qa_portal.core.forms import OptionalSelectField, choices, strip_filter
from qa_portal.reviews.forms import RECOMMENDATIONS
from qa_portal.reviews.rubric import SCORE_LABELS


class CriterionFindingForm(Form):
    criterion_id = HiddenField()
    judgement = RadioField(
        "The panel's judgement",
        choices=choices((str(k), f"{k} – {v}") for k, v in SCORE_LABELS.items()),
        validators=[Optional()],
        validate_choice=True,
    )
    text = TextAreaField(
        "Findings", validators=[Length(max=10000)], filters=[strip_filter], render_kw={"rows": 4}
    )


def _item(label: str) -> TextAreaField:
    return TextAreaField(
        label, validators=[Length(max=4000)], filters=[strip_filter], render_kw={"rows": 2}
    )


class FindingsForm(FlaskForm):
    lock_version = HiddenField()
    summary = TextAreaField(
        "Summary and overall judgement",
        validators=[Length(max=20000)],
        filters=[strip_filter],
        render_kw={"rows": 6},
        description="Published in the report, with the findings per criterion.",
    )
    criteria = FieldList(FormField(CriterionFindingForm))
    strengths = TextAreaField(
        "Strengths",
        validators=[Length(max=20000)],
        filters=[strip_filter],
        render_kw={"rows": 4},
    )
    recommendations = FieldList(_item("Recommendation"), min_entries=1, max_entries=30)
    conditions = FieldList(_item("Condition"), min_entries=1, max_entries=30)
    proposed_outcome = OptionalSelectField("Proposed outcome", choices=RECOMMENDATIONS)

    def validate(self, extra_validators=None) -> bool:
        """Conditions go with "approve with conditions", which needs at least one."""
        valid = super().validate(extra_validators)
        outcome = self.proposed_outcome.data
        has_conditions = any((e.data or "").strip() for e in self.conditions.entries)
        if outcome == "approve_with_conditions" and not has_conditions:
            self.conditions.entries[0].errors = [
                *self.conditions.entries[0].errors,
                "Approval with conditions needs at least one proposed condition.",
            ]
            valid = False
        elif has_conditions and outcome not in (None, "", "approve_with_conditions"):
            self.proposed_outcome.errors = [
                *self.proposed_outcome.errors,
                "Conditions are proposed only with approval with conditions: change the "
                "outcome or remove the conditions.",
            ]
            valid = False
        return valid
