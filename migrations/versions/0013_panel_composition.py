"""panel composition and site visit: member types, panel roles, exceptions, site visits

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 19:00:00.000000

ESG 2.4 (panel composition) and 2.3 (site visit or interview). The review policy gains the
panel member types (JSON text, [{key, label}]), the required members per type (JSON text),
whether a chair is required and a secretary used, what the public report discloses of the
panel, and whether rounds have a site visit; the existing row takes the defaults of
``reviews/defaults.py`` (no requirement, no site visit: the procedure as before). Reviewer
profiles record their member types; each assignment has a panel role (member by default).
New tables: ``panel_exception`` (the officer's justified exception to the composition rules)
and ``site_visit`` (one per round). Downgrade drops them all.
"""

import json

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

MEMBER_TYPES = json.dumps(
    [
        {"key": "academic", "label": "Academic"},
        {"key": "student", "label": "Student"},
        {"key": "labour_market", "label": "Labour market"},
        {"key": "international", "label": "International"},
    ]
)


def _enum(name, *values):
    return sa.Enum(
        *values,
        name=name,
        native_enum=False,
        length=max(map(len, values)),
        create_constraint=True,
    )


POLICY_COLUMNS = (
    ("panel_member_types", sa.Text(), MEMBER_TYPES),
    ("panel_required_counts", sa.Text(), "{}"),
    ("panel_chair_required", sa.Boolean(), sa.false()),
    ("panel_secretary_used", sa.Boolean(), sa.false()),
    (
        "panel_disclosure",
        _enum("paneldisclosure", "names_roles_types", "roles_types"),
        "names_roles_types",
    ),
    ("site_visit", _enum("sitevisitpolicy", "none", "optional", "required"), "none"),
)


def upgrade():
    # Each new NOT NULL column is added with a server default (the existing rows take it),
    # which is then dropped: the models set the values.
    with op.batch_alter_table("review_policy", schema=None) as batch_op:
        for name, type_, default in POLICY_COLUMNS:
            batch_op.add_column(sa.Column(name, type_, nullable=False, server_default=default))
    with op.batch_alter_table("review_policy", schema=None) as batch_op:
        for name, type_, _default in POLICY_COLUMNS:
            batch_op.alter_column(name, existing_type=type_, server_default=None)

    with op.batch_alter_table("reviewer_profile", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("member_types", sa.JSON(), nullable=False, server_default="[]")
        )
    with op.batch_alter_table("reviewer_profile", schema=None) as batch_op:
        batch_op.alter_column("member_types", existing_type=sa.JSON(), server_default=None)

    role = _enum("panelrole", "chair", "member", "secretary")
    with op.batch_alter_table("review_assignment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("panel_role", role, nullable=False, server_default="member"))
    with op.batch_alter_table("review_assignment", schema=None) as batch_op:
        batch_op.alter_column("panel_role", existing_type=role, server_default=None)

    op.create_table(
        "panel_exception",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("justification", sa.Text(), nullable=False),
        sa.Column("unmet", sa.JSON(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["user_account.id"],
            name=op.f("fk_panel_exception_recorded_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["review_round.id"],
            name=op.f("fk_panel_exception_round_id_review_round"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_panel_exception")),
    )
    with op.batch_alter_table("panel_exception", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_panel_exception_round_id"), ["round_id"])

    op.create_table(
        "site_visit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column(
            "state", _enum("sitevisitstate", "scheduled", "held", "cancelled"), nullable=False
        ),
        sa.Column("mode", _enum("sitevisitmode", "on_site", "online"), nullable=False),
        sa.Column("scheduled_for", sa.DateTime(), nullable=False),
        sa.Column("location", sa.String(length=500), nullable=False),
        sa.Column("participants", sa.Text(), nullable=False),
        sa.Column("minutes", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("cancel_reason", sa.Text(), nullable=False),
        sa.Column("original_name", sa.String(length=200), nullable=True),
        sa.Column("stored_name", sa.String(length=64), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("size", sa.Integer(), nullable=True),
        sa.Column("scheduled_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["user_account.id"],
            name=op.f("fk_site_visit_recorded_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["review_round.id"],
            name=op.f("fk_site_visit_round_id_review_round"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["scheduled_by_id"],
            ["user_account.id"],
            name=op.f("fk_site_visit_scheduled_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site_visit")),
        sa.UniqueConstraint("round_id", name=op.f("uq_site_visit_round_id")),
        sa.UniqueConstraint("stored_name", name=op.f("uq_site_visit_stored_name")),
    )
    with op.batch_alter_table("site_visit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_site_visit_state"), ["state"])


def downgrade():
    with op.batch_alter_table("site_visit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_site_visit_state"))
    op.drop_table("site_visit")
    with op.batch_alter_table("panel_exception", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_panel_exception_round_id"))
    op.drop_table("panel_exception")
    # SQLite keeps a column's check constraint in the table: drop it with the column
    with op.batch_alter_table("review_assignment", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_review_assignment_panelrole"), type_="check")
        batch_op.drop_column("panel_role")
    with op.batch_alter_table("reviewer_profile", schema=None) as batch_op:
        batch_op.drop_column("member_types")
    with op.batch_alter_table("review_policy", schema=None) as batch_op:
        for check in ("paneldisclosure", "sitevisitpolicy"):
            batch_op.drop_constraint(op.f(f"ck_review_policy_{check}"), type_="check")
        for name, _type, _default in reversed(POLICY_COLUMNS):
            batch_op.drop_column(name)
