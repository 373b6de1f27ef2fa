"""Backup and restore: ``flask backup create`` writes one archive (the database copied first,
then the stored files, then the instance keys), and ``flask backup restore`` puts it into a
fresh portal — another instance folder, other storage folders, another database — where
every report still verifies, every evidence file matches its SHA-256 and the audit trail
is intact. A damaged archive is refused before anything is touched, and so is a target
that already holds data, unless the operator says ``--yes``.

On PostgreSQL (DATABASE_URL) the same tests run through pg_dump and pg_restore."""

from __future__ import annotations

import contextvars
import hashlib
import json
import secrets
import tarfile
import uuid
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade

from qa_portal import create_app
from qa_portal.core import storage
from qa_portal.core.backup import archive, database, files
from qa_portal.core.backup.database import BackupError
from qa_portal.core.db import commit
from qa_portal.decisions import operations as decisions
from qa_portal.decisions.models import ConditionFile
from qa_portal.dossiers import operations as dossiers
from qa_portal.dossiers.models import EvidenceFile
from qa_portal.extensions import db
from qa_portal.reports import operations as reports
from qa_portal.reports.models import Report, ReportStatus, ReportVariant
from tests.harness import test_config
from tests.helpers import pdf_bytes
from tests.reports.helpers import issue


# -- running things in another portal -----------------------------------------------------
def in_app(target: Flask, fn, *args):
    """Run ``fn`` in ``target``'s application context, outside the test's own (a fresh
    context, as another process would have)."""

    def run():
        with target.app_context():
            try:
                return fn(*args)
            finally:
                db.session.remove()

    return contextvars.Context().run(run)


def cli(target: Flask, *args: str):
    """``flask …`` against ``target`` (outside the test's application context)."""
    runner = target.test_cli_runner()
    return contextvars.Context().run(runner.invoke, args=list(args))


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def stored_state() -> dict:
    """What the portal's rows record about its files, each checked against the file on
    disk: every ready report verifies, every evidence and condition file matches."""
    state = {"reports": [], "evidence": [], "condition_files": []}
    ready = sa.select(Report).where(Report.status == ReportStatus.READY).order_by(Report.code)
    for report in db.session.scalars(ready):
        pdf = reports.read(report)
        assert sha256(pdf) == report.sha256 and reports.verify_bytes(report, pdf), report.code
        state["reports"].append((report.code, report.sha256))
    for model, key in ((EvidenceFile, "evidence"), (ConditionFile, "condition_files")):
        for row in db.session.scalars(sa.select(model).order_by(model.stored_name)):
            data = storage.path_of(row.stored_name).read_bytes()
            assert sha256(data) == row.sha256 and len(data) == row.size, row.stored_name
            state[key].append((row.stored_name, row.sha256))
    return state


def row_counts() -> dict[str, int]:
    return database.current_snapshot().row_counts


def folder_state(target: Flask) -> dict[str, str]:
    """Every file of the portal's instance and storage folders, with its SHA-256."""
    roots = [target.instance_path, target.config["UPLOAD_DIR"], target.config["REPORT_DIR"]]
    found = {}
    for root in map(Path, roots):
        for path in sorted(root.rglob("*")) if root.is_dir() else ():
            if path.is_file() and path.suffix not in (".sqlite-wal", ".sqlite-shm"):
                found[str(path)] = sha256(path.read_bytes())
    return found


# -- fixtures -----------------------------------------------------------------------------
@pytest.fixture
def populated(app, workflow, people):
    """A decided dossier with its evidence, a condition's evidence and both reports
    rendered; a removed evidence file that a submitted version still refers to; a key in the
    instance folder (a file a later version might add), and an upload in progress (a
    ``.part`` file no row names)."""
    case = workflow.case(title="Data Ethics").decide("approved_with_conditions")
    decisions.submit_condition_evidence(
        people.provider_a, case.decision.conditions[0], "Published.", [("rubric.pdf", pdf_bytes())]
    )
    commit()
    for variant in ReportVariant:
        issue(people.officer, case.decision, variant)
    returned = workflow.case(title="Returned").return_to_provider().dossier
    dossiers.remove_evidence_file(people.provider_a, returned, returned.files[0])
    commit()  # its version refers to the file: the row stays, marked removed, with its file
    key = Path(app.instance_path) / f"audit-{uuid.uuid4().hex[:6]}.key"
    key.write_bytes(secrets.token_bytes(32))
    part = Path(app.config["UPLOAD_DIR"]) / f"{uuid.uuid4().hex}.part"
    part.write_bytes(b"half an upload")
    yield {"case": case, "key": key, "part": part, "state": stored_state()}
    key.unlink(missing_ok=True)
    part.unlink(missing_ok=True)


