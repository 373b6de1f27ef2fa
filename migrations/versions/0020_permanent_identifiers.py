"""permanent identifiers: a stored UUID on every listing, organisation and report

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 22:00:00.000000

``listing.uuid``, ``organisation.uuid`` and ``review_report.uuid``: given once, stored, never
derived from the request or the host. The CTID of a listing or an organisation is ``ce-`` and
its UUID; links keep coming from ``PUBLIC_BASE_URL``, and changing it no longer re-keys the
catalogue.

Backfill:

* A listing keeps the CTID the catalogue already published for it: until now the CTID was
  ``ce-`` and ``uuid5(NAMESPACE_URL, <the listing's page>)``, the page under the deployment's
  ``PUBLIC_BASE_URL`` (``http://127.0.0.1:5000`` when none is set, as in development). That
  value is stored once here, so a registry that already holds the CTID keeps finding the
  same credential; from now on it never changes with the address.
* Organisations and reports get a fresh ``uuid4`` each (no identifier of theirs was
  published before).

Each column is added, filled, then made NOT NULL and given a unique index
(``ix_<table>_uuid``). On SQLite the table is not rebuilt (batch mode would copy
``listing`` without its full-text triggers and expression index, and dropping the old
``organisation`` or ``listing`` under enforced foreign keys would delete or refuse the rows
that refer to it): the column is added NOT NULL with a placeholder default, filled, and the
default is then taken out of the stored table definition, SQLite's documented procedure for
changing a column's default (``PRAGMA writable_schema``, with the schema version bumped so
that every connection re-reads it). PostgreSQL stores the native ``uuid`` type.
"""

import re
import uuid

import sqlalchemy as sa
from alembic import op
from flask import current_app, has_app_context

# revision identifiers, used by Alembic.
revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

TABLES = ("organisation", "listing", "review_report")
DEV_BASE_URL = "http://127.0.0.1:5000"  # core/urls.py: links without PUBLIC_BASE_URL
PLACEHOLDER = "''"  # SQLite: the NOT NULL column's default while it is filled


def _base_url() -> str:
    base = current_app.config.get("PUBLIC_BASE_URL") if has_app_context() else None
    return (base or DEV_BASE_URL).rstrip("/")


def _listing_uuid(base: str, listing_id: int) -> uuid.UUID:
    """The UUID in the CTID that ``ctid_of`` derived from the listing's page before."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"{base}/catalogue/{listing_id}")


def _fill(connection, name: str) -> None:
    table = sa.table(name, sa.column("id", sa.Integer()), sa.column("uuid", sa.Uuid()))
    ids = connection.execute(sa.select(table.c.id).order_by(table.c.id)).scalars().all()
    base = _base_url()
    listing = name == "listing"
    values = [
        {"row_id": row_id, "new_uuid": _listing_uuid(base, row_id) if listing else uuid.uuid4()}
        for row_id in ids
    ]
    update = (
        sa.update(table)
        .where(table.c.id == sa.bindparam("row_id"))
        .values(uuid=sa.bindparam("new_uuid", type_=sa.Uuid()))
    )
    for start in range(0, len(values), 1000):
        connection.execute(update, values[start : start + 1000])


def _drop_sqlite_default(connection, name: str) -> None:
    """Take the placeholder default out of the table's stored definition (a change SQLite
    documents as safe through ``writable_schema``: the stored rows are untouched)."""
    sql = connection.execute(
        sa.text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :name"),
        {"name": name},
    ).scalar_one()
    column = re.compile(rf"(\buuid CHAR\(32\))( DEFAULT {re.escape(PLACEHOLDER)})( NOT NULL)")
    if len(column.findall(sql)) != 1:
        raise RuntimeError(f"migration 0020: unexpected definition of {name}.uuid: {sql}")
    version = connection.exec_driver_sql("PRAGMA schema_version").scalar_one()
    connection.exec_driver_sql("PRAGMA writable_schema=ON")
    connection.execute(
        sa.text("UPDATE sqlite_master SET sql = :sql WHERE type = 'table' AND name = :name"),
        {"sql": column.sub(r"\1\3", sql), "name": name},
    )
    connection.exec_driver_sql(f"PRAGMA schema_version={int(version) + 1}")
    connection.exec_driver_sql("PRAGMA writable_schema=OFF")


def upgrade():
    connection = op.get_bind()
    sqlite = connection.dialect.name == "sqlite"
    for name in TABLES:
        if sqlite:
            op.add_column(
                name,
                sa.Column("uuid", sa.Uuid(), nullable=False, server_default=sa.text(PLACEHOLDER)),
            )
        else:
            op.add_column(name, sa.Column("uuid", sa.Uuid(), nullable=True))
        _fill(connection, name)
        if sqlite:
            _drop_sqlite_default(connection, name)
        else:
            op.alter_column(name, "uuid", existing_type=sa.Uuid(), nullable=False)
        op.create_index(f"ix_{name}_uuid", name, ["uuid"], unique=True)


def downgrade():
    for name in reversed(TABLES):
        op.drop_index(f"ix_{name}_uuid", table_name=name)
        with op.batch_alter_table(name, recreate="never") as batch_op:
            batch_op.drop_column("uuid")
