"""each listing's index in the QA body's Bitstring Status List

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 22:00:00.000000

``listing.status_index``: the listing's bit in the revocation status list published at
``/credentials/status/1`` (catalogue/status_list.py), named by the ``credentialStatus`` of
its signed endorsement credentials. Unique and never reused; existing listings get
``id - 1`` (in publication order), new ones the next after the highest.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


# Plain ALTER TABLE, not a batch: SQLite's batch mode rebuilds the table, which would drop
# the full-text triggers and the expression index on the listing.
def upgrade():
    op.add_column("listing", sa.Column("status_index", sa.Integer(), nullable=True))
    op.execute("UPDATE listing SET status_index = id - 1")
    op.create_index("ix_listing_status_index", "listing", ["status_index"], unique=True)


def downgrade():
    op.drop_index("ix_listing_status_index", table_name="listing")
    op.drop_column("listing", "status_index")
