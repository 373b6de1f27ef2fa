"""What anchors the audit trail outside the database: its key and its signed checkpoints.

A hash chain alone proves nothing to someone who can write the table: they can delete the
newest entries, empty the table, or rewrite an entry and recompute every later hash. Two
things kept *outside* the database close those gaps, as a keyed log with signed tree heads
does (Certificate Transparency, Trillian):

- **The audit key** (``AUDIT_KEY``; in development a random one kept in
  ``instance/audit_key``, mode 0600, created on first start; production refuses to start
  without one, see ``config.ensure_audit_key``). Entries are chained with HMAC-SHA-256
  under a key derived from it, so nobody without the key can compute a valid hash for a
  changed or invented entry.
- **Checkpoints**: from time to time the portal signs (HMAC-SHA-256, another derived key)
  the trail's length, the id and hash of its newest entry and how many entries predate the
  key, and appends that line to an append-only JSON-lines file
  (``AUDIT_CHECKPOINT_FILE``, by default ``instance/audit_checkpoints.jsonl``) and to the
  application log. ``flask audit verify`` then requires the table to still hold every
  checkpointed entry at its position with its hash: a truncated, emptied or rewritten
  trail no longer matches what was signed before.

Both must be backed up apart from the database: whoever holds the database dump and the
key could rewrite the trail, and a restored database is checked against the checkpoints.

This module knows nothing of the audit table; ``core/audit.py`` reads it.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO

from flask import current_app

CHECKPOINT_FORMAT = 1
_TAIL_BYTES = 8192  # a checkpoint line is ~350 bytes: the last one is in the file's tail


# -- the key ------------------------------------------------------------------------------
def _derive(purpose: str) -> bytes:
    """A key for one purpose, derived from the audit key (HMAC as a PRF), so the chain's
    key, the checkpoints' key and the key id can never be confused with one another."""
    secret = current_app.config.get("AUDIT_KEY") or ""
    if not secret:
        raise RuntimeError("AUDIT_KEY is not configured (config.ensure_audit_key sets it)")
    return hmac.new(secret.encode(), purpose.encode(), hashlib.sha256).digest()


def chain_key() -> bytes:
    """The key of the entries' hashes (hash version 2)."""
    return _derive("qa_portal audit chain v2")


def checkpoint_key() -> bytes:
    return _derive("qa_portal audit checkpoint v1")


def key_id() -> str:
    """A public fingerprint of the audit key, written in every checkpoint: verification
    with another key then says so instead of calling every entry forged."""
    return _derive("qa_portal audit key id").hex()[:16]


# -- checkpoints --------------------------------------------------------------------------
@dataclass(frozen=True)
class Checkpoint:
    """A signed statement: "the trail held ``count`` entries, the newest ``head_id`` with
    hash ``head_hash``; the first ``legacy`` of them predate the audit key"."""

    count: int
    head_id: int | None
    head_hash: str
    legacy: int
    at: str  # ISO 8601 UTC, when it was taken
    key_id: str
    sig: str = ""
    where: str = field(default="", compare=False)  # "line 3 of /path" (not signed)

    def signed_fields(self) -> dict:
        fields = asdict(self)
        del fields["sig"], fields["where"]
        return {"format": CHECKPOINT_FORMAT, **fields}

    def describe(self) -> str:
        return f"the checkpoint of {self.at} ({self.where})"


def _signature(fields: dict) -> str:
    message = json.dumps(fields, sort_keys=True, separators=(",", ":"))
    return hmac.new(checkpoint_key(), message.encode(), hashlib.sha256).hexdigest()


def sign(checkpoint: Checkpoint) -> Checkpoint:
    return Checkpoint(**{**asdict(checkpoint), "sig": _signature(checkpoint.signed_fields())})


def signature_ok(checkpoint: Checkpoint) -> bool:
    return hmac.compare_digest(checkpoint.sig, _signature(checkpoint.signed_fields()))


def to_line(checkpoint: Checkpoint) -> str:
    return json.dumps({**checkpoint.signed_fields(), "sig": checkpoint.sig}, sort_keys=True)


