"""The audit trail: who did what, when, to which object, with the changed data; entries are
chained by hash, never changed through the application, and ``flask audit verify`` names
the first entry that was tampered with."""

from __future__ import annotations

import json
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from qa_portal.accounts import operations as accounts
from qa_portal.core import audit
from qa_portal.core.audit import GENESIS, LEGACY, AuditEntry, AuditTrailIsAppendOnly, legacy_hash
from qa_portal.core.db import commit
from qa_portal.core.models import utcnow
from qa_portal.extensions import db
from tests.harness import audit_triggers_lifted


def _entries() -> list[AuditEntry]:
    return list(db.session.execute(sa.select(AuditEntry).order_by(AuditEntry.id)).scalars())


def _verify(app):
    return app.test_cli_runner().invoke(args=["audit", "verify"])


@contextmanager
def raw_sql():
    """A connection outside the ORM, as someone with database access would use, with the
    append-only triggers out of the way for the duration (as the table owner can do),
    inside the same transaction: if anything fails, the rollback re-arms them."""
    db.session.commit()
    db.session.close()  # hold no lock on audit_entry while the table is altered
    with db.engine.begin() as connection, audit_triggers_lifted(connection):
        yield connection


# -- what an entry holds ------------------------------------------------------------------
def test_operations_append_who_when_what_which_object_and_the_changes(
    client, login, people, make_dossier
):
    start = utcnow()
    org = people.org_a
    accounts.update_organisation(
        people.admin,
        org,
        name="Provider A University",
        domain=org.domain,
        country="IE",
        website=None,
    )
    commit()
    dossier = make_dossier(people.provider_a, submit=True)
    login(client, people.officer)
    file = dossier.files[0]
    response = client.get(f"/dossiers/{dossier.id}/files/{file.id}")
    response.close()
    assert response.status_code == 200
    end = utcnow()

    entries = _entries()
    actions = [e.action for e in entries]
    assert actions == [
        "organisation.update",
        "dossier.create",
        "dossier.save",
        "dossier.file_upload",
        "dossier.file_upload",
        "dossier.submit",
        "dossier.file_download",  # a sensitive action by QA staff
    ]
    for entry in entries:
        assert start <= entry.created_at <= end

    rename = entries[0]
    assert (rename.actor_id, rename.actor_label) == (people.admin.id, people.admin.email)
    assert (rename.object_type, rename.object_id) == ("organisation", org.id)
    assert rename.payload == {"changes": {"name": ["Provider A", "Provider A University"]}}

    submit = entries[5]
    assert submit.actor_id == people.provider_a.id
    assert (submit.object_type, submit.object_id) == ("dossier", dossier.id)
    assert submit.payload["from_state"] == "draft"
    assert submit.payload["to_state"] == "submitted"
    assert submit.payload["version_sha256"] == dossier.versions[0].sha256

    download = entries[6]
    assert download.actor_label == people.officer.email
    assert download.payload == {"file_id": file.id, "sha256": file.sha256}

    # each entry holds the previous entry's hash, and its own hash covers its content
    assert entries[0].prev_hash == GENESIS
    for previous, entry in zip(entries, entries[1:], strict=False):
        assert entry.prev_hash == previous.hash
    for entry in entries:
        assert entry.hash == entry.content_hash()


def test_an_entry_belongs_to_its_transaction(people):
    """A refused or failed action leaves no trace in the trail (and no gap in the chain)."""
    audit.record(people.admin, "organisation.update", people.org_a, changes={"x": [1, 2]})
    db.session.rollback()
    assert _entries() == []
    audit.record(None, "system.check", None)
    commit()
    (entry,) = _entries()
    assert entry.prev_hash == GENESIS
    assert (entry.actor_id, entry.actor_label, entry.object_type) == (None, "system", "system")


# -- flask audit verify -------------------------------------------------------------------
@pytest.fixture
def trail(people):
    """Six chained entries by different people; returns their ids in order."""
    actors = [people.admin, people.officer, people.provider_a, None, people.admin, people.reviewer]
    for n, actor in enumerate(actors, start=1):
        audit.record(actor, "organisation.update", people.org_a, changes={"step": n})
    commit()
    return [e.id for e in _entries()]


def test_verify_an_intact_trail(app, trail):
    result = _verify(app)
    assert result.exit_code == 0, result.output
    assert f"intact: {len(trail)} entries verified" in result.output


def test_verify_an_empty_trail(app):
    result = _verify(app)
    assert result.exit_code == 0
    assert "intact: 0 entries" in result.output


def _rehash(connection, entry_id: int, **changes) -> None:
    """Rewrite an entry and give it a correct plain SHA-256 hash for its new content (a
    careful forger without the audit key)."""
    row = (
        connection.execute(sa.select(AuditEntry.__table__).where(AuditEntry.id == entry_id))
        .one()
        ._asdict()
    )
    row.update(changes)
    row["hash"] = legacy_hash(
        row["prev_hash"],
        row["created_at"],
        row["actor_id"],
        row["actor_label"],
        row["action"],
        row["object_type"],
        row["object_id"],
        row["data"],
    )
    connection.execute(
        sa.update(AuditEntry.__table__).where(AuditEntry.id == entry_id).values(**row)
    )


