"""The files a backup carries besides the database: the stored files (which rows refer to
which, and whether each still matches its SHA-256) and the instance folder's secrets.

Every table with ``stored_name`` and ``sha256`` columns keeps files in storage
(``core/storage.py``): dossier evidence, condition evidence, rendered reports, and any table
added later. The tables are found in the database itself (the one being backed up, or the
copy), so core needs to import no domain package, and a copy made at an older revision is
read as it is.
"""

from __future__ import annotations

import fnmatch
import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.engine import Connection

from qa_portal.core import keys, storage
from qa_portal.core.db import reads_first
from qa_portal.extensions import db

# The configuration key of the folder of each storage kind (``storage.save_bytes``'s kind).
STORAGE_DIRS = {"uploads": "UPLOAD_DIR", "reports": "REPORT_DIR"}
# The storage kind of the tables whose files are not in "uploads" (the kind their rows were
# saved with). Core imports no domain package, so the table is named here; a wrong kind
# would show at once, as every file of the table missing (``flask backup check``).
TABLE_FILE_KINDS = {"review_report": "reports"}
# A row with one of these columns set was taken out (removed evidence): the row stays for
# the versions that refer to it by hash, but its file may have been deleted.
REMOVED_COLUMNS = ("removed_at", "deleted_at")
# Files being written (``storage.save_bytes`` writes ``<name>.part`` and renames it).
UNFINISHED = "*.part"

# What the archive carries of the instance folder: every regular file at its top. That is
# the key files — the development secret key (``secret_key``) and audit key
# (``audit_key``; production takes both from the environment, never from a file here) —
# and the operator's ``config.py``; a key file added later is carried without a change
# here. Never the SQLite database (copied consistently on its own; any other SQLite file
# there is no secret) or its journal, hidden drafts, unfinished files, or backup archives
# written there; sub-folders (uploads and reports, archived as stored files; the e-mail
# outbox) are not carried.
INSTANCE_FILES = "*"
INSTANCE_EXCLUDED = (".*", UNFINISHED, "*.sqlite", "*.sqlite-*", "qa_portal-backup-*")
# The development audit key's file (``config.ensure_audit_key``), which ``flask backup
# create --without-audit-key`` leaves out, to keep it apart from the database.
AUDIT_KEY_FILE = "audit_key"
# Files the configuration names, carried wherever they are and restored where the target's
# configuration names them: the audit trail's signed checkpoints (``core/audit_anchor.py``,
# by default in the instance folder). A restore keeps an existing one: kept apart from the
# database it may be newer than the archive, and it is what shows that a restored trail
# lost its newest entries.
# The PDF signing certificate an agency configures (``core/keys.py``) is carried the same way.
CONFIGURED_FILES = (
    "AUDIT_CHECKPOINT_FILE",
    "PDF_SIGNING_PKCS12",
    "PDF_SIGNING_CERT",
    "PDF_SIGNING_KEY",
    "PDF_SIGNING_CHAIN",
    "PDF_SIGNING_TRUST_ROOTS",
)
SQLITE_COMPANIONS = ("", "-wal", "-shm", "-journal")


@dataclass(frozen=True)
class StoredRef:
    """One row's stored file: where it is and what it must hash to."""

    table: str
    row_id: object
    kind: str
    stored_name: str
    sha256: str
    size: int | None
    removed: bool

    @property
    def label(self) -> str:
        return f"{self.table} {self.row_id}: {self.kind}/{self.stored_name}"


@dataclass
class FileCheck:
    """The stored files compared with their rows."""

    checked: dict[str, int] = field(default_factory=dict)  # table: files found and compared
    problems: list[str] = field(default_factory=list)
    removed_absent: int = 0  # rows taken out whose file is gone, as it may be

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def total(self) -> int:
        return sum(self.checked.values())


