"""The published methodology (ESG 2.2 and 2.5), as plain data from the live configuration:
every rubric version with the date it took effect, the review policy, the decision types
and their rules, the divergence rule, conditions and follow-up, the publication policy,
and the agency's own wording of its appeals and complaints procedures.

Nothing here is written down twice: the numbers come from the policy row, the criteria
from the rubric versions, the labels from the forms and models that define them. A policy
setting added to ``reviews.forms.PolicyForm`` appears on the page with its label.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from qa_portal.accounts.queries import qa_body
from qa_portal.core.urls import external_url
from qa_portal.decisions.models import Outcome
from qa_portal.extensions import db
from qa_portal.reports.operations import REVIEWED
from qa_portal.reviews import methodology, moderation
from qa_portal.reviews.forms import PolicyForm
from qa_portal.reviews.models import ReviewPolicy, RubricVersion
from qa_portal.reviews.policy import current_policy
from qa_portal.reviews.rubric import SCORE_LABELS

OUTCOME_RULES = {
    Outcome.APPROVED: "The microcredential meets the criteria. The approval is valid for a "
    "stated period and the microcredential is listed in the public catalogue.",
    Outcome.APPROVED_WITH_CONDITIONS: "The microcredential meets the criteria subject to "
    "binding conditions, each with a due date. The provider sends evidence for each "
    "condition and the QA body verifies it; the catalogue shows the state of the conditions.",
    Outcome.REVISE_AND_RESUBMIT: "The microcredential does not yet meet the criteria; the "
    "provider may revise the dossier and submit it for a new review round.",
    Outcome.REJECTED: "The microcredential does not meet the criteria.",
    Outcome.DESK_REJECTED: "The dossier is not admitted to review (it is incomplete or out "
    "of scope). No panel reviews it, so there is no review report to publish.",
}


def versions() -> list[RubricVersion]:
    """Every rubric version, the one in force first."""
    return list(
        db.session.execute(sa.select(RubricVersion).order_by(RubricVersion.number.desc()))
        .scalars()
        .all()
    )


def version(number: int) -> RubricVersion | None:
    return db.session.execute(
        sa.select(RubricVersion).where(RubricVersion.number == number)
    ).scalar()


def rubric_url(number: int | None) -> str | None:
    """The absolute address of a rubric version on the public methodology page."""
    if number is None:
        return None
    return external_url("publication.rubric_version", number=number)


def _format(value: Any) -> str:
    """A setting as text: yes/no, lists joined, a structured setting (a dict, a list of
    dicts, as a JSON column holds) as "key: value" pairs."""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, dict):
        return ", ".join(f"{str(k).replace('_', ' ')}: {_format(v)}" for k, v in value.items())
    if isinstance(value, list | tuple | set):
        sep = "; " if any(isinstance(v, dict) for v in value) else ", "
        return sep.join(_format(v) for v in value) or "—"
    return "—" if value in (None, "") else str(value)


def policy_settings(policy: ReviewPolicy) -> list[tuple[str, str]]:
    """(label, value) for every setting of the review policy form, as stored now."""
    form = PolicyForm(formdata=None, obj=policy, meta={"csrf": False})
    rows = []
    for field in form:
        if field.type in ("CSRFTokenField", "HiddenField", "SubmitField"):
            continue
        if not hasattr(policy, field.name):
            continue
        rows.append((field.label.text, _format(getattr(policy, field.name))))
    return rows


def publication(policy: ReviewPolicy) -> list[tuple[str, bool]]:
    """Each reviewed outcome and whether its report is published."""
    published = methodology.published_outcomes(policy)
    return [(o.label, o.is_approval or o.value in published) for o in REVIEWED]


def page_data() -> dict[str, Any]:
    """Everything the /methodology page shows."""
    policy = current_policy()
    body = qa_body()
    return {
        "agency": {
            "name": body.name if body else "QA Portal",
            "website": (body.website if body else "") or "",
        },
        "texts": methodology.texts(),
        "policy": policy,
        "settings": policy_settings(policy),
        "versions": versions(),
        "scale": sorted(SCORE_LABELS.items()),
        "divergence": moderation.DIVERGENCE,
        "outcomes": [(o.label, OUTCOME_RULES.get(o, "")) for o in Outcome],
        "appealable": [o.label for o in Outcome if o.is_appealable],
        "publication": publication(policy),
    }
