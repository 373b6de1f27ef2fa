"""audit trail: one successor per entry; PostgreSQL refuses UPDATE/DELETE on audit_entry

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 10:00:00

* ``uq_audit_entry_prev_hash``: two entries can never claim the same predecessor, so the
  hash chain cannot fork, whatever the concurrency (on every database).
* PostgreSQL only: a row trigger raises on UPDATE and DELETE of ``audit_entry``. It stops
  application bugs, hand-written fixes and scripts; the table owner can still disable it
  (``ALTER TABLE audit_entry DISABLE TRIGGER audit_entry_append_only``), and that is what
  the hash chain and ``flask audit verify`` are for. TRUNCATE is not blocked (it fires no
  row trigger): emptying a whole test or demo database stays possible.
  SQLite gets no trigger: the embedded default relies on the ORM guard and the hash chain.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f("uq_audit_entry_prev_hash"), ["prev_hash"])

    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION audit_entry_append_only() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'audit_entry is append-only: % refused', TG_OP
                    USING ERRCODE = 'insufficient_privilege';
            END
            $$
            """
        )
        op.execute(
            """
            CREATE TRIGGER audit_entry_append_only
            BEFORE UPDATE OR DELETE ON audit_entry
            FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only()
            """
        )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_entry_append_only ON audit_entry")
        op.execute("DROP FUNCTION IF EXISTS audit_entry_append_only()")

    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_audit_entry_prev_hash"), type_="unique")