@pytest.fixture
def spare(tmp_path, database_url):
    """A fresh portal: its own instance folder, storage folders and database (a new SQLite
    file, or a new PostgreSQL database), migrated unless told otherwise."""
    made: list[tuple[Flask, str | None]] = []
    pg = sa.engine.make_url(database_url)
    admin = pg.set(drivername="postgresql", database="postgres")

    def make(name: str = "target", *, migrated: bool = True) -> Flask:
        folder = tmp_path / name
        (folder / "instance").mkdir(parents=True)
        pg_name = None
        if database_url.startswith("postgresql"):
            pg_name = f"{pg.database}_{name}_{uuid.uuid4().hex[:6]}"
            with psycopg.connect(admin.render_as_string(hide_password=False)) as conn:
                conn.autocommit = True
                conn.execute(f'CREATE DATABASE "{pg_name}"')
            url = pg.set(database=pg_name).render_as_string(hide_password=False)
        else:
            url = f"sqlite:///{folder / 'portal.sqlite'}"
        with pytest.MonkeyPatch.context() as env:
            env.setenv("QA_PORTAL_INSTANCE", str(folder / "instance"))
            target = create_app(test_config(url, folder))
        made.append((target, pg_name))
        if migrated:
            in_app(target, upgrade, target.extensions["migrate"].directory)
        return target

    yield make
    for target, pg_name in made:
        in_app(target, lambda: db.engine.dispose())
        if pg_name:
            with psycopg.connect(admin.render_as_string(hide_password=False)) as conn:
                conn.autocommit = True
                conn.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')


@pytest.fixture
def backup(app, tmp_path):
    """``flask backup create`` on the test's portal: the archive's path."""

    def make(name: str = "portal.tar") -> Path:
        result = app.test_cli_runner().invoke(
            args=["backup", "create", "--output", str(tmp_path / name)]
        )
        assert result.exit_code == 0, result.output
        return tmp_path / name

    return make


# -- the round trip -----------------------------------------------------------------------
@pytest.mark.parametrize("migrated", [True, False], ids=["migrated", "bare"])
def test_a_restored_portal_verifies_every_report_file_and_audit_entry(
    app, populated, backup, spare, migrated
):
    path = backup()
    counts = row_counts()
    target = spare(migrated=migrated)
    assert target.config["UPLOAD_DIR"] != app.config["UPLOAD_DIR"]

    result = cli(target, "backup", "restore", str(path))
    assert result.exit_code == 0, result.output
    assert "All 7 stored files match their SHA-256" in result.output

    state = in_app(target, stored_state)
    assert state == populated["state"]
    assert len(state["reports"]) == 2 and len(state["evidence"]) == 4
    assert len(state["condition_files"]) == 1
    assert in_app(target, row_counts) == counts
    audit = cli(target, "audit", "verify")
    assert audit.exit_code == 0 and "signed checkpoint" in audit.output, audit.output
    checkpoints = Path(target.config["AUDIT_CHECKPOINT_FILE"])  # outside its instance folder
    assert checkpoints.read_bytes() == Path(app.config["AUDIT_CHECKPOINT_FILE"]).read_bytes()
    check = cli(target, "backup", "check")
    assert check.exit_code == 0 and "All 7 stored files match" in check.output
    key = Path(target.instance_path) / populated["key"].name
    assert key.read_bytes() == populated["key"].read_bytes()
    assert key.stat().st_mode & 0o777 == 0o600


