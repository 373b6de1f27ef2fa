"""procedure roles: members of the decision committee and of the appeals committee

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 18:00:00.000000

ESG 2.7 and agencies' practice: a board or accreditation committee decides on the panel's
and the officer's proposal, and an appeals committee whose members had no part in the
decision decides appeals. ``user_role.role`` gains the two roles (``committee``,
``appeals_committee``); the column widens to hold them and its check constraint lists them.
Downgrade removes the rows of the two roles first (their users keep their other roles).
"""

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

OLD = ("provider", "reviewer", "qa_officer", "qa_admin")
NEW = OLD + ("committee", "appeals_committee")


def _role(values):
    return sa.Enum(*values, name="role", native_enum=False, create_constraint=True)


def _change(old, new):
    with op.batch_alter_table("user_role", recreate="always") as batch_op:
        batch_op.drop_constraint(op.f("ck_user_role_role"), type_="check")
        batch_op.alter_column(
            "role",
            existing_type=sa.String(length=max(map(len, old))),
            type_=sa.String(length=max(map(len, new))),
            existing_nullable=False,
        )
        batch_op.create_check_constraint("role", sa.column("role").in_(new))


def upgrade():
    _change(OLD, NEW)


def downgrade():
    op.execute(sa.text("DELETE FROM user_role WHERE role IN ('committee', 'appeals_committee')"))
    _change(NEW, OLD)
