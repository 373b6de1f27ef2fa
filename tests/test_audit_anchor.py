"""The audit trail anchored outside the database: entries keyed with the audit key, signed
checkpoints in a file of their own. ``flask audit verify`` detects the newest entries
removed, the table emptied (TRUNCATE included) and a full rewrite, with recomputed plain
hashes or hashes under another key; a forged checkpoint line is reported too."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import stat
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from qa_portal.config import ensure_audit_key
from qa_portal.core import audit, audit_jobs
from qa_portal.core import audit_anchor as anchor
from qa_portal.core.audit import GENESIS, KEYED, LEGACY, AuditEntry, keyed_hash, legacy_hash
from qa_portal.core.db import commit
from qa_portal.core.models import utcnow
from qa_portal.extensions import celery, db
from tests.harness import audit_triggers_lifted

SQLITE_TRIGGERS = {"audit_entry_no_update", "audit_entry_no_delete"}
OTHER_KEY = "another-audit-key-that-is-long-enough-000000"


def _ids() -> list[int]:
    return list(db.session.scalars(sa.select(AuditEntry.id).order_by(AuditEntry.id)))


def _verify(app, *args: str):
    return app.test_cli_runner().invoke(args=["audit", "verify", *args])


def _checkpoint(app):
    return app.test_cli_runner().invoke(args=["audit", "checkpoint"])


def _log(app) -> Path:
    return Path(app.config["AUDIT_CHECKPOINT_FILE"])


def _lines(app) -> list[dict]:
    if not _log(app).exists():
        return []
    return [json.loads(line) for line in _log(app).read_text().splitlines() if line.strip()]


@contextmanager
def raw_sql():
    """A connection outside the ORM with the append-only triggers out of the way, as the
    database's owner can do."""
    db.session.commit()
    db.session.close()
    with db.engine.begin() as connection, audit_triggers_lifted(connection):
        yield connection


def _append(n: int, start: int = 1) -> None:
    for step in range(start, start + n):
        audit.record(None, "system.check", None, step=step)
        commit()


@pytest.fixture
def every(app, monkeypatch):
    """Set the number of entries between automatic checkpoints (0: none)."""

    def set_every(n: int) -> None:
        monkeypatch.setitem(app.config, "AUDIT_CHECKPOINT_EVERY", n)

    return set_every


@pytest.fixture
def checkpointed(app, every):
    """Six entries, the last checkpoint covering all six; returns their ids."""
    every(0)
    _append(6)
    result = _checkpoint(app)
    assert result.exit_code == 0, result.output
    return _ids()


def _rewrite(connection, version: int, key: bytes | None) -> None:
    """Rewrite every entry (a changed first one) and recompute the whole chain: plain
    SHA-256 hashes, or keyed ones under ``key``."""
    table = AuditEntry.__table__
    rows = [r._asdict() for r in connection.execute(sa.select(table).order_by(table.c.id))]
    rows[0]["data"] = json.dumps({"step": 99})
    # Through placeholders first: prev_hash and hash are unique.
    for row in rows:
        connection.execute(
            sa.update(table)
            .where(table.c.id == row["id"])
            .values(prev_hash=f"x{row['id']:063d}", hash=f"y{row['id']:063d}")
        )
    prev = GENESIS
    for row in rows:
        row.update(prev_hash=prev, hash_version=version)
        fields = [row[k] for k in ("prev_hash", "created_at", "actor_id", "actor_label")]
        fields += [row[k] for k in ("action", "object_type", "object_id", "data")]
        row["hash"] = legacy_hash(*fields) if key is None else keyed_hash(key, *fields)
        connection.execute(sa.update(table).where(table.c.id == row["id"]).values(**row))
        prev = row["hash"]


def _key_bytes(secret: str) -> bytes:
    """The chain key ``secret`` would give (what a forger holding it computes)."""
    return hmac.new(secret.encode(), b"qa_portal audit chain v2", hashlib.sha256).digest()


# -- an intact trail -----------------------------------------------------------------------
def test_an_intact_trail_verifies_against_its_checkpoints(app, every):
    every(0)
    _append(3)
    first = _checkpoint(app)
    assert first.exit_code == 0
    assert "Checkpoint signed: 3 entries" in first.output
    _append(3, start=4)
    assert "Checkpoint signed: 6 entries" in _checkpoint(app).output
    assert "Nothing new to sign" in _checkpoint(app).output

    result = _verify(app)

    assert result.exit_code == 0, result.output
    assert "Audit trail intact: 6 entries verified" in result.output
    assert "2 signed checkpoints match" in result.output
    assert "covering 6" in result.output
    lines = _lines(app)
    assert [(c["count"], c["head_id"]) for c in lines] == [(3, _ids()[2]), (6, _ids()[5])]
    assert all(len(c["sig"]) == 64 and c["head_hash"] for c in lines)
    assert stat.S_IMODE(os.stat(_log(app)).st_mode) == 0o600
    entries = db.session.scalars(sa.select(AuditEntry)).all()
    assert {e.hash_version for e in entries} == {KEYED}


