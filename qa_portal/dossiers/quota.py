"""What a provider organisation may store: its storage quota, and files per request.

**The quota** (``ORG_STORAGE_QUOTA_BYTES``, 500 MB, and ``ORG_STORAGE_QUOTA_FILES``, 500
files, by default) bounds every file the organisation's dossiers own: their evidence files
(including those removed from a draft but kept because a submitted version refers to them)
and, through ``counts_files``, the files of the packages above (condition evidence). The
report PDFs the QA body generates do not count. An upload past it is refused before
anything is written. The check runs inside the transaction that records the upload, after
locking the organisation's row (``SELECT … FOR NO KEY UPDATE`` on PostgreSQL; on SQLite a
writing transaction holds the database's write lock from its start), so two uploads at
once cannot both slip past the quota: the second waits for the first and counts its files.

**Files per request** (``MAX_FILES_PER_REQUEST``, 20 by default): one request brings at most
that many files; more are refused, none stored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app

from qa_portal.accounts.models import Organisation
from qa_portal.core.errors import InvalidInput
from qa_portal.core.storage import human_size
from qa_portal.dossiers.models import Dossier, EvidenceFile
from qa_portal.extensions import db


class FileRefused(InvalidInput):
    """An uploaded file (or set of files) was refused; nothing was stored. Views show the
    message next to the file field."""


class QuotaExceeded(FileRefused):
    code = "quota_exceeded"


class TooManyFiles(FileRefused):
    code = "too_many_files"


# organisation id → a SELECT of one column, ``size``: one row per file the organisation owns
FileSizes = Callable[[int], sa.Select]
_SOURCES: list[FileSizes] = []


def counts_files(source: FileSizes) -> FileSizes:
    """Declare a table of files that counts towards the organisations' quota."""
    _SOURCES.append(source)
    return source


@counts_files
def _evidence_sizes(organisation_id: int) -> sa.Select:
    return (
        sa.select(EvidenceFile.size.label("size"))
        .join(Dossier, Dossier.id == EvidenceFile.dossier_id)
        .where(Dossier.organisation_id == organisation_id)
    )


@dataclass(frozen=True)
class StorageUsage:
    used_bytes: int
    used_files: int
    quota_bytes: int
    quota_files: int

    def __str__(self) -> str:
        return (
            f"{human_size(self.used_bytes)} of {human_size(self.quota_bytes)}, "
            f"{self.used_files} of {self.quota_files} files"
        )

    @property
    def nearly_full(self) -> bool:
        """Nine tenths of either limit used: the page says so."""
        return self.used_bytes * 10 >= self.quota_bytes * 9 or (
            self.used_files * 10 >= self.quota_files * 9
        )

    def refusal(self, size: int, files: int) -> str | None:
        """Why adding ``files`` files of ``size`` bytes in all would exceed the quota."""
        advice = "Remove files the dossiers no longer need, or ask the QA body to raise the quota."
        if self.used_files + files > self.quota_files:
            return (
                f"Your organisation may store at most {self.quota_files} files and already "
                f"stores {self.used_files}; this upload would add {files}. {advice}"
            )
        if self.used_bytes + size > self.quota_bytes:
            return (
                f"Your organisation's storage quota is {human_size(self.quota_bytes)}, of "
                f"which {human_size(self.used_bytes)} is used; this upload "
                f"({human_size(size)}) would exceed it. {advice}"
            )
        return None


def storage_usage(organisation_id: int) -> StorageUsage:
    """The files the organisation's dossiers own, against its quota."""
    sizes = sa.union_all(*(source(organisation_id) for source in _SOURCES)).subquery()
    used_bytes, used_files = db.session.execute(
        sa.select(sa.func.coalesce(sa.func.sum(sizes.c.size), 0), sa.func.count()).select_from(
            sizes
        )
    ).one()
    config = current_app.config
    return StorageUsage(
        used_bytes=int(used_bytes),
        used_files=int(used_files),
        quota_bytes=int(config["ORG_STORAGE_QUOTA_BYTES"]),
        quota_files=int(config["ORG_STORAGE_QUOTA_FILES"]),
    )


def reserve_storage(organisation_id: int, *, size: int, files: int) -> StorageUsage:
    """Refuse (``QuotaExceeded``) an upload of ``files`` files, ``size`` bytes in all, that
    would take the organisation past its quota. Locks the organisation's row until the
    transaction ends, so concurrent uploads are counted one after the other."""
    # FOR NO KEY UPDATE: uploads of one organisation queue behind each other, while rows
    # that merely refer to the organisation (a new dossier, a new member) are not held up.
    db.session.execute(
        sa.select(Organisation.id)
        .where(Organisation.id == organisation_id)
        .with_for_update(key_share=True)
    )
    usage = storage_usage(organisation_id)
    problem = usage.refusal(size, files)
    if problem:
        raise QuotaExceeded(problem)
    return usage


def max_files_per_request() -> int:
    return int(current_app.config["MAX_FILES_PER_REQUEST"])


def check_file_count(count: int) -> None:
    """Refuse (``TooManyFiles``) more files in one request than ``MAX_FILES_PER_REQUEST``."""
    limit = max_files_per_request()
    if count > limit:
        raise TooManyFiles(
            f"At most {limit} files can be sent at once; you sent {count}. "
            "Combine documents into fewer PDFs."
        )
