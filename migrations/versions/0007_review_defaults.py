"""review defaults: the review policy row and rubric version 1 with its eight criteria

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 11:45:00.000000

Until now the first read of the policy or the rubric inserted them, so a page view could
write. From here on every database at head has them, and reading only reads.

The rows come from ``qa_portal/reviews/defaults.py`` (plain data: the policy values the
model declared as defaults and the eight criteria of the product spec, weight 1, note
"Default rubric", no author). Only what is missing is inserted: a database whose policy or
rubric was created on first read by the earlier code keeps its own (possibly edited) rows.

Downgrade does nothing, on purpose: the rows are just as valid for revision 0006 (whose code
would create the same rows on first read), the QA admin may have changed the policy since,
and rounds refer to rubric version 1 — deleting them would lose data or fail. Upgrading
again inserts nothing, since the rows are there.
"""
from alembic import op

from qa_portal.reviews.defaults import insert_defaults


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    insert_defaults(op.get_bind())


def downgrade():
    pass
