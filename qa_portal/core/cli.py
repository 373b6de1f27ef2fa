"""Operator commands: ``flask audit verify`` and ``flask mail retry``."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from qa_portal.core import audit, mail

audit_cli = AppGroup("audit", help="Audit trail.")
mail_cli = AppGroup("mail", help="Outgoing e-mail.")


@audit_cli.command("verify")
def verify_command() -> None:
    """Recompute the audit hash chain; exit 1 naming the first bad entry."""
    report = audit.verify_chain()
    if report.intact:
        click.echo(f"Audit trail intact: {report.checked} entries verified.")
        return
    click.echo(
        f"Audit trail BROKEN at entry {report.first_bad_id} ({report.first_bad_label}): "
        f"{report.reason}. The {report.checked} entries before it are intact.",
        err=True,
    )
    raise SystemExit(1)


@mail_cli.command("retry")
def retry_command() -> None:
    """Try to deliver every unsent e-mail once more."""
    sent, failed = mail.retry_pending()
    click.echo(f"{sent} sent, {failed} still failing.")
    if failed:
        raise SystemExit(1)
