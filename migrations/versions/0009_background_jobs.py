"""background jobs: durable, leased, one unfinished job per key

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 15:00:00.000000

One row per background job (``core.job_queue``), recorded in the same transaction as its
cause: the task, the key of what it works on ("report:42"), the arguments, the state
(pending, running, done, failed), the attempts, when it may run, when it was handed to a
worker, the runner's lease, and the last error. A partial unique index allows one
unfinished job per key. Reports queued or left rendering before this revision get a job,
so that the sweep renders them. Downgrade drops the table (unfinished reports stay queued).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

UNFINISHED = sa.text("state IN ('pending', 'running')")


def upgrade():
    op.create_table('background_job',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task', sa.String(length=80), nullable=False),
    sa.Column('key', sa.String(length=120), nullable=True),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('state', sa.Enum('pending', 'running', 'done', 'failed', name='jobstate', native_enum=False, length=7, create_constraint=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('max_attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('available_at', sa.DateTime(), nullable=False),
    sa.Column('dispatched_at', sa.DateTime(), nullable=True),
    sa.Column('lease_token', sa.String(length=32), nullable=True),
    sa.Column('lease_expires_at', sa.DateTime(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_background_job'))
    )
    with op.batch_alter_table('background_job', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_background_job_key'), ['key'], unique=False)
        batch_op.create_index('ix_background_job_due', ['state', 'available_at'], unique=False)
        batch_op.create_index('uq_background_job_unfinished_key', ['key'], unique=True,
                              sqlite_where=UNFINISHED, postgresql_where=UNFINISHED)
    # Reports waiting for a rendering that a lost job will never do: a job for each, due now.
    op.execute(
        "INSERT INTO background_job (task, key, payload, state, attempts, max_attempts, "
        "created_at, available_at, last_error) "
        "SELECT 'report.render', 'report:' || id, '{\"report_id\": ' || id || '}', 'pending', "
        "0, 3, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, '' "
        "FROM review_report WHERE status IN ('queued', 'rendering')"
    )


def downgrade():
    with op.batch_alter_table('background_job', schema=None) as batch_op:
        batch_op.drop_index('uq_background_job_unfinished_key')
        batch_op.drop_index('ix_background_job_due')
        batch_op.drop_index(batch_op.f('ix_background_job_key'))

    op.drop_table('background_job')
