"""Forms of the decision committee: a member's vote, the record of the committee's decision,
the officer's withdrawal of a proposal (the proposal itself uses ``forms.DecisionForm``)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from qa_portal.core.forms import OptionalSelectField, choices, strip_filter
from qa_portal.decisions.forms import DECISIONS
from qa_portal.decisions.models import VoteChoice

VOTES = choices((v.value, v.label) for v in VoteChoice)


class VoteForm(FlaskForm):
    vote = RadioField(
        "Your vote", choices=VOTES, validators=[DataRequired(message="Choose your vote.")]
    )
    comment = TextAreaField(
        "Comment",
        validators=[Length(max=5000)],
        filters=[strip_filter],
        render_kw={"rows": 3},
        description="Required when you disagree; seen by the committee and the QA staff.",
    )


class CommitteeDecisionForm(FlaskForm):
    meeting_date = DateField(
        "Meeting date",
        validators=[Optional()],
        description="If the committee met: its decision may then differ from the proposal. "
        "Leave empty to record the decision of the votes.",
    )
    outcome = OptionalSelectField(
        "Decision", choices=DECISIONS, description="The proposal's if none is chosen."
    )
    rationale = TextAreaField(
        "Rationale",
        validators=[Length(max=20000)],
        filters=[strip_filter],
        render_kw={"rows": 5},
        description="The proposal's if left as it is; published and sent to the provider.",
    )


class WithdrawProposalForm(FlaskForm):
    note = TextAreaField(
        "Why the proposal is withdrawn",
        validators=[Length(max=5000)],
        filters=[strip_filter],
        render_kw={"rows": 2},
    )
