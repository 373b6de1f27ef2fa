"""``flask reminders send``: the periodic reminder job, run by cron or Celery beat."""

from __future__ import annotations

from datetime import date

import click
from flask.cli import AppGroup

from qa_portal.cases.reminders import send_reminders
from qa_portal.core.db import commit

reminders_cli = AppGroup("reminders", help="Reminders before and after due dates.")


@reminders_cli.command("send")
@click.option(
    "--date",
    "on",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Send as if today were this date (YYYY-MM-DD).",
)
def send_command(on) -> None:
    """Send every reminder that is due; each one at most once."""
    day: date | None = on.date() if on else None
    counts = send_reminders(day, commit=commit)
    sent = sum(v for k, v in counts.items() if k != "skipped")
    details = ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "nothing due"
    click.echo(f"{sent} reminder(s) sent ({details}).")
