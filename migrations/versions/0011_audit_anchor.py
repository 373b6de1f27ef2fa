"""audit anchor: a hash version per entry; TRUNCATE, UPDATE and DELETE refused by triggers

TRUNCATE is refused on PostgreSQL (UPDATE and DELETE already were, 0003); UPDATE and DELETE
on SQLite.

Revision ID: 0011
Revises: 0009
Create Date: 2026-12-10 10:00:00.000000

* ``audit_entry.hash_version``: 1 for a plain SHA-256 hash (every entry written before the
  audit key), 2 for HMAC-SHA-256 under the audit key (core/audit.py). Upgrading marks an
  entry 1 when its stored hash is its plain SHA-256, and 2 otherwise: so entries keyed
  before a downgrade are recognised again (a downgrade keeps their hashes); an entry
  changed by hand before the upgrade gets 2 and ``flask audit verify`` reports it.
* PostgreSQL: a statement trigger refuses TRUNCATE on ``audit_entry`` (migration 0003's
  row trigger already refuses UPDATE and DELETE; both use its function).
* SQLite: triggers refuse UPDATE and DELETE on ``audit_entry``. A later migration that
  rebuilds the table on SQLite (``batch_alter_table`` with a copy) drops them with the old
  table and must create them again.

The table owner can still drop the triggers: the audit key and the signed checkpoints
outside the database are what make tampering visible. Downgrade drops the triggers and
the column; keyed entries keep their hashes (the code of 0008 cannot check them).
"""
import hashlib

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0011"
down_revision = "0009"
branch_labels = None
depends_on = None

SQLITE_TRIGGERS = {
    "audit_entry_no_update": "UPDATE",
    "audit_entry_no_delete": "DELETE",
}

audit_entry = sa.table(
    "audit_entry",
    sa.column("id", sa.Integer),
    sa.column("created_at", sa.DateTime),
    sa.column("actor_id", sa.Integer),
    sa.column("actor_label", sa.String),
    sa.column("action", sa.String),
    sa.column("object_type", sa.String),
    sa.column("object_id", sa.Integer),
    sa.column("data", sa.Text),
    sa.column("prev_hash", sa.String),
    sa.column("hash", sa.String),
    sa.column("hash_version", sa.SmallInteger),
)


def _plain_hash(row) -> str:
    """Hash version 1, as core/audit.py computed it before the audit key (frozen here)."""
    parts = [
        row.prev_hash,
        row.created_at.isoformat(timespec="microseconds"),
        "" if row.actor_id is None else str(row.actor_id),
        row.actor_label,
        row.action,
        row.object_type,
        "" if row.object_id is None else str(row.object_id),
        row.data,
    ]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _not_plain(connection, batch: int = 5000) -> list[int]:
    """The ids of the entries whose hash is not their plain SHA-256."""
    ids, after = [], 0
    while True:
        rows = connection.execute(
            sa.select(audit_entry)
            .where(audit_entry.c.id > after)
            .order_by(audit_entry.c.id)
            .limit(batch)
        ).all()
        if not rows:
            return ids
        ids += [row.id for row in rows if row.hash != _plain_hash(row)]
        after = rows[-1].id


def upgrade():
    connection = op.get_bind()
    postgres = connection.dialect.name == "postgresql"
    op.add_column(
        "audit_entry",
        sa.Column("hash_version", sa.SmallInteger(), nullable=False, server_default="1"),
    )
    keyed = _not_plain(connection)
    if keyed:
        if postgres:
            op.execute("ALTER TABLE audit_entry DISABLE TRIGGER audit_entry_append_only")
        for start in range(0, len(keyed), 1000):
            connection.execute(
                sa.update(audit_entry)
                .where(audit_entry.c.id.in_(keyed[start : start + 1000]))
                .values(hash_version=2)
            )
        if postgres:
            op.execute("ALTER TABLE audit_entry ENABLE TRIGGER audit_entry_append_only")
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.alter_column("hash_version", server_default=None)

    if postgres:
        op.execute(
            """
            CREATE TRIGGER audit_entry_no_truncate
            BEFORE TRUNCATE ON audit_entry
            FOR EACH STATEMENT EXECUTE FUNCTION audit_entry_append_only()
            """
        )
    elif connection.dialect.name == "sqlite":
        for name, operation in SQLITE_TRIGGERS.items():
            op.execute(
                f"""
                CREATE TRIGGER {name} BEFORE {operation} ON audit_entry
                BEGIN
                    SELECT RAISE(ABORT, 'audit_entry is append-only: {operation} refused');
                END
                """
            )


def downgrade():
    connection = op.get_bind()
    if connection.dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_entry_no_truncate ON audit_entry")
    elif connection.dialect.name == "sqlite":
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.drop_column("hash_version")