def test_the_archive_holds_the_database_the_files_and_the_keys_with_their_hashes(
    app, populated, backup
):
    path = backup()
    assert path.stat().st_mode & 0o777 == 0o600  # it holds the keys
    with tarfile.open(path) as tar:
        names = tar.getnames()
        manifest = json.load(tar.extractfile(archive.MANIFEST))
        for name, entry in manifest["members"].items():
            assert sha256(tar.extractfile(name).read()) == entry["sha256"], name
    kind = db.engine.dialect.name
    assert names[0] == manifest["database"]["member"] == f"database/{database.DUMP_NAMES[kind]}"
    assert names[-1] == archive.MANIFEST and set(names[:-1]) == set(manifest["members"])
    sections = [name.split("/")[0] for name in names[:-1]]
    assert sections == sorted(sections, key=archive.SECTIONS.index)  # database, files, instance

    stored = {row for rows in populated["state"].values() for row in rows}
    for code_or_name, _ in stored:
        if code_or_name.endswith(".pdf"):
            assert f"files/uploads/{code_or_name}" in names
    for report in db.session.scalars(sa.select(Report)):
        assert f"files/reports/{report.stored_name}" in names
    assert f"instance/{populated['key'].name}" in names
    assert "configured/AUDIT_CHECKPOINT_FILE" in names  # the audit checkpoints, once
    assert not [n for n in names if n.endswith("audit_checkpoints.jsonl")]
    assert not [n for n in names if n.endswith(".part") or "outbox" in n]

    assert manifest["format"] == "qa_portal-backup" and manifest["version"] == 1
    assert manifest["database"]["kind"] == kind
    assert manifest["database"]["alembic_revision"] == "".join(database.migration_heads())
    assert manifest["counts"]["rows"] == row_counts()
    assert manifest["counts"]["referenced_files"] == 7  # the removed file's row included
    assert manifest["problems"] == []


def test_files_stored_after_the_database_copy_do_no_harm(
    app, populated, backup, spare, people, workflow, monkeypatch
):
    """An upload lands between the two steps of the backup. Its row is not in the copy of
    the database (taken first), its file is an extra in the archive: every row restored has
    its file. (Archiving the files first would lose the file of that row.)"""
    draft = workflow.case(title="Late").dossier
    late = []

    def upload_between(step: str) -> None:
        if not late:
            late.append(step)
            evidence = dossiers.add_evidence_file(
                people.provider_a, draft, "curriculum", "late.pdf", pdf_bytes("Late")
            )
            late.append(evidence.stored_name)
            commit()

    dump, walk = database.dump_database, files.storage_files

    def dump_then_upload(folder):
        copy = dump(folder)
        upload_between("database")
        return copy

    def walk_then_upload():
        yield from walk()
        upload_between("files")

    monkeypatch.setattr(database, "dump_database", dump_then_upload)
    monkeypatch.setattr(files, "storage_files", walk_then_upload)
    path = backup()
    monkeypatch.undo()
    assert late[0] == "database"
    with tarfile.open(path) as tar:
        assert f"files/uploads/{late[1]}" in tar.getnames()  # a harmless extra
    expected = [row for row in stored_state()["evidence"] if row[0] != late[1]]

    target = spare()
    result = cli(target, "backup", "restore", str(path))
    assert result.exit_code == 0, result.output
    assert in_app(target, stored_state)["evidence"] == expected
    assert cli(target, "backup", "check").exit_code == 0


def test_a_file_deleted_while_the_backup_runs_is_left_out_and_named_if_a_row_needs_it(
    app, populated, tmp_path, monkeypatch
):
    """Files listed, then deleted before they are read: a file no row needs is simply left
    out; a row's file is named, and the exit status says the archive is incomplete."""
    evidence = next(f for f in populated["case"].dossier.files)
    walk = files.storage_files

    def walk_while_deleting():
        ghost = Path(app.config["UPLOAD_DIR"]) / "ghost.pdf"
        yield "uploads", ghost.name, ghost
        for kind, relative, path in walk():
            if relative == evidence.stored_name:
                path.unlink()
            yield kind, relative, path

    monkeypatch.setattr(files, "storage_files", walk_while_deleting)
    result = app.test_cli_runner().invoke(
        args=["backup", "create", "--output", str(tmp_path / "partial.tar")]
    )
    assert result.exit_code == 1
    assert f"evidence_file {evidence.id}: uploads/{evidence.stored_name}: missing" in result.output
    assert "ghost" not in result.output
    with tarfile.open(tmp_path / "partial.tar") as tar:
        names = tar.getnames()
    assert f"files/uploads/{evidence.stored_name}" not in names
    assert "files/uploads/ghost.pdf" not in names
    assert archive.verify_archive(tmp_path / "partial.tar").problems == [
        f"evidence_file {evidence.id}: uploads/{evidence.stored_name}: missing from storage"
    ]


