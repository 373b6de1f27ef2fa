"""The backup archive: writing it, in order, and checking it against its manifest.

A tar file (gzip-compressed when its name ends in ``.tar.gz`` or ``.tgz``) holding, in this
order::

    database/qa_portal.sqlite | database/qa_portal.pgdump   the consistent copy, taken first
    files/uploads/<stored name>, files/reports/<stored name> then the stored files
    instance/<file>                                         then the instance keys
    keys/credentials/<file>, keys/pdf/[retired/]<file>      the QA body's signing keys
    configured/AUDIT_CHECKPOINT_FILE, configured/PDF_…      and the files configured apart
    manifest.json                                           what it holds, with each SHA-256

The manifest records the format version, when, the database kind, its migration revision,
the rows of every table, the stored files (and any file a row of the copy refers to that
was gone by the time the files were archived), the size and SHA-256 of every member, and
its own SHA-256.
The archive holds the key files of the instance folder (the development secret key and audit
key) and the QA body's signing keys (``SIGNING_KEYS_DIR``: without the retired public keys,
credentials signed before a rotation could no longer be verified): it is written with mode
0600, and must be kept encrypted or where only the operators can read it.
"""

from __future__ import annotations

import fcntl
import hashlib
import io
import json
import os
import tarfile
import tempfile
import zlib
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

from flask import current_app

from qa_portal.core.backup import database, files
from qa_portal.core.backup.database import BackupError

FORMAT = "qa_portal-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
ARCHIVE_PREFIX = "qa_portal-backup-"
# The sections in the order they are written and restored (the manifest comes last).
SECTIONS = ("database", "files", "instance", "keys", "configured")
_MANIFEST_LIMIT = 64 * 1024 * 1024
_CHUNK = 1 << 20


@dataclass(frozen=True)
class Manifest:
    data: dict[str, Any]

    @property
    def members(self) -> dict[str, dict[str, Any]]:
        return self.data["members"]

    @property
    def database(self) -> dict[str, Any]:
        return self.data["database"]

    @property
    def counts(self) -> dict[str, Any]:
        return self.data["counts"]

    @property
    def problems(self) -> list[str]:
        return self.data.get("problems", [])


@dataclass(frozen=True)
class CreatedBackup:
    path: Path
    manifest: Manifest


class _HashingReader:
    """Reads a file into the archive, hashing what it reads."""

    def __init__(self, fh: BinaryIO):
        self.fh, self.digest, self.size = fh, hashlib.sha256(), 0

    def read(self, size: int = -1) -> bytes:
        data = self.fh.read(size)
        self.digest.update(data)
        self.size += len(data)
        return data


@dataclass
class _Writer:
    tar: tarfile.TarFile
    members: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add_file(self, name: str, path: Path, *, shared_lock: bool = False) -> bool:
        """Add the file at ``path`` as member ``name``; False if it is gone (deleted since
        its folder was listed: the orphan sweep, removed evidence). ``shared_lock``: read
        it under a shared ``flock``, as the audit checkpoint log is appended under an
        exclusive one (no half-written line)."""
        try:
            fh = open(path, "rb")  # noqa: SIM115  (closed below, after the lock)
        except FileNotFoundError:
            return False
        with fh:
            if shared_lock:
                fcntl.flock(fh.fileno(), fcntl.LOCK_SH)
            info = tarfile.TarInfo(name)
            stat = os.fstat(fh.fileno())
            info.size, info.mtime, info.mode = stat.st_size, int(stat.st_mtime), 0o600
            reader = _HashingReader(fh)
            self.tar.addfile(info, reader)
        self.members[name] = {"sha256": reader.digest.hexdigest(), "size": reader.size}
        return True

    def add_bytes(self, name: str, data: bytes) -> None:
        info = tarfile.TarInfo(name)
        info.size, info.mtime, info.mode = len(data), int(datetime.now(UTC).timestamp()), 0o600
        self.tar.addfile(info, io.BytesIO(data))


def archive_path(output: Path | None, now: datetime) -> Path:
    """The archive's path: ``output`` itself, or a new name in the folder ``output`` (by
    default the current one)."""
    path = Path.cwd() if output is None else output
    if path.is_dir():
        path = path / f"{ARCHIVE_PREFIX}{now:%Y%m%dT%H%M%SZ}.tar"
    if path.exists():
        raise BackupError(f"{path} exists already: choose another name.")
    if not path.parent.is_dir():
        raise BackupError(f"There is no folder {path.parent}.")
    return path


def _write_mode(path: Path) -> str:
    return "w:gz" if path.name.endswith((".tar.gz", ".tgz")) else "w"