def _swap(connection, column: str, a: int, b: int) -> None:
    """Swap one column of two entries (through a placeholder: the column may be unique)."""
    table = AuditEntry.__table__
    value = {
        r.id: r[1]
        for r in connection.execute(
            sa.select(table.c.id, table.c[column]).where(table.c.id.in_([a, b]))
        )
    }
    placeholder = -1 if column == "id" else "x" * 64
    connection.execute(sa.update(table).where(table.c.id == a).values({column: placeholder}))
    connection.execute(sa.update(table).where(table.c.id == b).values({column: value[a]}))
    where = table.c.id == placeholder if column == "id" else table.c[column] == placeholder
    connection.execute(sa.update(table).where(where).values({column: value[b]}))


TAMPERING = {
    # name: (what is done to the trail [ids by position], position of the first bad entry)
    "changed data": (
        lambda c, ids: c.execute(
            sa.text("UPDATE audit_entry SET data = :d WHERE id = :id"),
            {"d": json.dumps({"changes": {"step": 99}}), "id": ids[2]},
        ),
        2,
    ),
    "changed actor": (
        lambda c, ids: c.execute(
            sa.text(
                "UPDATE audit_entry SET actor_id = NULL, actor_label = 'system' WHERE id = :id"
            ),
            {"id": ids[1]},
        ),
        1,
    ),
    "changed time": (
        lambda c, ids: c.execute(
            sa.text("UPDATE audit_entry SET created_at = :t WHERE id = :id"),
            {"t": utcnow().replace(year=2001), "id": ids[4]},
        ),
        4,
    ),
    "deleted middle entry": (
        lambda c, ids: c.execute(sa.text("DELETE FROM audit_entry WHERE id = :id"), {"id": ids[2]}),
        3,  # the entry after the gap no longer links to its predecessor
    ),
    # Without the audit key a forger cannot give a changed entry a valid keyed hash,
    "rewritten entry with a recomputed hash": (
        lambda c, ids: _rehash(c, ids[2], data=json.dumps({"changes": {"step": 99}})),
        2,
    ),
    # nor pass it off as one from before the key.
    "rewritten entry with a recomputed hash of an entry from before the key": (
        lambda c, ids: _rehash(
            c, ids[2], data=json.dumps({"changes": {"step": 99}}), hash_version=LEGACY
        ),
        2,
    ),
    "hashes of two entries swapped": (lambda c, ids: _swap(c, "hash", ids[1], ids[2]), 1),
    "two entries swapped in order": (lambda c, ids: _swap(c, "id", ids[3], ids[4]), 3),
}


@pytest.mark.parametrize("tampering", list(TAMPERING))
def test_verify_names_the_first_tampered_entry(app, trail, tampering):
    change, bad_position = TAMPERING[tampering]
    with raw_sql() as connection:
        change(connection, trail)

    result = _verify(app)

    assert result.exit_code != 0
    bad_id = trail[bad_position]
    assert f"BROKEN at entry {bad_id} (" in result.output, result.output
    before = db.session.execute(
        sa.select(sa.func.count()).select_from(AuditEntry).where(AuditEntry.id < bad_id)
    ).scalar()
    assert f"The {before} entries before it are intact" in result.output


# -- append-only ----------------------------------------------------------------------------
REFUSED_CHANGES = {
    "update through the unit of work": lambda e: setattr(e, "data", '{"forged": true}'),
    "delete through the unit of work": lambda e: db.session.delete(e),
    "bulk update": lambda e: db.session.execute(sa.update(AuditEntry).values(data="{}")),
    "bulk delete": lambda e: db.session.execute(sa.delete(AuditEntry).where(AuditEntry.id == e.id)),
    "bulk update of the table": lambda e: db.session.execute(
        sa.update(AuditEntry.__table__).values(actor_label="system")
    ),
}


@pytest.mark.parametrize("change", list(REFUSED_CHANGES))
def test_the_application_cannot_change_or_remove_entries(app, trail, change):
    entry = _entries()[2]
    with pytest.raises(AuditTrailIsAppendOnly):
        REFUSED_CHANGES[change](entry)
        db.session.flush()
    db.session.rollback()
    assert [e.id for e in _entries()] == trail
    assert _verify(app).exit_code == 0


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_entry SET data = '{}'",
        "UPDATE audit_entry SET hash_version = 1",
        "DELETE FROM audit_entry WHERE id = (SELECT max(id) FROM audit_entry)",
        "DELETE FROM audit_entry",
    ],
)
def test_the_database_refuses_raw_changes(app, trail, statement):
    """Triggers refuse UPDATE and DELETE on the table, on SQLite (migration 0011) as on
    PostgreSQL (0003), whoever sends them."""
    db.session.commit()
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), db.engine.begin() as connection:
        connection.execute(sa.text(statement))
    assert [e.id for e in _entries()] == trail
    assert _verify(app).exit_code == 0