def test_an_upload_whose_move_after_the_commit_was_interrupted_is_carried_under_its_name(
    app, populated, backup, spare
):
    """A process killed between its commit and the move leaves the row's file as
    ``<uuid>.part`` (the file sweep would finish the move): the archive carries it under
    the row's name, and the restored portal has it."""
    evidence = populated["case"].dossier.files[0]
    final = storage.path_of(evidence.stored_name)
    final.rename(final.with_suffix(".part"))
    try:
        check = app.test_cli_runner().invoke(args=["backup", "check"])
        path = backup()
    finally:
        final.with_suffix(".part").rename(final)
    assert check.exit_code == 1
    assert f"still named {final.stem}.part" in check.output and "flask files sweep" in check.output
    with tarfile.open(path) as tar:
        assert f"files/uploads/{evidence.stored_name}" in tar.getnames()
    assert archive.verify_archive(path).problems == []
    target = spare()
    result = cli(target, "backup", "restore", str(path))
    assert result.exit_code == 0, result.output
    assert in_app(target, stored_state) == populated["state"]


# -- refusals -----------------------------------------------------------------------------
def _flip_a_byte(path: Path, member: str) -> Path:
    with tarfile.open(path) as tar:
        offset = tar.getmember(member).offset_data
    damaged = path.with_name("flipped.tar")
    data = bytearray(path.read_bytes())
    data[offset + 100] ^= 0x01
    damaged.write_bytes(bytes(data))
    return damaged


def test_a_damaged_archive_is_refused_and_nothing_is_touched(app, populated, backup, spare):
    path = backup()
    with tarfile.open(path) as tar:
        evidence = next(n for n in tar.getnames() if n.startswith("files/uploads/"))
    truncated = path.with_name("truncated.tar")
    truncated.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    garbage = path.with_name("garbage.tar")
    garbage.write_bytes(secrets.token_bytes(4096))
    damaged = [
        (_flip_a_byte(path, evidence), "is damaged"),
        (_flip_a_byte(path, archive.MANIFEST), "manifest"),
        (truncated, "backup archive"),
        (garbage, "not a readable backup archive"),
    ]
    target = spare()
    before = folder_state(target), in_app(target, row_counts)
    for bad, message in damaged:
        for command in (["verify"], ["restore", "--yes"]):
            result = cli(target, "backup", *command, str(bad))
            assert result.exit_code == 1, result.output
            assert message in result.output
    assert (folder_state(target), in_app(target, row_counts)) == before
    assert cli(target, "backup", "verify", str(path)).exit_code == 0


def test_a_portal_that_holds_data_is_restored_over_only_when_the_operator_says_yes(
    app, populated, backup, spare
):
    path = backup()
    target = spare()
    assert cli(target, "backup", "restore", str(path)).exit_code == 0
    before = folder_state(target)

    refused = cli(target, "backup", "restore", str(path))
    assert refused.exit_code == 1
    assert "already holds data" in refused.output and "--yes" in refused.output
    assert "audit entries" in refused.output and "UPLOAD_DIR holds" in refused.output
    assert folder_state(target) == before

    for flag in ("--yes", "--force"):
        result = cli(target, "backup", "restore", flag, str(path))
        assert result.exit_code == 0, result.output
    assert in_app(target, stored_state) == populated["state"]
    assert cli(target, "audit", "verify").exit_code == 0