def test_a_trail_without_checkpoint_says_so(app, every):
    every(0)
    _append(2)
    result = _verify(app)
    assert result.exit_code == 0
    assert "intact: 2 entries verified" in result.output
    assert "No checkpoint yet" in result.output


def test_checkpoints_are_taken_after_every_n_entries(app, every):
    """The first entry is anchored at once, then one checkpoint per N entries."""
    every(3)
    _append(7)
    assert [c["count"] for c in _lines(app)] == [1, 4, 7]
    assert _verify(app).exit_code == 0


def test_the_periodic_job_signs_what_was_appended_since(app, every):
    every(0)
    entry = celery.conf.beat_schedule["audit-checkpoint"]
    assert entry["task"] == "qa_portal.audit_checkpoint" and entry["schedule"] <= 600
    _append(2)
    # No broker in the tests: the job runs in this process, as Celery beat's would in a worker.
    assert audit_jobs.audit_checkpoint.delay().get() == 2
    assert audit_jobs.audit_checkpoint.delay().get() is None  # nothing new
    assert [c["count"] for c in _lines(app)] == [2]


# -- removals ------------------------------------------------------------------------------
def test_deleting_the_newest_entries_is_detected(app, checkpointed):
    with raw_sql() as connection:
        connection.execute(
            sa.text("DELETE FROM audit_entry WHERE id >= :id"), {"id": checkpointed[4]}
        )

    result = _verify(app)

    assert result.exit_code == 1
    assert "Audit trail BROKEN: it holds 4 entries" in result.output
    assert f"signed 6, ending with entry {checkpointed[5]}: entries were removed from its end" in (
        result.output
    )


def test_an_emptied_table_is_detected(app, checkpointed):
    with raw_sql() as connection:
        connection.execute(sa.text("DELETE FROM audit_entry"))
    result = _verify(app)
    assert result.exit_code == 1
    assert "it holds 0 entries" in result.output
    assert "signed 6" in result.output


@pytest.mark.postgres
def test_postgresql_refuses_truncate_and_verify_detects_it_done_anyway(app, checkpointed):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("TRUNCATE exists on PostgreSQL only")
    db.session.commit()
    db.session.close()
    refused = pytest.raises(sa.exc.DBAPIError, match="append-only: TRUNCATE refused")
    with refused, db.engine.begin() as connection:
        connection.execute(sa.text("TRUNCATE audit_entry"))
    assert _ids() == checkpointed
    db.session.commit()
    db.session.close()

    # The table's owner can drop the trigger; the checkpoint still tells.
    with db.engine.begin() as connection:
        connection.execute(
            sa.text("ALTER TABLE audit_entry DISABLE TRIGGER audit_entry_no_truncate")
        )
        connection.execute(sa.text("TRUNCATE audit_entry"))
        connection.execute(
            sa.text("ALTER TABLE audit_entry ENABLE TRIGGER audit_entry_no_truncate")
        )
    result = _verify(app)
    assert result.exit_code == 1
    assert "it holds 0 entries" in result.output


def test_entries_appended_after_an_emptying_do_not_hide_it(app, checkpointed):
    """The portal goes on writing to an emptied table: the new entries are no substitute for
    the signed ones, and no checkpoint is signed for them."""
    with raw_sql() as connection:
        connection.execute(sa.text("DELETE FROM audit_entry"))
    _append(7, start=10)

    result = _verify(app)
    assert result.exit_code == 1
    assert "signed another entry as number 6" in result.output
    refused = _checkpoint(app)
    assert refused.exit_code == 1
    assert "Checkpoint refused" in refused.output
    assert len(_lines(app)) == 1


# -- rewrites ------------------------------------------------------------------------------
REWRITES = {
    # name: (hash version, key used by the forger)
    "plain SHA-256, passed off as entries from before the key": (LEGACY, None),
    "HMAC under another key": (KEYED, _key_bytes(OTHER_KEY)),
}


@pytest.mark.parametrize("rewrite", list(REWRITES))
def test_a_full_rewrite_without_the_key_is_detected(app, checkpointed, rewrite):
    version, key = REWRITES[rewrite]
    with raw_sql() as connection:
        _rewrite(connection, version, key)

    result = _verify(app)

    assert result.exit_code == 1
    assert f"BROKEN at entry {checkpointed[0]} (" in result.output
    assert "The 0 entries before it are intact" in result.output
    if version == LEGACY:
        assert "the checkpoints record only 0 such entries" in result.output
    else:
        assert "does not match its keyed hash" in result.output
    refused = _checkpoint(app)  # and nobody signs the rewritten trail
    assert refused.exit_code == 1 and "Checkpoint refused" in refused.output


