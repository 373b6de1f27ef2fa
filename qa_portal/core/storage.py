"""File storage under generated names, addressed by a stored name and checked by SHA-256.

Uploaded names are never used as paths: files are written as ``<uuid>.<ext>`` in the
configured directory (local disk, or shared storage mounted there in production).

**Files follow the database transaction.** An upload is written with ``stage_bytes`` under
a temporary name, ``<uuid>.part``, while the request runs; it takes its final name (the
one its row records) only when the transaction commits, and is removed when it rolls back
(a savepoint's rollback removes what was staged inside it) or ends without a commit. A file
whose row goes away is given to ``delete_after_commit``: it is deleted once the deletion is
committed, never before, so a rollback keeps it. What a killed process leaves behind (a
``.part`` file, a file whose row never committed, a move the crash interrupted) is put
right by the sweep (``core/file_sweep.py``).

``save_bytes`` writes the final file at once, outside any transaction (tools and tests that
place a file before its row exists); an orphan it leaves is swept too. The report renderer
stages its PDF like an upload.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import unicodedata
import uuid
from dataclasses import dataclass
from pathlib import Path

from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from qa_portal.core.db import open_savepoints
from qa_portal.extensions import db

KINDS = ("uploads", "reports")
PART = ".part"
# The names this module gives files: a file not named like this was put there by someone
# else, and the sweep leaves it alone.
GENERATED_NAME = re.compile(r"^[0-9a-f]{32}\.[a-z0-9]{1,10}$")


@dataclass(frozen=True)
class StoredFile:
    stored_name: str
    sha256: str
    size: int


def _root(kind: str) -> Path:
    key = {"uploads": "UPLOAD_DIR", "reports": "REPORT_DIR"}[kind]
    root = Path(current_app.config[key])
    root.mkdir(parents=True, exist_ok=True)
    return root


def root_of(kind: str) -> Path:
    """The folder that holds the files of ``kind`` (``uploads`` or ``reports``)."""
    return _root(kind)


def _write_part(data: bytes, kind: str, extension: str) -> tuple[Path, Path]:
    """Write ``data`` durably to ``<uuid>.part``; return it and the final path it is for."""
    if not re.fullmatch(r"[a-z0-9]{1,10}", extension):
        raise ValueError("invalid extension")
    stem = uuid.uuid4().hex
    root = _root(kind)
    tmp = root / f"{stem}{PART}"
    with open(tmp, "xb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    return tmp, root / f"{stem}.{extension}"


def save_bytes(data: bytes, *, kind: str = "uploads", extension: str = "pdf") -> StoredFile:
    """Write ``data`` under a fresh generated name at once; never overwrites. (Rows written
    in the same transaction as the file use ``stage_bytes``.)"""
    tmp, path = _write_part(data, kind, extension)
    os.replace(tmp, path)
    return StoredFile(path.name, hashlib.sha256(data).hexdigest(), len(data))


def path_of(stored_name: str, *, kind: str = "uploads") -> Path:
    if Path(stored_name).name != stored_name or stored_name.startswith("."):
        raise ValueError("invalid stored name")
    return _root(kind) / stored_name


def read_bytes(stored_name: str, *, kind: str = "uploads") -> bytes:
    return path_of(stored_name, kind=kind).read_bytes()


def display_name(filename: str | None, default: str = "document.pdf") -> str:
    """A harmless file name for display and download: the last path component only, without
    control or bidirectional-override characters, leading dots or surrounding blanks.

    It is never used as a path (files are stored under generated names), so letters of any
    script are kept: "Lehrplan Übersicht.pdf" and "课程大纲.pdf" stay readable.
    """
    name = re.split(r"[/\\]", filename or "")[-1]
    name = unicodedata.normalize("NFC", name)
    name = "".join(ch for ch in name if unicodedata.category(ch) not in {"Cc", "Cf", "Zl", "Zp"})
    name = re.sub(r"\s+", " ", name).strip().lstrip(".").strip()
    if not name or not name.strip("."):
        return default
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 199 - len(ext)] + dot + ext) if dot and len(ext) <= 10 else name[:200]
    return name


def megabytes(size: int) -> str:
    """A byte limit as people read it: ``10 MB``, ``0.5 MB``."""
    value = size / (1024 * 1024)
    return f"{value:.0f} MB" if value >= 1 and value == int(value) else f"{value:.1f} MB"


def human_size(size: int) -> str:
    """A size as people read it: ``0 bytes``, ``312 KB``, ``4.2 MB``, ``500 MB``, ``1.5 GB``."""
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if value < 1024 or unit == "TB":
            break
        value /= 1024
    if unit == "bytes":
        return f"{size} bytes"
    return f"{value:.0f} {unit}" if value >= 10 or value == int(value) else f"{value:.1f} {unit}"


def is_generated(name: str) -> bool:
    """Whether ``name`` is one this module gives: a stored file or its ``.part``."""
    return bool(GENERATED_NAME.fullmatch(name))


# -- files that follow the transaction ----------------------------------------------------
_STAGED = "qa_staged_files"
_DOOMED = "qa_files_to_delete"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Pending:
    path: Path  # staged: the ``.part`` file; doomed: the file to delete
    final: Path | None  # staged: its name once committed
    # The savepoints open when it was queued, innermost first: rolling back any of them
    # undoes it.
    savepoints: tuple[SessionTransaction, ...]


def _queue(key: str, pending_for: Path, final: Path | None) -> None:
    session = db.session()
    if not session.in_transaction():
        session.begin()  # so that a commit or a rollback (or the session's end) settles it
    pending = _Pending(pending_for, final, open_savepoints(session))
    session.info.setdefault(key, []).append(pending)


def stage_bytes(data: bytes, *, kind: str = "uploads", extension: str = "pdf") -> StoredFile:
    """Write ``data`` as ``<uuid>.part`` now; it becomes ``<uuid>.<extension>`` (the
    returned ``stored_name``, for the row to record) when the current transaction commits,
    and is removed if it rolls back."""
    tmp, final = _write_part(data, kind, extension)
    _queue(_STAGED, tmp, final)
    return StoredFile(final.name, hashlib.sha256(data).hexdigest(), len(data))


def delete_after_commit(stored_name: str, *, kind: str = "uploads") -> None:
    """Delete the stored file once the current transaction commits (a rollback keeps it)."""
    _queue(_DOOMED, path_of(stored_name, kind=kind), None)


def _logger() -> logging.Logger:
    return current_app.logger if has_app_context() else log


def _finish_move(pending: _Pending) -> None:
    try:
        os.replace(pending.path, pending.final)
    except FileNotFoundError:
        if not pending.final.exists():  # the sweep may have finished the move already
            _logger().error("staged file %s vanished before it was moved", pending.path.name)
    except OSError:  # the row is committed: the sweep finishes the move
        _logger().exception("could not move %s to its final name", pending.path.name)


def _unlink(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError:  # an orphan now, which the sweep deletes
        _logger().exception("could not delete %s", path.name)


@event.listens_for(Session, "after_commit")
def _settle_on_commit(session: Session) -> None:
    if session.get_nested_transaction() is not None:
        return  # a savepoint was released; the transaction goes on
    for pending in session.info.pop(_STAGED, ()):
        _finish_move(pending)
    for pending in session.info.pop(_DOOMED, ()):
        _unlink(pending.path)


@event.listens_for(Session, "after_soft_rollback")
def _undo_savepoint(session: Session, previous_transaction: SessionTransaction) -> None:
    if not previous_transaction.nested:
        return  # the whole transaction: _undo_transaction below
    for key in (_STAGED, _DOOMED):
        kept = []
        for pending in session.info.get(key, ()):
            if previous_transaction not in pending.savepoints:
                kept.append(pending)
            elif key == _STAGED:
                _unlink(pending.path)
        session.info[key] = kept


@event.listens_for(Session, "after_transaction_end")
def _undo_transaction(session: Session, transaction: SessionTransaction) -> None:
    """The transaction ended without committing (rolled back, or its session closed):
    nothing staged in it is kept, nothing it meant to delete is deleted."""
    if transaction.parent is not None:
        return
    for pending in session.info.pop(_STAGED, ()):
        _unlink(pending.path)
    session.info.pop(_DOOMED, None)