def test_the_target_keeps_its_own_config_and_checkpoints_and_gets_the_archive_keys(spare, tmp_path):
    """Between two portals of their own (an empty one backed up): the archive carries the
    source's keys, config.py and checkpoints; the target keeps its own config.py (which says
    where its database and folders are) and its own checkpoint log."""
    source, target = spare("source"), spare("target")
    for name, text in (("config.py", "# source\n"), ("audit_key", "source key"), (".draft", "")):
        (Path(source.instance_path) / name).write_text(text)
    Path(source.config["AUDIT_CHECKPOINT_FILE"]).write_text("source checkpoints\n")
    (Path(target.instance_path) / "config.py").write_text("# target\n")
    created = cli(source, "backup", "create", "--output", str(tmp_path))
    assert created.exit_code == 0, created.output
    (path,) = tmp_path.glob("qa_portal-backup-*.tar")
    assert path.stat().st_mode & 0o777 == 0o600

    result = cli(target, "backup", "restore", str(path))
    assert result.exit_code == 0, result.output
    assert "kept this portal's own: config.py" in result.output
    assert "All 0 stored files match" in result.output
    folder = Path(target.instance_path)
    assert (folder / "config.py").read_text() == "# target\n"
    assert (folder / "audit_key").read_text() == "source key"
    assert (folder / "audit_key").stat().st_mode & 0o777 == 0o600
    assert not (folder / ".draft").exists()
    checkpoints = Path(target.config["AUDIT_CHECKPOINT_FILE"])
    assert checkpoints.read_text() == "source checkpoints\n"

    # again over the restored portal (no audit entry: empty), its checkpoints now its own
    checkpoints.write_text("the target's newer checkpoints\n")
    (folder / "audit_key").write_text("target key")
    again = cli(target, "backup", "restore", str(path))
    assert again.exit_code == 0, again.output
    assert "kept this portal's own: config.py, AUDIT_CHECKPOINT_FILE" in again.output
    assert checkpoints.read_text() == "the target's newer checkpoints\n"
    assert (folder / "audit_key").read_text() == "source key"


def test_the_audit_key_can_be_kept_apart_from_the_archive(spare, tmp_path):
    source, target = spare("source"), spare("target")
    (Path(source.instance_path) / "audit_key").write_text("source key")
    (Path(source.instance_path) / "secret_key").write_text("session key")
    out = tmp_path / "without.tar"
    created = cli(source, "backup", "create", "--without-audit-key", "--output", str(out))
    assert created.exit_code == 0, created.output
    with tarfile.open(out) as tar:
        assert [n for n in tar.getnames() if n.startswith("instance/")] == ["instance/secret_key"]
    result = cli(target, "backup", "restore", str(out))
    assert result.exit_code == 0, result.output
    assert "The archive holds no audit_key file" in result.output
    assert not (Path(target.instance_path) / "audit_key").exists()


def test_the_signing_keys_retired_ones_included_travel_with_the_archive(spare, tmp_path):
    """Without the retired public keys, credentials signed before a rotation could not be
    verified after a restore: the whole keys folder is carried and restored (private files
    with mode 0600), and the restored portal's DID document lists the same keys."""
    source, target = spare("source"), spare("target")
    assert cli(source, "keys", "create").exit_code == 0
    assert cli(source, "keys", "rotate", "--pdf").exit_code == 0
    listed = cli(source, "keys", "list").output
    (Path(source.config["SIGNING_KEYS_DIR"]) / "credentials" / ".draft").write_text("x")
    out = tmp_path / "keys.tar"
    created = cli(source, "backup", "create", "--output", str(out))
    assert created.exit_code == 0, created.output
    with tarfile.open(out) as tar:
        carried = sorted(n for n in tar.getnames() if n.startswith("keys/"))
    assert len([n for n in carried if n.endswith(".pub.pem")]) == 2  # current and retired
    assert (
        len([n for n in carried if n.startswith("keys/credentials/") and n.endswith(".key.pem")])
        == 1
    )  # the current private key only
    assert "keys/pdf/ca.crt.pem" in carried and "keys/pdf/signing.key.pem" in carried
    assert len([n for n in carried if n.startswith("keys/pdf/retired/")]) == 1
    assert not [n for n in carried if "/." in n]

    result = cli(target, "backup", "restore", str(out))
    assert result.exit_code == 0, result.output
    restored = Path(target.config["SIGNING_KEYS_DIR"])
    (private,) = (restored / "credentials").glob("*.key.pem")
    assert private.stat().st_mode & 0o777 == 0o600
    assert cli(target, "keys", "list").output == listed


