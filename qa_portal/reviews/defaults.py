"""The review policy and rubric version 1 every installation starts with.

Plain data and one function: migration 0007 inserts these rows, so every database at head has
exactly one policy row and at least one rubric version, and the functions that read them
(``policy.current_policy``, ``rubric.current_rubric``) only read. The test harness puts the
same rows back after it empties the tables, through ``insert_defaults``.

Changing a value here changes new installations only; an existing database changes through
the QA admin's policy and rubric pages (or a new migration).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import sqlalchemy as sa

DEFAULT_POLICY = {
    "reviewers_per_dossier": 2,
    "response_days": 7,
    "review_days": 28,
    "reminder_days": 3,
    "validity_years": 5,
    "condition_days": 90,
    "appeal_days": 30,
    "renewal_notice_days": 120,
    # member types (JSON text: [{key, label}]), required members per type (JSON text:
    # {key: count}, none by default), chair, secretary, what the public report discloses of
    # the panel, and whether a round has a site visit
    "panel_member_types": json.dumps(
        [
            {"key": "academic", "label": "Academic"},
            {"key": "student", "label": "Student"},
            {"key": "labour_market", "label": "Labour market"},
            {"key": "international", "label": "International"},
        ]
    ),
    "panel_required_counts": "{}",
    "panel_chair_required": False,
    "panel_secretary_used": False,
    "panel_disclosure": "names_roles_types",
    "site_visit": "none",
    "factual_accuracy_days": 0,  # 0: no factual-accuracy check of the draft report
    "decision_body": "officer",
    "committee_name": "",
    "committee_quorum": 3,
    "complaint_ack_days": 5,
    "complaint_days": 30,
    "appeals_committee_size": 1,
}

# The reviewed outcomes (besides approvals) whose public report is published when issued:
# all of them, as ESG 2.6 asks (the ReviewPolicy column's server default).
PUBLISHED_OUTCOMES = "revise_and_resubmit,rejected"

DEFAULT_RUBRIC_NOTE = "Default rubric"

# The eight default criteria of the product spec (section 4): (title, guidance), weight 1.
DEFAULT_CRITERIA = [
    (
        "Learning outcomes are clear, observable and fit the declared level.",
        "Outcomes state what a learner can do, with observable action verbs, in the three EQF "
        "domains as relevant; their complexity matches the declared EQF level.",
    ),
    (
        "Assessment is valid, reliable and aligned with every learning outcome.",
        "Every outcome is assessed; methods suit the outcomes; pass criteria are explicit; "
        "identity verification and supervision fit the stakes of the credential.",
    ),
    (
        "Workload and credit are plausible for the outcomes.",
        "Notional hours and ECTS (25–30 hours per credit) are consistent with the outcomes, the "
        "level and the duration.",
    ),
    (
        "Prerequisites and entry requirements are transparent.",
        "Learners can tell before enrolling what they need to know or hold, and how it is checked.",
    ),
    (
        "Stackability, recognition and credit transfer are documented.",
        "The qualifications it counts towards, the credits recognised and the arrangements "
        "are stated and evidenced.",
    ),
    (
        "The provider's internal quality assurance is adequate.",
        "Internal QA covers design, delivery, assessment and review, with learner feedback and "
        "external input.",
    ),
    (
        "Relevance to labour-market or societal needs is evidenced.",
        "The need is documented (employers, sector bodies, skills frameworks such as ESCO), and "
        "the outcomes answer it.",
    ),
    (
        "Information for learners is complete (cost, grading, issuance, portability).",
        "Cost, grading, how and in which standard the credential is issued, and its "
        "portability are published.",
    ),
]

# The tables as migration 0007 found them (only the columns written here), so the function
# works inside a migration as well as on a database at head.
_policy = sa.table(
    "review_policy", sa.column("id"), sa.column("updated_at"), *map(sa.column, DEFAULT_POLICY)
)
_rubric = sa.table(
    "rubric_version",
    sa.column("id"),
    sa.column("number"),
    sa.column("created_at"),
    sa.column("created_by_id"),
    sa.column("note"),
)
_criterion = sa.table(
    "rubric_criterion",
    sa.column("rubric_id"),
    sa.column("position"),
    sa.column("title"),
    sa.column("guidance"),
    sa.column("weight"),
)


class MissingDefaults(RuntimeError):
    """The database lacks the rows its migrations insert: it is not at the latest revision."""


def insert_defaults(connection: sa.Connection) -> None:
    """Insert the default policy row and rubric version 1 where there is none yet (nothing
    else: an existing policy or rubric is left as it is)."""
    now = datetime.now(UTC).replace(tzinfo=None)  # naive UTC, as every stored time
    if connection.execute(sa.select(sa.func.count()).select_from(_policy)).scalar() == 0:
        # Inside migration 0007 the columns later migrations add are not there yet: those
        # migrations give the row their defaults.
        present = {c["name"] for c in sa.inspect(connection).get_columns("review_policy")}
        values = {name: v for name, v in DEFAULT_POLICY.items() if name in present}
        connection.execute(_policy.insert().values(updated_at=now, **values))
    if connection.execute(sa.select(sa.func.count()).select_from(_rubric)).scalar() == 0:
        connection.execute(
            _rubric.insert().values(
                number=1, created_at=now, created_by_id=None, note=DEFAULT_RUBRIC_NOTE
            )
        )
        rubric_id = connection.execute(
            sa.select(_rubric.c.id).where(_rubric.c.number == 1)
        ).scalar_one()
        connection.execute(
            _criterion.insert(),
            [
                {
                    "rubric_id": rubric_id,
                    "position": position,
                    "title": title,
                    "guidance": guidance,
                    "weight": 1.0,
                }
                for position, (title, guidance) in enumerate(DEFAULT_CRITERIA, start=1)
            ],
        )
