"""``flask backup create | verify | restore | check``: the operator's commands (see the
README's "Backup and restore")."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy.exc import OperationalError

from qa_portal.core.backup import archive, files, restore
from qa_portal.core.backup.database import BackupError

backup_cli = AppGroup(
    "backup", help="Back up and restore the database, the stored files and the instance keys."
)


def _counts(manifest: archive.Manifest) -> str:
    counts = manifest.counts
    rows = sum(counts.get("rows", {}).values())
    stored = counts.get("stored_files", {})
    kinds = ", ".join(f"{n} in {kind}" for kind, n in stored.items())
    keys = counts.get("instance_files", []) + counts.get("configured_files", [])
    return (
        f"{manifest.database['kind']} database at revision "
        f"{manifest.database.get('alembic_revision')}, {rows} rows in "
        f"{len(counts.get('rows', {}))} tables; {sum(stored.values())} stored files ({kinds}); "
        f"instance and configured files: {', '.join(keys) or 'none'}"
    )


@contextmanager
def _failures() -> Iterator[None]:
    """A refusal, or the database out of reach, as a message and exit status 1."""
    try:
        yield
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    except OperationalError as exc:
        raise click.ClickException(f"The database cannot be reached: {exc.orig}") from exc


@backup_cli.command("create")
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path),
    help="The folder to write the archive in (default: the current one), or its file name "
    "(….tar, or ….tar.gz to compress it).",
)
@click.option(
    "--without-audit-key",
    is_flag=True,
    help=f"Leave instance/{files.AUDIT_KEY_FILE} out, to keep the audit key apart from the "
    "database (a restore then needs it put back by hand).",
)
def create_command(output: Path | None, without_audit_key: bool) -> None:
    """Write one archive: the database (a consistent copy), then the stored files, then
    the instance keys and audit checkpoints. It holds secrets: keep it encrypted or
    readable by operators only."""
    with _failures():
        created = archive.create_backup(output, audit_key=not without_audit_key)
    manifest = created.manifest
    click.echo(f"Backup written to {created.path} (mode 0600; it holds the portal's keys).")
    click.echo(f"It holds: {_counts(manifest)}.")
    if manifest.problems:
        click.echo(
            f"WARNING: {len(manifest.problems)} stored file(s) that rows of the database refer "
            "to are not in the archive as recorded:",
            err=True,
        )
        for problem in manifest.problems:
            click.echo(f"  {problem}", err=True)
        raise SystemExit(1)


@backup_cli.command("verify")
@click.argument("archive_path", metavar="ARCHIVE", type=click.Path(path_type=Path))
def verify_command(archive_path: Path) -> None:
    """Check every member of an archive against its manifest (changes nothing)."""
    with _failures():
        manifest = archive.verify_archive(archive_path)
    click.echo(
        f"Archive intact: {len(manifest.members)} members match the manifest of "
        f"{manifest.data['created_at']}."
    )
    click.echo(f"It holds: {_counts(manifest)}.")


@backup_cli.command("restore")
@click.argument("archive_path", metavar="ARCHIVE", type=click.Path(path_type=Path))
@click.option(
    "--yes",
    "--force",
    "force",
    is_flag=True,
    help="Restore even though this portal already holds data (its database is replaced).",
)
def restore_command(archive_path: Path, force: bool) -> None:
    """Restore an archive into this portal's database and folders (stop the portal first):
    the archive is checked, then the database, the stored files and the instance files are
    restored, then every stored file is checked against its row."""
    with _failures():
        summary = restore.restore_backup(archive_path, force=force)
    manifest = summary.manifest
    click.echo(f"Restored from {archive_path} (written {manifest.data['created_at']}):")
    click.echo(f"  database: {_counts(manifest)}")
    stored = ", ".join(f"{n} in {kind}" for kind, n in summary.files.items()) or "none"
    click.echo(f"  stored files: {stored}")
    click.echo(f"  instance files: {', '.join(summary.restored) or 'none'}")
    if summary.kept:
        click.echo(f"  kept this portal's own: {', '.join(summary.kept)}")
    if summary.without_audit_key:
        click.echo(
            f"  The archive holds no {files.AUDIT_KEY_FILE} file: the audit trail verifies "
            "only with the key it was written with (AUDIT_KEY, or that file put back)."
        )
    if summary.needs_upgrade:
        click.echo(
            f"  The database is at revision {manifest.database.get('alembic_revision')}; this "
            f"version's migrations lead to {', '.join(summary.migration_heads)}: run "
            "`flask db upgrade` before starting the portal."
        )
    _report_check(summary.check, summary.count_mismatches)


def _report_check(check: files.FileCheck, mismatches: list[str] = ()) -> None:
    for mismatch in mismatches:
        click.echo(f"ROWS DIFFER from the manifest: {mismatch}", err=True)
    tables = ", ".join(f"{n} {table}" for table, n in check.checked.items()) or "none"
    if check.ok and not mismatches:
        click.echo(f"All {check.total} stored files match their SHA-256 ({tables}).")
        return
    for problem in check.problems:
        click.echo(f"FILE PROBLEM {problem}", err=True)
    click.echo(
        f"{len(check.problems)} stored file(s) missing or changed; {check.total} checked.",
        err=True,
    )
    raise SystemExit(1)


@backup_cli.command("check")
def check_command() -> None:
    """Check every stored file (evidence, condition evidence, reports) against the SHA-256
    its row records; exit 1 naming each one missing or changed."""
    with _failures():
        refs = files.current_references()
    _report_check(files.check_stored_files(refs))
