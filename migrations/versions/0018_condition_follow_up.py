"""condition follow-up: the QA body's decision on a condition not met

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 18:10:00.000000

ESG 2.3, follow-up with teeth: a condition not met is either extended (a new due date) or
the approval is withdrawn. ``condition_follow_up`` records each such decision (condition,
action, reason, the due date before and the new one, who and when). A withdrawn approval
leaves the dossier in the existing final state ``withdrawn``: a new state value would mean
rebuilding the ``dossier`` table on SQLite, whose DROP, with foreign keys enforced, deletes
the rows of every table that cascades from it. Downgrade drops the table.
"""

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "condition_follow_up",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("condition_id", sa.Integer(), nullable=False),
        sa.Column(
            "action",
            sa.Enum(
                "extend",
                "withdraw",
                name="followupaction",
                native_enum=False,
                length=8,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("previous_due_date", sa.Date(), nullable=False),
        sa.Column("new_due_date", sa.Date(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "(action = 'extend') = (new_due_date IS NOT NULL)",
            name=op.f("ck_condition_follow_up_extension_has_due_date"),
        ),
        sa.ForeignKeyConstraint(
            ["condition_id"],
            ["condition.id"],
            name=op.f("fk_condition_follow_up_condition_id_condition"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["user_account.id"],
            name=op.f("fk_condition_follow_up_decided_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_condition_follow_up")),
    )
    with op.batch_alter_table("condition_follow_up", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_condition_follow_up_condition_id"), ["condition_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("condition_follow_up", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_condition_follow_up_condition_id"))
    op.drop_table("condition_follow_up")