def sha256_of(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def stored_file_tables(conn: Connection) -> dict[str, set[str]]:
    """The tables with ``stored_name`` and ``sha256`` columns, and their columns."""
    inspector = sa.inspect(conn)
    tables = {}
    for name in sorted(inspector.get_table_names()):
        columns = {column["name"] for column in inspector.get_columns(name)}
        if {"stored_name", "sha256"} <= columns:
            tables[name] = columns
    return tables


def referenced_files(conn: Connection) -> list[StoredRef]:
    """Every stored file a row of ``conn``'s database refers to."""
    refs = []
    for name, columns in stored_file_tables(conn).items():
        key = (sa.inspect(conn).get_pk_constraint(name).get("constrained_columns") or [None])[0]
        wanted = ["stored_name", "sha256"]
        wanted += [c for c in (key, "size", *REMOVED_COLUMNS) if c and c in columns]
        table = sa.table(name, *(sa.column(c) for c in dict.fromkeys(wanted)))
        query = sa.select(table).where(table.c.stored_name.is_not(None))
        for row in conn.execute(query.order_by(table.c.stored_name)).mappings():
            refs.append(
                StoredRef(
                    table=name,
                    row_id=row.get(key) if key else None,
                    kind=TABLE_FILE_KINDS.get(name, "uploads"),
                    stored_name=row["stored_name"],
                    sha256=row["sha256"],
                    size=row.get("size"),
                    removed=any(row.get(c) is not None for c in REMOVED_COLUMNS),
                )
            )
    return refs


def current_references() -> list[StoredRef]:
    """The stored files the configured database's rows refer to (read without a write lock)."""
    with reads_first(), db.engine.connect() as conn:
        return referenced_files(conn)


def check_stored_files(refs: list[StoredRef]) -> FileCheck:
    """Each row's file: present (unless the row was taken out), of its recorded size and
    SHA-256. Reads only the files: call it outside any transaction."""
    check = FileCheck()
    for ref in refs:
        try:
            path = storage.path_of(ref.stored_name, kind=ref.kind)
        except ValueError:
            check.problems.append(f"{ref.label}: not a valid stored name")
            continue
        if not path.is_file():
            if ref.removed:
                check.removed_absent += 1
            elif staged_file(path).is_file():
                check.problems.append(
                    f"{ref.label}: missing, still named {staged_file(path).name} (its move "
                    "after the commit was interrupted: flask files sweep finishes it)"
                )
            else:
                check.problems.append(f"{ref.label}: missing")
            continue
        sha256, size = sha256_of(path)
        check.checked[ref.table] = check.checked.get(ref.table, 0) + 1
        if sha256 != ref.sha256:
            check.problems.append(f"{ref.label}: SHA-256 {sha256} instead of {ref.sha256}")
        elif ref.size is not None and size != ref.size:
            check.problems.append(f"{ref.label}: {size} bytes instead of {ref.size}")
    return check


def staged_file(path: Path) -> Path:
    """The temporary name a stored file has until the commit of its row (``<uuid>.part``,
    ``core/storage.py``); a process killed between the commit and the move leaves it so."""
    return path.with_suffix(".part")


def storage_roots() -> dict[str, Path]:
    return {kind: Path(current_app.config[key]) for kind, key in STORAGE_DIRS.items()}


def storage_files() -> Iterator[tuple[str, str, Path]]:
    """``(kind, path relative to its folder, path)`` of every stored file, unfinished ones
    left out (a folder inside another storage folder is walked only as itself)."""
    roots = storage_roots()
    for kind, root in roots.items():
        if not root.is_dir():
            continue
        nested = [r for r in roots.values() if r != root and root in r.parents]
        for path in sorted(root.rglob("*")):
            if path.is_symlink() or not path.is_file() or fnmatch.fnmatch(path.name, UNFINISHED):
                continue
            if any(other in path.parents for other in nested):
                continue
            yield kind, path.relative_to(root).as_posix(), path


def configured_files() -> dict[str, Path]:
    """The files of ``CONFIGURED_FILES`` this portal's configuration names."""
    config = current_app.config
    return {key: Path(config[key]) for key in CONFIGURED_FILES if config.get(key)}


def signing_key_files() -> dict[str, Path]:
    """The files of the QA body's signing keys folder, by their path inside it (current and
    retired keys and certificates; not hidden drafts or unfinished files)."""
    root = keys.keys_dir()
    if not root.is_dir():
        return {}
    return {
        path.relative_to(root).as_posix(): path
        for path in sorted(root.rglob("*"))
        if path.is_file()
        and not path.is_symlink()
        and not any(part.startswith(".") for part in path.relative_to(root).parts)
        and not fnmatch.fnmatch(path.name, UNFINISHED)
    }


def instance_files(
    instance: Path, database: Path | None, leave_out: Iterable[Path] = ()
) -> list[Path]:
    """The instance folder's files a backup carries (see ``INSTANCE_FILES``), but for the
    database and the files of ``leave_out``."""
    if not instance.is_dir():
        return []
    skipped = {path.resolve() for path in leave_out}
    if database is not None:
        skipped |= {database.resolve().with_name(database.name + s) for s in SQLITE_COMPANIONS}
    return [
        path
        for path in sorted(instance.glob(INSTANCE_FILES))
        if path.is_file()
        and not path.is_symlink()
        and path.resolve() not in skipped
        and not any(fnmatch.fnmatch(path.name, pattern) for pattern in INSTANCE_EXCLUDED)
    ]
