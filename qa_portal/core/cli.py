"""Operator commands: ``flask audit verify``, ``flask audit checkpoint`` and
``flask mail retry``."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from qa_portal.core import audit, mail
from qa_portal.core import audit_anchor as anchor

audit_cli = AppGroup("audit", help="Audit trail.")
mail_cli = AppGroup("mail", help="Outgoing e-mail.")


@audit_cli.command("verify")
@click.option(
    "--checkpoints",
    "checkpoint_files",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="A checkpoint file to check against (repeatable; default: AUDIT_CHECKPOINT_FILE), "
    "e.g. the copy kept off this machine.",
)
def verify_command(checkpoint_files: tuple[Path, ...]) -> None:
    """Recompute the audit chain with the audit key and check it against the signed
    checkpoints; exit 1 naming the first bad entry, checkpoint or missing entries."""
    log = anchor.read_checkpoints(list(checkpoint_files) or [anchor.log_path()])
    report = audit.verify_chain(log=log)
    for problem in report.problems:
        click.echo(f"Audit checkpoint log BROKEN: {problem}.", err=True)
    if report.first_bad_id is not None:
        click.echo(
            f"Audit trail BROKEN at entry {report.first_bad_id} ({report.first_bad_label}): "
            f"{report.reason}. The {report.checked} entries before it are intact.",
            err=True,
        )
    elif report.missing:
        click.echo(
            f"Audit trail BROKEN: {report.missing}. The {report.checked} entries it holds "
            "are intact.",
            err=True,
        )
    if not report.intact:
        raise SystemExit(1)
    click.echo(f"Audit trail intact: {report.checked} entries verified{_details(report)}.")
    if report.latest is None:
        click.echo(
            "No checkpoint yet: entries removed from the end would go unnoticed. "
            "Run flask audit checkpoint."
        )


def _details(report: audit.ChainReport) -> str:
    details = []
    if report.unkeyed:
        details.append(f"{report.unkeyed} of them from before the audit key")
    latest = report.latest
    if latest is not None:
        matched = len(report.checkpoints)
        details.append(
            f"{matched} signed checkpoint{' matches' if matched == 1 else 's match'}, "
            f"the latest of {latest.at} covering {latest.count}"
        )
    return f" ({'; '.join(details)})" if details else ""


@audit_cli.command("checkpoint")
def checkpoint_command() -> None:
    """Sign the trail's length and newest hash into the checkpoint file (refused, exit 1,
    if the trail no longer holds the previous checkpoint)."""
    try:
        checkpoint = audit.take_checkpoint()
    except audit.AuditTrailTampered as exc:
        click.echo(f"Checkpoint refused: {exc}.", err=True)
        raise SystemExit(1) from exc
    if checkpoint is None:
        click.echo("Nothing new to sign: the latest checkpoint covers the whole trail.")
        return
    click.echo(
        f"Checkpoint signed: {checkpoint.count} entries, the newest {checkpoint.head_id}, "
        f"appended to {anchor.log_path()}."
    )


@mail_cli.command("retry")
def retry_command() -> None:
    """Try to deliver every unsent e-mail once more."""
    sent, failed = mail.retry_pending()
    click.echo(f"{sent} sent, {failed} still failing.")
    if failed:
        raise SystemExit(1)