def parse_line(text: str, where: str) -> Checkpoint:
    """One line of the log; ``ValueError`` when it is no checkpoint of this format."""
    data = json.loads(text)
    if not isinstance(data, dict) or data.pop("format", None) != CHECKPOINT_FORMAT:
        raise ValueError("not a checkpoint of this format")
    try:
        checkpoint = Checkpoint(**data, where=where)
    except TypeError as exc:
        raise ValueError(str(exc)) from exc
    if not (isinstance(checkpoint.count, int) and isinstance(checkpoint.legacy, int)):
        raise ValueError("count and legacy must be integers")
    if not isinstance(checkpoint.sig, str):
        raise ValueError("no signature")
    return checkpoint


def log_path() -> Path:
    return Path(current_app.config["AUDIT_CHECKPOINT_FILE"])


@dataclass
class CheckpointLog:
    """The checkpoints of one or more files: those validly signed with this key, and a
    sentence for every line that is not (forged, altered, or signed with another key)."""

    checkpoints: list[Checkpoint] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def read_checkpoints(paths: list[Path]) -> CheckpointLog:
    log = CheckpointLog()
    this_key = key_id()
    for path in paths:
        if not path.exists():
            continue
        with path.open(encoding="utf-8") as file:
            for number, text in enumerate(file, start=1):
                if not text.strip():
                    continue
                where = f"line {number} of {path}"
                try:
                    checkpoint = parse_line(text, where)
                except ValueError:
                    log.problems.append(f"{where} is not a readable checkpoint")
                    continue
                if checkpoint.key_id != this_key:
                    log.problems.append(
                        f"{where} was signed with another audit key (key id "
                        f"{checkpoint.key_id}; this key's id is {this_key}): is AUDIT_KEY "
                        "the key in use when it was written?"
                    )
                elif not signature_ok(checkpoint):
                    log.problems.append(f"{where} has an invalid signature (forged or altered)")
                else:
                    log.checkpoints.append(checkpoint)
    return log


def _last_line(file: IO[bytes]) -> str | None:
    """The last non-empty line of an open file (read from its tail only)."""
    size = file.seek(0, os.SEEK_END)
    file.seek(max(0, size - _TAIL_BYTES))
    lines = file.read().decode("utf-8", errors="replace").splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    return lines[-1] if lines else None


def latest_checkpoint(path: Path | None = None) -> Checkpoint | None:
    """The newest line of the log, unchecked (enough to decide whether a new one is due)."""
    path = path or log_path()
    try:
        with path.open("rb") as file:
            last = _last_line(file)
    except FileNotFoundError:
        return None
    try:
        return None if last is None else parse_line(last, f"the last line of {path}")
    except ValueError:
        return None


class LogAppender:
    """The checkpoint log opened for appending under an exclusive lock: processes taking
    checkpoints at the same time write one after the other, each after reading the last."""

    def __init__(self, path: Path, file: IO[bytes]):
        self.path = path
        self._file = file

    def last(self) -> Checkpoint | None:
        """The newest line, which must be validly signed with this key (else ValueError)."""
        last = _last_line(self._file)
        if last is None:
            return None
        where = f"the last line of {self.path}"
        checkpoint = parse_line(last, where)
        if checkpoint.key_id != key_id() or not signature_ok(checkpoint):
            raise ValueError(f"{where} is not validly signed with this audit key")
        return checkpoint

    def append(self, checkpoint: Checkpoint) -> None:
        self._file.seek(0, os.SEEK_END)
        self._file.write((to_line(checkpoint) + "\n").encode())
        self._file.flush()
        os.fsync(self._file.fileno())


@contextmanager
def open_log(path: Path | None = None) -> Iterator[LogAppender]:
    """The log, created (mode 0600) if need be, locked for this process until the block
    ends. The file is only ever appended to."""
    path = path or log_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(descriptor, "a+b") as file:
        fcntl.flock(file.fileno(), fcntl.LOCK_EX)
        try:
            yield LogAppender(path, file)
        finally:
            fcntl.flock(file.fileno(), fcntl.LOCK_UN)
