"""each listing's index in the QA body's Bitstring Status List

Revision ID: 0021
Revises: 0019 (to be rechained onto 0020 at merge)
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
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("listing") as batch_op:
        batch_op.add_column(sa.Column("status_index", sa.Integer(), nullable=True))
    op.execute("UPDATE listing SET status_index = id - 1")
    with op.batch_alter_table("listing") as batch_op:
        batch_op.create_unique_constraint("uq_listing_status_index", ["status_index"])


def downgrade():
    with op.batch_alter_table("listing") as batch_op:
        batch_op.drop_constraint("uq_listing_status_index", type_="unique")
        batch_op.drop_column("status_index")
