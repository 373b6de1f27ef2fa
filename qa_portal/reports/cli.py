"""``flask reports render DOSSIER_ID --variant public|internal -o FILE``."""

from __future__ import annotations

from pathlib import Path

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from qa_portal.core.db import commit
from qa_portal.core.errors import DomainError
from qa_portal.decisions.models import Decision
from qa_portal.extensions import db
from qa_portal.reports import operations
from qa_portal.reports.models import ReportVariant

reports_cli = AppGroup("reports", help="Review reports.")


@reports_cli.command("render")
@click.argument("dossier_id", type=int)
@click.option(
    "--variant",
    type=click.Choice([v.value for v in ReportVariant]),
    default="public",
    show_default=True,
)
@click.option(
    "-o",
    "--output",
    "output",
    type=click.Path(dir_okay=False, writable=True),
    required=True,
    help="Where to write the PDF.",
)
def render_command(dossier_id: int, variant: str, output: str) -> None:
    """Render the report of the dossier's latest decided round to FILE (a new revision)."""
    decision = db.session.execute(
        sa.select(Decision)
        .where(
            Decision.dossier_id == dossier_id,
            Decision.superseded_at.is_(None),
            Decision.outcome.in_(operations.REVIEWED),
        )
        .order_by(Decision.decided_at.desc(), Decision.id.desc())
        .limit(1)
    ).scalar()
    if decision is None:
        raise click.ClickException(f"Dossier {dossier_id} has no decided, reviewed round.")
    try:
        report = operations.request_report(None, decision, ReportVariant(variant), dispatch=False)
        report_id = report.id
        commit()  # the queued revision is stored first; rendered here rather than by a job
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from exc
    report = operations.render(report_id)
    commit()
    Path(output).write_bytes(operations.read(report))
    click.echo(
        f"{output}: {report.variant.label.lower()} {report.number} revision "
        f"{report.revision}, {report.pages} pages, SHA-256 {report.sha256}, "
        f"verification code {report.code}"
    )