def create_backup(output: Path | None = None, *, audit_key: bool = True) -> CreatedBackup:
    """Write one archive: the database, then the stored files, then the instance files and
    the configured ones (``audit_key=False`` leaves the audit key's file out)."""
    now = datetime.now(UTC).replace(microsecond=0)
    path = archive_path(output, now)
    part = path.with_name(path.name + ".part")
    with tempfile.TemporaryDirectory(prefix=".qa_portal-backup-", dir=path.parent) as tmp:
        copy = database.dump_database(Path(tmp))  # 1. the database, first
        fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as fh:
                with tarfile.open(fileobj=fh, mode=_write_mode(path)) as tar:
                    writer = _Writer(tar)
                    writer.add_file(f"database/{copy.path.name}", copy.path)
                    counts = _add_stored_files(writer, copy)  # 2. then the files
                    counts |= _add_keys(writer, audit_key=audit_key)  # 3. the keys
                    manifest = _manifest(writer, copy, counts, now)
                    writer.add_bytes(MANIFEST, json.dumps(manifest.data, indent=2).encode())
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(part, path)
        except BaseException:
            with suppress(FileNotFoundError):
                part.unlink()
            raise
    return CreatedBackup(path, manifest)


def _add_stored_files(writer: _Writer, copy: database.DatabaseCopy) -> dict[str, Any]:
    """Every stored file; then, for a row of the copy whose upload is still named
    ``<uuid>.part`` (its move after the commit interrupted, which the file sweep would
    finish), that file under its final name, if it is the row's."""
    stored = {kind: 0 for kind in files.STORAGE_DIRS}
    for kind, relative, path in files.storage_files():
        stored[kind] += writer.add_file(f"files/{kind}/{relative}", path)
    roots = files.storage_roots()
    for ref in copy.snapshot.references:
        name = f"files/{ref.kind}/{ref.stored_name}"
        staged = files.staged_file(roots[ref.kind] / ref.stored_name)
        if name in writer.members or not staged.is_file():
            continue
        with suppress(FileNotFoundError):
            if files.sha256_of(staged)[0] == ref.sha256:
                stored[ref.kind] += writer.add_file(name, staged)
    return {"stored_files": stored}


def _add_keys(writer: _Writer, *, audit_key: bool) -> dict[str, Any]:
    """The instance folder's files, then the files the configuration names elsewhere."""
    instance = Path(current_app.instance_path)
    configured = files.configured_files()
    leave_out = set(configured.values())
    if not audit_key:
        leave_out.add(instance / files.AUDIT_KEY_FILE)
    carried = [
        path.name
        for path in files.instance_files(instance, database.database_path(), leave_out)
        if writer.add_file(f"instance/{path.name}", path)
    ]
    signing = [
        name
        for name, path in files.signing_key_files().items()
        if writer.add_file(f"keys/{name}", path)
    ]
    named = [
        key
        for key, path in configured.items()
        if writer.add_file(f"configured/{key}", path, shared_lock=True)
    ]
    return {"instance_files": carried, "signing_key_files": signing, "configured_files": named}


def _missing(writer: _Writer, copy: database.DatabaseCopy) -> list[str]:
    """The files rows of the copy refer to that the archive lacks or holds changed."""
    problems = []
    for ref in copy.snapshot.references:
        entry = writer.members.get(f"files/{ref.kind}/{ref.stored_name}")
        if entry is None and not ref.removed:
            problems.append(f"{ref.label}: missing from storage")
        elif entry is not None and entry["sha256"] != ref.sha256:
            problems.append(f"{ref.label}: SHA-256 {entry['sha256']} instead of {ref.sha256}")
    return problems


def _manifest(
    writer: _Writer, copy: database.DatabaseCopy, counts: dict[str, Any], now: datetime
) -> Manifest:
    try:
        version = metadata.version("qa_portal")
    except metadata.PackageNotFoundError:  # pragma: no cover - run from a bare checkout
        version = None
    data = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "created_at": now.isoformat().replace("+00:00", "Z"),
        "portal_version": version,
        "order": list(SECTIONS),
        "database": {
            "kind": copy.kind,
            "member": f"database/{copy.path.name}",
            "alembic_revision": copy.snapshot.alembic_revision,
            "tool": copy.tool,
        },
        "counts": {
            "rows": copy.snapshot.row_counts,
            "referenced_files": len(copy.snapshot.references),
            **counts,
        },
        "problems": _missing(writer, copy),
        "members": writer.members,
    }
    data["manifest_sha256"] = _manifest_digest(data)
    return Manifest(data)


