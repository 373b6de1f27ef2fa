"""findings and factual accuracy: the panel's findings; the draft report's factual check

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 18:00:00.000000

ESG 2.6: the panel writes its findings per criterion (a judgement on the rubric's scale and
its findings), overall strengths, advisory recommendations, proposed binding conditions and
a proposed outcome (``panel_findings``, ``criterion_finding``); the provider checks the draft
report for errors of fact within the policy's ``factual_accuracy_days`` (0: no check, the
default), and the officer answers each point (``factual_check``, ``factual_point``).
Downgrade drops the tables and the policy column.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('factual_check',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dossier_id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.Enum('sent', 'commented', 'expired', 'closed', name='factualcheckstate', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('sent_by_id', sa.Integer(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('statement', sa.Text(), nullable=False),
    sa.Column('no_errors', sa.Boolean(), nullable=False),
    sa.Column('commented_by_id', sa.Integer(), nullable=True),
    sa.Column('commented_at', sa.DateTime(), nullable=True),
    sa.Column('closed_by_id', sa.Integer(), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['closed_by_id'], ['user_account.id'], name=op.f('fk_factual_check_closed_by_id_user_account')),
    sa.ForeignKeyConstraint(['commented_by_id'], ['user_account.id'], name=op.f('fk_factual_check_commented_by_id_user_account')),
    sa.ForeignKeyConstraint(['dossier_id'], ['dossier.id'], name=op.f('fk_factual_check_dossier_id_dossier'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['round_id'], ['review_round.id'], name=op.f('fk_factual_check_round_id_review_round'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sent_by_id'], ['user_account.id'], name=op.f('fk_factual_check_sent_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_factual_check')),
    sa.UniqueConstraint('round_id', name=op.f('uq_factual_check_round_id'))
    )
    with op.batch_alter_table('factual_check', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_factual_check_dossier_id'), ['dossier_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_factual_check_state'), ['state'], unique=False)

    op.create_table('panel_findings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('strengths', sa.Text(), nullable=False),
    sa.Column('recommendations', sa.JSON(), nullable=False),
    sa.Column('conditions', sa.JSON(), nullable=False),
    sa.Column('proposed_outcome', sa.Enum('approve', 'approve_with_conditions', 'revise_and_resubmit', 'reject', name='recommendation', native_enum=False, create_constraint=True), nullable=True),
    sa.Column('written_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('lock_version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['review_round.id'], name=op.f('fk_panel_findings_round_id_review_round'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['written_by_id'], ['user_account.id'], name=op.f('fk_panel_findings_written_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_panel_findings')),
    sa.UniqueConstraint('round_id', name=op.f('uq_panel_findings_round_id'))
    )
    op.create_table('criterion_finding',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('findings_id', sa.Integer(), nullable=False),
    sa.Column('criterion_id', sa.Integer(), nullable=False),
    sa.Column('judgement', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.CheckConstraint('judgement IS NULL OR (judgement >= 1 AND judgement <= 4)', name=op.f('ck_criterion_finding_judgement_range')),
    sa.ForeignKeyConstraint(['criterion_id'], ['rubric_criterion.id'], name=op.f('fk_criterion_finding_criterion_id_rubric_criterion')),
    sa.ForeignKeyConstraint(['findings_id'], ['panel_findings.id'], name=op.f('fk_criterion_finding_findings_id_panel_findings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_criterion_finding')),
    sa.UniqueConstraint('findings_id', 'criterion_id', name=op.f('uq_criterion_finding_findings_id_criterion_id'))
    )
    with op.batch_alter_table('criterion_finding', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_criterion_finding_findings_id'), ['findings_id'], unique=False)

    op.create_table('factual_point',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('check_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('location', sa.String(length=200), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('accepted', sa.Boolean(), nullable=True),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("accepted IS NULL OR (answered_at IS NOT NULL AND answer <> '')", name=op.f('ck_factual_point_answered_with_text')),
    sa.ForeignKeyConstraint(['answered_by_id'], ['user_account.id'], name=op.f('fk_factual_point_answered_by_id_user_account')),
    sa.ForeignKeyConstraint(['check_id'], ['factual_check.id'], name=op.f('fk_factual_point_check_id_factual_check'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_factual_point')),
    sa.UniqueConstraint('check_id', 'position', name=op.f('uq_factual_point_check_id_position'))
    )
    with op.batch_alter_table('factual_point', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_factual_point_check_id'), ['check_id'], unique=False)

    with op.batch_alter_table('review_policy', schema=None) as batch_op:
        batch_op.add_column(sa.Column('factual_accuracy_days', sa.Integer(), server_default=sa.text('0'), nullable=False))



def downgrade():
    with op.batch_alter_table('review_policy', schema=None) as batch_op:
        batch_op.drop_column('factual_accuracy_days')

    with op.batch_alter_table('factual_point', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_factual_point_check_id'))

    op.drop_table('factual_point')
    with op.batch_alter_table('criterion_finding', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_criterion_finding_findings_id'))

    op.drop_table('criterion_finding')
    op.drop_table('panel_findings')
    with op.batch_alter_table('factual_check', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_factual_check_state'))
        batch_op.drop_index(batch_op.f('ix_factual_check_dossier_id'))

    op.drop_table('factual_check')
