"""complaints, and appeals decided by the appeals committee

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 19:00:00.000000

ESG 2.7: a complaints procedure separate from appeals (``complaint``: category, text,
optional dossier and person complained about, optional PDF, state, due dates, handler,
outcome and response), and the appeals committee's hearing of an appeal
(``appeal_hearing``: meeting date, who recorded it; ``appeal_hearing_member``: the members
who took part). The review policy gains the complaint periods and the minimum number of
appeals committee members (defaults 5 days, 30 days, 1). Downgrade drops them.
"""

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

POLICY = {"complaint_ack_days": 5, "complaint_days": 30, "appeals_committee_size": 1}


def _enum(name, *values):
    return sa.Enum(
        *values,
        name=name,
        native_enum=False,
        length=max(map(len, values)),
        create_constraint=True,
    )


def upgrade():
    with op.batch_alter_table("review_policy") as batch_op:
        for name, default in POLICY.items():
            batch_op.add_column(
                sa.Column(name, sa.Integer(), nullable=False, server_default=str(default))
            )
    with op.batch_alter_table("review_policy") as batch_op:
        for name in POLICY:
            batch_op.alter_column(name, existing_type=sa.Integer(), server_default=None)

    op.create_table(
        "appeal_hearing",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("appeal_id", sa.Integer(), nullable=False),
        sa.Column("meeting_date", sa.Date(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["appeal_id"],
            ["appeal.id"],
            name=op.f("fk_appeal_hearing_appeal_id_appeal"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["user_account.id"],
            name=op.f("fk_appeal_hearing_recorded_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appeal_hearing")),
        sa.UniqueConstraint("appeal_id", name=op.f("uq_appeal_hearing_appeal_id")),
    )
    op.create_table(
        "appeal_hearing_member",
        sa.Column("hearing_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["hearing_id"],
            ["appeal_hearing.id"],
            name=op.f("fk_appeal_hearing_member_hearing_id_appeal_hearing"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_appeal_hearing_member_user_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("hearing_id", "user_id", name=op.f("pk_appeal_hearing_member")),
    )
    op.create_table(
        "complaint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("category", _enum("complaintcategory", "conduct", "process", "other"),
                  nullable=False),
        sa.Column(
            "state",
            _enum("complaintstate", "lodged", "acknowledged", "resolved", "withdrawn"),
            nullable=False,
        ),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("complainant_id", sa.Integer(), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=True),
        sa.Column("subject_id", sa.Integer(), nullable=True),
        sa.Column("lodged_at", sa.DateTime(), nullable=False),
        sa.Column("ack_due", sa.Date(), nullable=False),
        sa.Column("resolution_due", sa.Date(), nullable=False),
        sa.Column("handler_id", sa.Integer(), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(), nullable=True),
        sa.Column(
            "outcome",
            _enum("complaintoutcome", "upheld", "partly_upheld", "not_upheld"),
            nullable=True,
        ),
        sa.Column("response", sa.Text(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(), nullable=True),
        sa.Column("attachment_name", sa.String(length=200), nullable=True),
        sa.Column("attachment_stored_name", sa.String(length=64), nullable=True),
        sa.Column("attachment_sha256", sa.String(length=64), nullable=True),
        sa.Column("attachment_size", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "state != 'resolved' OR (outcome IS NOT NULL AND handler_id IS NOT NULL)",
            name=op.f("ck_complaint_resolved_has_outcome"),
        ),
        sa.ForeignKeyConstraint(
            ["complainant_id"],
            ["user_account.id"],
            name=op.f("fk_complaint_complainant_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["dossier_id"],
            ["dossier.id"],
            name=op.f("fk_complaint_dossier_id_dossier"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["handler_id"], ["user_account.id"], name=op.f("fk_complaint_handler_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["user_account.id"], name=op.f("fk_complaint_subject_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint")),
        sa.UniqueConstraint(
            "attachment_stored_name", name=op.f("uq_complaint_attachment_stored_name")
        ),
    )
    with op.batch_alter_table("complaint") as batch_op:
        batch_op.create_index(batch_op.f("ix_complaint_complainant_id"), ["complainant_id"])
        batch_op.create_index(batch_op.f("ix_complaint_dossier_id"), ["dossier_id"])
        batch_op.create_index(batch_op.f("ix_complaint_state"), ["state"])


def downgrade():
    with op.batch_alter_table("complaint") as batch_op:
        batch_op.drop_index(batch_op.f("ix_complaint_state"))
        batch_op.drop_index(batch_op.f("ix_complaint_dossier_id"))
        batch_op.drop_index(batch_op.f("ix_complaint_complainant_id"))
    op.drop_table("complaint")
    op.drop_table("appeal_hearing_member")
    op.drop_table("appeal_hearing")
    with op.batch_alter_table("review_policy") as batch_op:
        for name in reversed(list(POLICY)):
            batch_op.drop_column(name)
