"""methodology and publication: the agency's texts and contact, and which outcomes are published

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 18:00:00.000000

ESG 2.2, 2.6 and 2.7: the agency publishes its methodology (with its own wording of the
review policy's introduction and of the appeals and complaints procedures), its address and
contact in every report, and the report of every reviewed outcome.

``methodology_text`` holds one row per text (``qa_portal/reviews/methodology.py`` TEXTS),
inserted here with the default wording (contact details empty, for the QA admin to fill
in). ``review_policy.published_outcomes`` lists the reviewed outcomes besides approvals
whose public report is published when issued: all of them by default. Downgrade drops both.
"""
from alembic import op
import sqlalchemy as sa

from qa_portal.reviews.methodology import TEXTS


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    table = op.create_table('methodology_text',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user_account.id'], name=op.f('fk_methodology_text_updated_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_methodology_text')),
    sa.UniqueConstraint('key', name=op.f('uq_methodology_text_key'))
    )
    with op.batch_alter_table('review_policy', schema=None) as batch_op:
        batch_op.add_column(sa.Column('published_outcomes', sa.String(length=200), server_default='revise_and_resubmit,rejected', nullable=False))
    now = sa.func.current_timestamp()
    for t in TEXTS:
        op.execute(table.insert().values(key=t.key, body=t.default, updated_at=now))


def downgrade():
    with op.batch_alter_table('review_policy', schema=None) as batch_op:
        batch_op.drop_column('published_outcomes')

    op.drop_table('methodology_text')
