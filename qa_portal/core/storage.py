"""File storage under generated names, addressed by a stored name and checked by SHA-256.

Uploaded names are never used as paths: files are written as ``<uuid>.<ext>`` in the
configured directory (local disk, or shared storage mounted there in production).
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
import uuid
from dataclasses import dataclass
from pathlib import Path

from flask import current_app


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
