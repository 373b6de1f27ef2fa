"""the panel composition rules a round opened under, frozen for its report

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 19:40:00.000000

``review_round.composition_rules``: the review policy's composition requirements (member
types, chair) and how the panel met them when the review opened (JSON list of {label,
required, present, met}), so that a report states the rules the round was held under, not
the ones in force when the report is printed. NULL for rounds opened before.
"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("review_round") as batch_op:
        batch_op.add_column(sa.Column("composition_rules", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("review_round") as batch_op:
        batch_op.drop_column("composition_rules")