def test_a_rewrite_under_another_key_is_detected_without_any_checkpoint(app, every):
    """Keyed entries need no checkpoint to show a rewrite: only the key gives valid hashes
    (a checkpoint is what protects the entries from before the key)."""
    every(0)
    _append(4)
    with raw_sql() as connection:
        _rewrite(connection, KEYED, _key_bytes(OTHER_KEY))
    result = _verify(app)
    assert result.exit_code == 1
    assert f"BROKEN at entry {_ids()[0]} (" in result.output
    assert _checkpoint(app).exit_code == 1


def test_a_rewrite_with_the_key_is_caught_by_the_checkpoint(app, checkpointed):
    """Even someone holding the key cannot rewrite what a checkpoint signed."""
    with raw_sql() as connection:
        _rewrite(connection, KEYED, anchor.chain_key())
    result = _verify(app)
    assert result.exit_code == 1
    assert f"BROKEN at entry {checkpointed[5]} (" in result.output
    assert "signed another entry as number 6" in result.output


# -- the checkpoint file -------------------------------------------------------------------
def _forge(app, **changes) -> None:
    line = {**_lines(app)[-1], **changes}
    with _log(app).open("a") as file:
        file.write(json.dumps(line) + "\n")


@pytest.mark.parametrize(
    "forgery",
    [
        {"count": 4},  # a later checkpoint claiming fewer entries
        {"count": 9},
        {"head_hash": "0" * 64},
        {"sig": "0" * 64},
    ],
)
def test_a_forged_checkpoint_line_is_detected(app, checkpointed, forgery):
    _forge(app, **forgery)
    result = _verify(app)
    assert result.exit_code == 1
    assert "line 2 of" in result.output
    assert "has an invalid signature (forged or altered)" in result.output


def test_an_unreadable_checkpoint_line_is_detected(app, checkpointed):
    with _log(app).open("a") as file:
        file.write("{not json\n")
    result = _verify(app)
    assert result.exit_code == 1
    assert "line 2 of" in result.output and "not a readable checkpoint" in result.output


def test_verifying_with_another_key_says_so(app, checkpointed, monkeypatch):
    monkeypatch.setitem(app.config, "AUDIT_KEY", OTHER_KEY)
    result = _verify(app)
    assert result.exit_code == 1
    assert "was signed with another audit key" in result.output
    assert "does not match its keyed hash" in result.output


def test_verify_checks_a_copy_of_the_checkpoints_kept_elsewhere(app, checkpointed, tmp_path):
    """The off-site copy still holds what the local file lost."""
    copy = tmp_path / "offsite.jsonl"
    copy.write_text(_log(app).read_text())
    _log(app).unlink()
    with raw_sql() as connection:
        connection.execute(
            sa.text("DELETE FROM audit_entry WHERE id = :id"), {"id": checkpointed[5]}
        )
    assert _verify(app).exit_code == 0  # nothing local to compare with
    result = _verify(app, "--checkpoints", str(copy))
    assert result.exit_code == 1
    assert "it holds 5 entries" in result.output and str(copy) in result.output


def test_no_checkpoint_is_signed_over_a_forged_last_line(app, checkpointed):
    _forge(app, count=7)
    result = _checkpoint(app)
    assert result.exit_code == 1
    assert "not validly signed" in result.output


# -- entries from before the key -----------------------------------------------------------
def _insert_plain(connection, n: int, versioned: bool = True) -> None:
    """``n`` entries chained with plain SHA-256 hashes, as written before the audit key
    (before migration 0011 when not ``versioned``)."""
    prev = GENESIS
    for step in range(1, n + 1):
        row = {
            "prev_hash": prev,
            "created_at": utcnow(),
            "actor_id": None,
            "actor_label": "system",
            "action": "system.legacy",
            "object_type": "system",
            "object_id": None,
            "data": json.dumps({"step": step}),
        }
        row["hash"] = legacy_hash(*row.values())
        if versioned:
            row["hash_version"] = LEGACY
        table = sa.table(
            "audit_entry", *(sa.column(n, sa.DateTime if n == "created_at" else None) for n in row)
        )
        connection.execute(sa.insert(table).values(**row))
        prev = row["hash"]


def test_entries_from_before_the_key_stay_verifiable(app, every):
    every(0)
    with raw_sql() as connection:
        _insert_plain(connection, 3)
    _append(2)
    assert _checkpoint(app).exit_code == 0
    assert _lines(app)[-1]["legacy"] == 3
    result = _verify(app)
    assert result.exit_code == 0, result.output
    assert "intact: 5 entries verified (3 of them from before the audit key" in result.output


