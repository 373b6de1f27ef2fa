"""File storage under generated names, addressed by a stored name and checked by SHA-256.

Uploaded names are never used as paths: files are written as ``<uuid>.<ext>`` in the
configured directory (local disk, or shared storage mounted there in production).
"""

from __future__ import annotations

import hashlib
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from werkzeug.utils import secure_filename


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


def save_bytes(data: bytes, *, kind: str = "uploads", extension: str = "pdf") -> StoredFile:
    """Write ``data`` under a fresh generated name; never overwrites."""
    name = f"{uuid.uuid4().hex}.{extension}"
    path = _root(kind) / name
    tmp = path.with_suffix(".part")
    with open(tmp, "xb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return StoredFile(name, hashlib.sha256(data).hexdigest(), len(data))


def path_of(stored_name: str, *, kind: str = "uploads") -> Path:
    if Path(stored_name).name != stored_name or stored_name.startswith("."):
        raise ValueError("invalid stored name")
    return _root(kind) / stored_name


def read_bytes(stored_name: str, *, kind: str = "uploads") -> bytes:
    return path_of(stored_name, kind=kind).read_bytes()


def delete(stored_name: str, *, kind: str = "uploads") -> None:
    path_of(stored_name, kind=kind).unlink(missing_ok=True)


def display_name(filename: str | None, default: str = "document.pdf") -> str:
    """A harmless file name for display and download (no directories, no control chars)."""
    name = secure_filename(filename or "") or default
    return name[:200]