# -- checking the stored files ------------------------------------------------------------
def test_backup_check_names_each_changed_or_missing_file(app, populated):
    assert app.test_cli_runner().invoke(args=["backup", "check"]).exit_code == 0
    case = populated["case"]
    evidence = next(f for f in case.dossier.files if f.removed_at is None)
    storage.path_of(evidence.stored_name).write_bytes(pdf_bytes("Forged"))
    report = db.session.scalars(sa.select(Report).where(Report.decision_id == case.decision.id))
    report = report.first()
    storage.path_of(report.stored_name, kind="reports").unlink()
    removed = db.session.scalars(
        sa.select(EvidenceFile).where(EvidenceFile.removed_at.is_not(None))
    ).one()
    storage.path_of(removed.stored_name).unlink()  # taken out of its draft: it may go

    result = app.test_cli_runner().invoke(args=["backup", "check"])
    assert result.exit_code == 1
    assert f"evidence_file {evidence.id}: uploads/{evidence.stored_name}: SHA-256" in result.output
    assert f"review_report {report.id}: reports/{report.stored_name}: missing" in result.output
    assert removed.stored_name not in result.output
    assert "2 stored file(s) missing or changed" in result.output


def test_the_instance_files_are_the_keys_not_the_database_nor_unfinished_files(tmp_path):
    instance = tmp_path / "instance"
    (instance / "outbox").mkdir(parents=True)
    names = [
        "portal.sqlite",
        "portal.sqlite-wal",
        "portal.sqlite-shm",
        "secret_key",
        "audit.key",
        "audit-checkpoints.jsonl",
        "config.py",
        "key.part",
        ".audit_key.123.draft",
        "old.sqlite",
        "qa_portal-backup-20250101T000000Z.tar",
        "outbox/1.eml",
    ]
    for name in names:
        (instance / name).write_text(name)
    found = files.instance_files(instance, instance / "portal.sqlite")
    assert [p.name for p in found] == [
        "audit-checkpoints.jsonl",
        "audit.key",
        "config.py",
        "secret_key",
    ]
    found = files.instance_files(instance, None, [instance / "audit-checkpoints.jsonl"])
    assert [p.name for p in found] == ["audit.key", "config.py", "secret_key"]


# -- PostgreSQL's client programs ---------------------------------------------------------
def _fake_tool(folder: Path, name: str, version: str) -> None:
    folder.mkdir(exist_ok=True)
    tool = folder / name
    tool.write_text(f"#!/bin/sh\necho '{name} (PostgreSQL) {version}'\n")
    tool.chmod(0o755)


def test_a_missing_or_older_pg_dump_is_named_with_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setattr(database, "DEBIAN_CLIENT", str(tmp_path / "none" / "{major}{name}"))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(BackupError, match="pg_dump was not found on PATH.*postgresql-client-16"):
        database.find_tool("pg_dump", at_least=16)
    _fake_tool(tmp_path / "bin", "pg_dump", "14.11 (Debian 14.11-1)")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    with pytest.raises(BackupError, match=r"pg_dump 14\.11 .* older than version 16"):
        database.find_tool("pg_dump", at_least=16)
    assert database.find_tool("pg_dump", at_least=14).version == "14.11"


@pytest.fixture
def on_postgresql(app):
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("needs PostgreSQL (set DATABASE_URL=postgresql://…)")


@pytest.mark.postgres
def test_postgresql_is_dumped_by_pg_dump_and_refused_without_it(
    on_postgresql, populated, backup, spare, monkeypatch, tmp_path, app
):
    path = backup()
    with tarfile.open(path) as tar:
        dump = tar.extractfile("database/qa_portal.pgdump").read(5)
        manifest = json.load(tar.extractfile(archive.MANIFEST))
    assert dump == b"PGDMP"  # pg_dump's custom format, for pg_restore
    assert manifest["database"]["tool"]["pg_dump_major"] >= 13

    monkeypatch.setattr(database, "DEBIAN_CLIENT", str(tmp_path / "none" / "{major}{name}"))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    missing = app.test_cli_runner().invoke(
        args=["backup", "create", "--output", str(tmp_path / "never.tar")]
    )
    assert missing.exit_code == 1 and "pg_dump was not found on PATH" in missing.output
    assert not list(tmp_path.glob("never.tar*"))
    target = spare()
    refused = cli(target, "backup", "restore", str(path))
    assert refused.exit_code == 1 and "pg_restore was not found on PATH" in refused.output
