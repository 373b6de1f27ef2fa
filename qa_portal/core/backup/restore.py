"""Restoring an archive: checked first, then the database, the stored files and the
instance files, in that order; then every stored file checked against its row.

Nothing is touched before the whole archive has been checked against its manifest, the
database's kind and the PostgreSQL client programs have been checked, and — unless the
operator says ``--yes`` — the target has been found empty: no audit entry and no stored
file recorded in its database, no file in its storage folders. (A freshly migrated
database holds the default review policy and rubric, and no audit entry: it is empty.)

The archive's files are added to the storage folders (a file already there under the same
name is replaced); files of the target that the restored database does not refer to stay
until the orphan sweep removes them. The instance files replace the target's, but for an
existing ``instance/config.py`` (the target's own configuration says where its database
and folders are) and an existing audit checkpoint log (kept apart from the database, it may
be newer than the archive: ``flask audit verify`` then shows the entries the archive
lacks).
"""

from __future__ import annotations

import hashlib
import os
import tarfile
import tempfile
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import sqlalchemy as sa
from flask import current_app

from qa_portal.core import keys
from qa_portal.core.audit import AuditEntry
from qa_portal.core.backup import archive, database, files
from qa_portal.core.backup.database import BackupError
from qa_portal.core.db import reads_first
from qa_portal.extensions import db

# Files of the target that a restore never replaces: its configuration (which says where
# its database and folders are) and its audit checkpoints (see files.CONFIGURED_FILES).
KEPT = ("config.py", *files.CONFIGURED_FILES)
_CHUNK = 1 << 20


class TargetNotEmpty(BackupError):
    def __init__(self, reasons: list[str]):
        self.reasons = reasons
        super().__init__(
            "This portal already holds data: "
            + "; ".join(reasons)
            + ". Restoring replaces its database and adds the archive's files: run again "
            "with --yes to do so."
        )


@dataclass
class RestoreSummary:
    manifest: archive.Manifest
    files: dict[str, int] = field(default_factory=dict)  # stored files restored, per kind
    restored: list[str] = field(default_factory=list)  # instance and configured files
    kept: list[str] = field(default_factory=list)  # this portal's own, left as they were
    count_mismatches: list[str] = field(default_factory=list)
    check: files.FileCheck | None = None
    migration_heads: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.count_mismatches and self.check is not None and self.check.ok

    @property
    def without_audit_key(self) -> bool:
        return f"instance/{files.AUDIT_KEY_FILE}" not in self.manifest.members

    @property
    def needs_upgrade(self) -> bool:
        revision = self.manifest.database.get("alembic_revision")
        return bool(self.migration_heads) and revision not in self.migration_heads


def target_holds_data() -> list[str]:
    """Why the configured database and folders are not an empty portal (none: empty)."""
    reasons = []
    if database.database_exists():
        with reads_first(), db.engine.connect() as conn:
            if sa.inspect(conn).has_table(AuditEntry.__tablename__):
                count = sa.select(sa.func.count()).select_from(AuditEntry.__table__)
                if entries := conn.execute(count).scalar_one():
                    reasons.append(f"its database holds {entries} audit entries")
            if refs := files.referenced_files(conn):
                reasons.append(f"its database refers to {len(refs)} stored files")
    stored: dict[str, int] = {}
    for kind, _, _ in files.storage_files():
        stored[kind] = stored.get(kind, 0) + 1
    for kind, count in stored.items():
        reasons.append(f"{files.STORAGE_DIRS[kind]} holds {count} files")
    return reasons


def restore_backup(path: Path, *, force: bool = False) -> RestoreSummary:
    """Restore the archive at ``path`` into the configured database and folders."""
    manifest = archive.verify_archive(path)  # nothing is touched before this has passed
    kind, tool = manifest.database["kind"], manifest.database.get("tool") or {}
    database.check_restore_tools(kind, tool)
    if not force and (reasons := target_holds_data()):
        raise TargetNotEmpty(reasons)
    summary = RestoreSummary(manifest)
    instance = Path(current_app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    roots = files.storage_roots()
    with (
        tempfile.TemporaryDirectory(prefix=".qa_portal-restore-", dir=instance) as tmp,
        tarfile.open(path, "r:*") as tar,
    ):
        for member in tar:  # in the order written: the database, the files, the instance
            if member.name == archive.MANIFEST:
                continue
            expected = manifest.members[member.name]
            parts = PurePosixPath(member.name).parts
            if parts[0] == "database":
                dump = Path(tmp) / parts[1]
                _write_member(tar, member, dump, expected, private=True)
                database.restore_database(dump, kind, tool)
            elif parts[0] == "files":
                _write_member(tar, member, roots[parts[1]].joinpath(*parts[2:]), expected)
                summary.files[parts[1]] = summary.files.get(parts[1], 0) + 1
            elif parts[0] == "keys":  # alongside any key this portal made itself
                target = keys.keys_dir().joinpath(*parts[1:])
                _write_member(tar, member, target, expected, private=True)
                summary.restored.append("/".join(parts))
            else:
                target = instance / parts[1]
                if parts[0] == "configured":
                    target = files.configured_files().get(parts[1])
                if target is None or (parts[1] in KEPT and _holds_something(target)):
                    summary.kept.append(parts[1])
                else:
                    _write_member(tar, member, target, expected, private=True)
                    summary.restored.append(parts[1])
    _check_restored(summary)
    return summary


def _holds_something(path: Path) -> bool:
    return path.is_file() and path.stat().st_size > 0


def _check_restored(summary: RestoreSummary) -> None:
    """The restored rows against the manifest's counts, and every stored file against its
    row's SHA-256."""
    snapshot = database.current_snapshot()
    for table, expected in summary.manifest.counts.get("rows", {}).items():
        found = snapshot.row_counts.get(table)
        if found != expected:
            summary.count_mismatches.append(f"{table}: {found} rows instead of {expected}")
    summary.check = files.check_stored_files(snapshot.references)
    summary.migration_heads = database.migration_heads()


def _write_member(
    tar: tarfile.TarFile,
    member: tarfile.TarInfo,
    target: Path,
    expected: dict[str, Any],
    *,
    private: bool = False,
) -> None:
    """Write one member to ``target`` (through a temporary name, then renamed), checking
    it again on the way: the archive could have changed since it was checked."""
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(target.name + ".part")
    source = tar.extractfile(member)
    digest, size = hashlib.sha256(), 0
    fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
    try:
        with os.fdopen(fd, "wb") as out:
            if private:
                os.fchmod(out.fileno(), 0o600)
            while chunk := source.read(_CHUNK):
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if (digest.hexdigest(), size) != (expected["sha256"], expected["size"]):
            raise BackupError(
                f"{member.name} changed since the archive was checked; the restore stopped "
                "there (restore again from an intact archive)."
            )
        os.replace(part, target)
    except BaseException:
        with suppress(FileNotFoundError):
            part.unlink()
        raise