# -- migration 0011 ------------------------------------------------------------------------
@pytest.fixture
def alembic_config(app):
    migrate = app.extensions["migrate"]
    db.session.remove()
    config = migrate.migrate.get_config(migrate.directory)
    yield config
    db.session.remove()
    command.upgrade(config, "head")


def _triggers() -> set[str]:
    with db.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            query = "SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_entry'::regclass"
        else:
            query = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
        return {name for (name,) in connection.execute(sa.text(query)) if "audit" in name}


def test_the_migration_keeps_keyed_and_plain_entries_verifiable_both_ways(
    app, alembic_config, every
):
    """Downgrading keeps the keyed hashes; upgrading recognises them, marks the plain ones
    of version 1, and the trail verifies against its checkpoints."""
    every(0)
    _append(2)
    assert _checkpoint(app).exit_code == 0
    db.session.remove()
    expected = SQLITE_TRIGGERS
    if db.engine.dialect.name == "postgresql":
        expected = {"audit_entry_append_only", "audit_entry_no_truncate"}
    assert _triggers() == expected

    command.downgrade(alembic_config, "0008")
    assert _triggers() == expected - {"audit_entry_no_truncate"} - SQLITE_TRIGGERS
    command.upgrade(alembic_config, "head")
    assert _triggers() == expected
    versions = db.session.scalars(sa.select(AuditEntry.hash_version).order_by(AuditEntry.id))
    assert list(versions) == [KEYED, KEYED]
    db.session.remove()
    assert _verify(app).exit_code == 0


def _upgrade_a_plain_trail(alembic_config, change_second: bool = False) -> list[int]:
    """Back to 0008, three entries written as then (one changed by hand afterwards if
    asked), up to the head again: the versions the migration gave them."""
    command.downgrade(alembic_config, "0008")
    with db.engine.begin() as connection, audit_triggers_lifted(connection):
        _insert_plain(connection, 3, versioned=False)
        if change_second:
            second = connection.execute(
                sa.text("SELECT id FROM audit_entry ORDER BY id LIMIT 1 OFFSET 1")
            ).scalar()
            connection.execute(
                sa.text("UPDATE audit_entry SET actor_label = 'forged' WHERE id = :id"),
                {"id": second},
            )
    command.upgrade(alembic_config, "head")
    db.session.remove()
    return list(db.session.scalars(sa.select(AuditEntry.hash_version).order_by("id")))


def test_upgrading_a_trail_from_before_the_key(app, alembic_config, every):
    """The migration marks the plain entries of version 1; the portal goes on with keyed
    ones, and the checkpoints record how many plain entries there are."""
    every(0)
    assert _upgrade_a_plain_trail(alembic_config) == [LEGACY, LEGACY, LEGACY]
    _append(2)
    assert _checkpoint(app).exit_code == 0
    result = _verify(app)
    assert result.exit_code == 0, result.output
    assert "intact: 5 entries verified (3 of them from before the audit key" in result.output


def test_an_entry_changed_before_the_upgrade_is_still_reported(app, alembic_config, every):
    every(0)
    assert _upgrade_a_plain_trail(alembic_config, change_second=True) == [LEGACY, KEYED, LEGACY]
    result = _verify(app)
    assert result.exit_code == 1
    assert f"BROKEN at entry {_ids()[1]} (" in result.output


# -- the key -------------------------------------------------------------------------------
def test_development_keeps_a_generated_key_in_the_instance_folder(tmp_path):
    config = {"ENV_MODE": "development", "AUDIT_KEY": "", "SECRET_KEY": "s" * 40}
    ensure_audit_key(config, str(tmp_path))
    path = tmp_path / "audit_key"
    assert len(config["AUDIT_KEY"]) == 64 and path.read_text() == config["AUDIT_KEY"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = {"ENV_MODE": "development", "AUDIT_KEY": "", "SECRET_KEY": "s" * 40}
    ensure_audit_key(again, str(tmp_path))
    assert again["AUDIT_KEY"] == config["AUDIT_KEY"]
    assert [p.name for p in tmp_path.iterdir()] == ["audit_key"]  # no draft left


@pytest.mark.parametrize("key", ["", "changeme", "short-key", "s" * 40])
def test_production_needs_an_audit_key_of_its_own(tmp_path, key):
    config = {"ENV_MODE": "production", "AUDIT_KEY": key, "SECRET_KEY": "s" * 40}
    with pytest.raises(RuntimeError, match="AUDIT_KEY"):
        ensure_audit_key(config, str(tmp_path))
    assert not (tmp_path / "audit_key").exists()
    ok = {"ENV_MODE": "production", "AUDIT_KEY": "k" * 40, "SECRET_KEY": "s" * 40}
    ensure_audit_key(ok, str(tmp_path))
    assert ok["AUDIT_KEY"] == "k" * 40
