"""Operator commands: ``flask audit verify``, ``flask audit checkpoint``, ``flask mail
retry`` and ``flask jobs …``."""

from __future__ import annotations

from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from qa_portal.core import audit, job_queue, job_runner, keys, mail
from qa_portal.core import audit_anchor as anchor
from qa_portal.extensions import db

audit_cli = AppGroup("audit", help="Audit trail.")
mail_cli = AppGroup("mail", help="Outgoing e-mail.")
jobs_cli = AppGroup("jobs", help="Background jobs (report rendering).")
keys_cli = AppGroup("keys", help="The QA body's signing keys (credentials and PDF reports).")


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


@jobs_cli.command("run")
@click.option("--job", "job_id", type=int, help="Run this job first (then whatever is due).")
@click.option("--limit", type=int, default=100, show_default=True, help="At most this many.")
def jobs_run_command(job_id: int | None, limit: int) -> None:
    """Run due jobs here: never dispatched, lost by a broker, or left by a runner that died.

    Without a broker, run it every minute from cron (the web server also starts it for
    each job it queues); with one, Celery beat's sweep does this through the workers."""
    counts: dict[str, int] = {}
    if job_id is not None:
        outcome = job_runner.run(job_id)
        counts[outcome] = 1
        limit -= 1
    for outcome, number in job_runner.run_due(max(limit, 0)).items():
        counts[outcome] = counts.get(outcome, 0) + number
    summary = ", ".join(f"{number} {outcome}" for outcome, number in sorted(counts.items()))
    click.echo(f"Jobs: {summary or 'none due'}.")
    if counts.get("failed"):
        raise SystemExit(1)


@jobs_cli.command("list")
@click.option("--all", "show_all", is_flag=True, help="Finished jobs too (the latest 50).")
def jobs_list_command(show_all: bool) -> None:
    """Unfinished and failed jobs, oldest first."""
    query = sa.select(job_queue.Job).order_by(job_queue.Job.id)
    if not show_all:
        query = query.where(job_queue.Job.state != job_queue.JobState.DONE)
    jobs = list(db.session.execute(query.limit(200)).scalars())
    if not jobs:
        click.echo("No jobs waiting, running or failed.")
    for job in jobs[-50:] if show_all else jobs:
        lease = (
            f", lease until {job.lease_expires_at:%Y-%m-%d %H:%M:%S}"
            if job.lease_expires_at
            else ""
        )
        error = f" — {job.last_error.splitlines()[0]}" if job.last_error else ""
        click.echo(
            f"#{job.id} {job.task} {job.key or ''} {job.state.value}, attempt "
            f"{job.attempts}/{job.max_attempts}{lease}{error}"
        )


@keys_cli.command("create")
@click.option(
    "--self-signed-pdf",
    is_flag=True,
    help="In production, make a self-signed PDF certificate instead of a configured one.",
)
@click.option(
    "--organisation",
    default=None,
    help="The QA body's name in a certificate made here (default: QA_BODY_NAME).",
)
def keys_create_command(self_signed_pdf: bool, organisation: str | None) -> None:
    """Make the keys that are missing: the Ed25519 credential key and the PDF signing
    certificate (development: issued by a self-signed certificate authority)."""
    try:
        made = keys.ensure_keys(self_signed_pdf=self_signed_pdf, organisation=organisation)
    except keys.SigningKeysMissing as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(("Made: " + "; ".join(made)) if made else "The keys exist already.")
    _print_keys()


@keys_cli.command("rotate")
@click.option("--credentials/--no-credentials", default=True, help="A new credential key.")
@click.option("--pdf/--no-pdf", default=False, help="A new PDF signing certificate.")
def keys_rotate_command(credentials: bool, pdf: bool) -> None:
    """A new key replaces the current one; the old public key stays published, so what it
    signed still verifies (the old private key is deleted)."""
    if credentials:
        click.echo(f"New credential key: {keys.create_credential_key().key_id}")
    if pdf:
        if current_app.config.get("PDF_SIGNING_PKCS12") or current_app.config.get(
            "PDF_SIGNING_CERT"
        ):
            raise click.ClickException(
                "The PDF certificate is configured (PDF_SIGNING_*): replace the file instead."
            )
        cert = keys.create_pdf_certificate()
        click.echo(f"New PDF signing certificate: serial {cert.serial_number:x}")
    _print_keys()


@keys_cli.command("list")
def keys_list_command() -> None:
    """The QA body's DID, its credential keys and its PDF certificates."""
    _print_keys()


def _print_keys() -> None:
    click.echo(f"DID: {keys.issuer_did()} (document at /.well-known/did.json)")
    for key in keys.credential_keys():
        state = "current" if key.private_key else "retired (public key kept)"
        click.echo(f"  {key.verification_method}  {key.public_multibase}  {state}")
    for i, cert in enumerate(keys.pdf_certificates()):
        state = "current" if i == 0 else "retired"
        click.echo(
            f"  PDF certificate {cert.serial_number:x}: {cert.subject.rfc4514_string()}, "
            f"valid until {cert.not_valid_after_utc:%Y-%m-%d}  {state}"
        )
