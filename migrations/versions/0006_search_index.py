"""catalogue search on PostgreSQL: the words and the filters in one GIN index

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 06:40:00.000000

"""
from alembic import op

from qa_portal.catalogue import fulltext


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        for statement in fulltext.POSTGRES_SEARCH_INDEX_UP:
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for statement in fulltext.POSTGRES_SEARCH_INDEX_DOWN:
            op.execute(statement)