def _manifest_digest(data: dict[str, Any]) -> str:
    """The manifest's own SHA-256 (of its canonical JSON, this field left out): a change
    to any of its fields shows, not only to the members' hashes."""
    rest = {key: value for key, value in data.items() if key != "manifest_sha256"}
    canonical = json.dumps(rest, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


# -- reading ------------------------------------------------------------------------------
def _section(name: str) -> str:
    """The section of a member's name; refuses any name that could point outside the folder
    it is restored into."""
    parts = PurePosixPath(name).parts
    bad = (
        not parts
        or name.startswith("/")
        or "\\" in name
        or any(p in ("", ".", "..") for p in parts)
        or parts[0] not in SECTIONS
        or (parts[0] == "files" and (len(parts) < 3 or parts[1] not in files.STORAGE_DIRS))
        or (parts[0] in ("database", "instance", "configured") and len(parts) != 2)
        or (parts[0] == "keys" and not 3 <= len(parts) <= 4)
        or (parts[0] == "configured" and parts[1] not in files.CONFIGURED_FILES)
    )
    if bad:
        raise BackupError(f"The archive holds an unexpected member: {name!r}.")
    return parts[0]


def _hash_stream(fh: BinaryIO) -> dict[str, Any]:
    digest, size = hashlib.sha256(), 0
    while chunk := fh.read(_CHUNK):
        digest.update(chunk)
        size += len(chunk)
    return {"sha256": digest.hexdigest(), "size": size}


def _read_members(path: Path) -> tuple[bytes | None, dict[str, dict[str, Any]]]:
    """The manifest's bytes and every other member's SHA-256 and size, checking that each
    is a plain file, named safely, and in the order of the sections."""
    found: dict[str, dict[str, Any]] = {}
    manifest = None
    position = 0
    with tarfile.open(path, "r:*") as tar:
        for member in tar:
            if manifest is not None:
                raise BackupError(f"The archive holds {member.name!r} after its manifest.")
            if not member.isfile():
                raise BackupError(f"The archive holds {member.name!r}, which is not a file.")
            source = tar.extractfile(member)
            if member.name == MANIFEST:
                manifest = source.read(_MANIFEST_LIMIT)
                continue
            section = SECTIONS.index(_section(member.name))
            if section < position or member.name in found:
                raise BackupError(f"The archive holds {member.name!r} out of order or twice.")
            position = section
            found[member.name] = _hash_stream(source)
    return manifest, found


def verify_archive(path: Path) -> Manifest:
    """Check every member against the manifest (and nothing else): raises ``BackupError``
    naming what is wrong. Changes nothing."""
    if not path.is_file():
        raise BackupError(f"There is no archive at {path}.")
    try:
        raw, found = _read_members(path)
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        raise BackupError(f"{path} is not a readable backup archive: {exc}.") from exc
    if raw is None:
        raise BackupError(f"{path} has no manifest: it is incomplete or not a backup archive.")
    data = _parse_manifest(path, raw)
    members = data["members"]
    bad = sorted(
        name
        for name in set(members) | set(found)
        if _digest(members.get(name)) != _digest(found.get(name))
    )
    if bad:
        listed = ", ".join(bad[:5]) + (f" and {len(bad) - 5} more" if len(bad) > 5 else "")
        raise BackupError(
            f"{path} is damaged: {len(bad)} member(s) missing, added or changed since it was "
            f"written ({listed})."
        )
    if data["database"].get("member") not in members:
        raise BackupError(f"{path} holds no database.")
    return Manifest(data)


def _digest(entry: dict[str, Any] | None) -> tuple[Any, Any] | None:
    return None if entry is None else (entry.get("sha256"), entry.get("size"))


def _parse_manifest(path: Path, raw: bytes) -> dict[str, Any]:
    invalid = BackupError(f"{path} has no valid {FORMAT} manifest.")
    try:
        data = json.loads(raw)
        version = int(data["version"])
        members, kind = data["members"], data["database"]["kind"]
    except (ValueError, KeyError, TypeError) as exc:
        raise invalid from exc
    if data.get("format") != FORMAT or kind not in database.DUMP_NAMES:
        raise invalid
    if data.get("manifest_sha256") != _manifest_digest(data):
        raise BackupError(f"{path} is damaged: its manifest was changed since it was written.")
    if not isinstance(members, dict) or not all(isinstance(m, dict) for m in members.values()):
        raise invalid
    if version > FORMAT_VERSION:
        raise BackupError(
            f"{path} was written by a newer version of the portal (format {version})."
        )
    return data
