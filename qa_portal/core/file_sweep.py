"""The sweep of stray files: ``flask files sweep`` and the hourly ``qa_portal.sweep_files`` job.

Uploads are staged as ``<uuid>.part`` and moved to their final name after the commit, and
files of deleted rows are deleted after it (``core/storage.py``). A process killed at the
wrong moment still leaves something behind; the sweep puts it right, in the upload and the
report folders:

- a ``.part`` file whose row is committed (the process died between the commit and the
  move) is moved to its final name, whatever its age: a row never points to a missing file;
- any other ``.part`` file older than ``FILE_SWEEP_AGE_HOURS`` (24 by default) is an upload
  that never committed: deleted;
- a stored file that no row names and that is older than that is an orphan: deleted.

A file is referenced when any table with a ``stored_name`` column (evidence files,
condition evidence, report PDFs, and any table added later) names it; the tables are found
on the metadata, so a new one is covered without changing this module. Only files named as
``core/storage.py`` names them are considered; anything else in the folders is left alone.
A file's age counts from the later of its last write and its arrival in the folder (its
inode change time), so files restored from a backup before their database rows are not
swept as orphans for a day. The folders are listed before the references are read: a file
written meanwhile is not considered at all.
"""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass, field
from datetime import timedelta

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from qa_portal.core import storage
from qa_portal.core.db import reads_first
from qa_portal.core.jobs import FlaskTask
from qa_portal.extensions import celery, db


@dataclass(frozen=True)
class SweptFile:
    kind: str  # uploads or reports
    name: str
    size: int
    age: float  # seconds
    reason: str

    def describe(self) -> str:
        hours = self.age / 3600
        age = f"{hours / 24:.1f} days" if hours >= 48 else f"{hours:.0f} hours"
        return (
            f"{self.kind}/{self.name} ({storage.human_size(self.size)}, {age} old): {self.reason}"
        )


@dataclass
class SweepResult:
    removed: list[SweptFile] = field(default_factory=list)
    moved: list[SweptFile] = field(default_factory=list)  # interrupted moves finished
    kept: int = 0
    dry_run: bool = False

    @property
    def removed_bytes(self) -> int:
        return sum(f.size for f in self.removed)


def stored_name_columns() -> list[sa.Column]:
    """Every column that names a stored file: ``stored_name`` in any table."""
    return [table.c.stored_name for table in db.metadata.sorted_tables if "stored_name" in table.c]


def referenced_names() -> set[str]:
    """The stored names that some row refers to."""
    names: set[str] = set()
    for column in stored_name_columns():
        query = sa.select(column).where(column.is_not(None)).execution_options(yield_per=5000)
        names.update(db.session.execute(query).scalars())
    return names


@dataclass(frozen=True)
class _Candidate:
    kind: str
    path: os.DirEntry
    size: int
    age: float


def _listing(now: float) -> list[_Candidate]:
    found = []
    for kind in storage.KINDS:
        with os.scandir(storage.root_of(kind)) as entries:
            for entry in entries:
                if not storage.is_generated(entry.name) or not entry.is_file(follow_symlinks=False):
                    continue
                try:
                    stat = entry.stat(follow_symlinks=False)
                except FileNotFoundError:  # moved or deleted meanwhile
                    continue
                arrived = max(stat.st_mtime, stat.st_ctime)
                found.append(_Candidate(kind, entry, stat.st_size, now - arrived))
    return found


def sweep(*, older_than: timedelta, dry_run: bool = False, now: float | None = None) -> SweepResult:
    """Finish interrupted moves, delete unfinished uploads and orphans (see above)."""
    now = time.time() if now is None else now
    limit = older_than.total_seconds()
    candidates = _listing(now)
    with reads_first():  # only reads: on SQLite it takes no write lock
        referenced = referenced_names()
        db.session.rollback()
    final_of = {name.split(".", 1)[0]: name for name in referenced}
    result = SweepResult(dry_run=dry_run)
    for candidate in candidates:
        name, path = candidate.path.name, candidate.path.path
        if name.endswith(storage.PART):
            final = final_of.get(name[: -len(storage.PART)])
            target = os.path.join(os.path.dirname(path), final) if final else None
            if target and not os.path.exists(target):
                reason = f"its row is committed: moved to {final}"
                result.moved.append(_swept(candidate, reason))
                if not dry_run:
                    _act(os.replace, path, target)
                continue
            reason = "an upload that was never committed (.part)"
        elif name in referenced:
            result.kept += 1
            continue
        else:
            reason = "referenced by no row"
        if candidate.age < limit:
            result.kept += 1
            continue
        result.removed.append(_swept(candidate, reason))
        if not dry_run:
            _act(os.unlink, path)
    return result


def _swept(candidate: _Candidate, reason: str) -> SweptFile:
    return SweptFile(candidate.kind, candidate.path.name, candidate.size, candidate.age, reason)


def _act(operation, *paths: str) -> None:
    # Another sweep, or the request's own move after its commit, may have got there first.
    with contextlib.suppress(FileNotFoundError):
        operation(*paths)


def configured_age() -> timedelta:
    return timedelta(hours=float(current_app.config["FILE_SWEEP_AGE_HOURS"]))


# -- the command and the job --------------------------------------------------------------
files_cli = AppGroup("files", help="Stored files: uploads and reports.")


@files_cli.command("sweep")
@click.option("--dry-run", is_flag=True, help="Say what would be removed; change nothing.")
@click.option(
    "--older-than",
    "hours",
    type=click.FloatRange(min=0),
    default=None,
    help="Age in hours past which an unreferenced file goes (default FILE_SWEEP_AGE_HOURS).",
)
def sweep_command(dry_run: bool, hours: float | None) -> None:
    """Delete .part files and files no row refers to that are older than a day."""
    age = configured_age() if hours is None else timedelta(hours=hours)
    result = sweep(older_than=age, dry_run=dry_run)
    verb = "Would remove" if dry_run else "Removed"
    for swept in result.moved:
        click.echo(f"{'Would finish' if dry_run else 'Finished'} {swept.describe()}")
    for swept in result.removed:
        click.echo(f"{verb} {swept.describe()}")
    click.echo(
        f"{verb} {len(result.removed)} files ({storage.human_size(result.removed_bytes)}); "
        f"{len(result.moved)} interrupted moves {'to finish' if dry_run else 'finished'}; "
        f"{result.kept} files kept."
    )


@celery.task(name="qa_portal.sweep_files", base=FlaskTask)
def sweep_files() -> int:
    """The periodic sweep (hourly in the beat schedule); returns how many files went."""
    result = sweep(older_than=configured_age())
    for swept in result.moved + result.removed:
        current_app.logger.info("file sweep: %s", swept.describe())
    return len(result.removed)
