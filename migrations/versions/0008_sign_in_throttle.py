"""sign-in throttle: failed sign-ins per e-mail address, for the backoff and lockout

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 13:00:00.000000

One row per e-mail address (stored as a keyed hash, never in clear) with recent failed
sign-ins, whether or not an account uses it: the count, the last failure and the end of
the current lockout. Rows are deleted on a successful sign-in or password reset and a day
after their last failure. Downgrade drops the table: the counts are transient.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sign_in_throttle',
    sa.Column('address_key', sa.String(length=64), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_failure_at', sa.DateTime(), nullable=False),
    sa.Column('locked_until', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('address_key', name=op.f('pk_sign_in_throttle'))
    )
    with op.batch_alter_table('sign_in_throttle', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sign_in_throttle_last_failure_at'), ['last_failure_at'], unique=False)


def downgrade():
    with op.batch_alter_table('sign_in_throttle', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sign_in_throttle_last_failure_at'))

    op.drop_table('sign_in_throttle')
