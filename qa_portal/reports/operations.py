"""Generating, storing and verifying review reports.

A report is requested (a row in ``queued`` state and a durable job, committed with the
request) and rendered by the job after the commit — in a process of its own, with a time
and a memory limit (``core.job_runner``): started after the response without a broker, by a
Celery worker with one. A job whose runner died or whose dispatch was lost is run again by
the sweep; a report left waiting (``is_stuck``) can also be tried again by the QA body. A
rendered report is signed by the QA body (in the job: a PAdES signature, then the SHA-256
of the signed file), stored with that SHA-256 and never changes; regenerating creates a new
revision and keeps the old one. Anyone can check a PDF against the verification code on
its cover: only the signed file as issued is genuine.
"""

from __future__ import annotations

import hashlib
import io
import secrets

import sqlalchemy as sa
from flask import current_app
from pypdf import PdfReader

from qa_portal.accounts.models import Role, User
from qa_portal.accounts.queries import qa_body
from qa_portal.core import audit, clock, job_queue, job_runner, signals, storage
from qa_portal.core.db import after_commit, reads_first
from qa_portal.core.errors import InvalidInput, NotPermitted, TransitionNotAllowed
from qa_portal.core.models import utcnow
from qa_portal.core.pdf import render_pdf
from qa_portal.core.states import SYSTEM
from qa_portal.decisions.models import Decision, Outcome
from qa_portal.extensions import db
from qa_portal.reports import data as report_data
from qa_portal.reports import record, signing
from qa_portal.reports.models import Report, ReportStatus, ReportVariant
from qa_portal.reports.workflow import REPORT_MACHINE
from qa_portal.reviews import methodology

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
REVIEWED = (
    Outcome.APPROVED,
    Outcome.APPROVED_WITH_CONDITIONS,
    Outcome.REVISE_AND_RESUBMIT,
    Outcome.REJECTED,
)


def new_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def normalise_code(code: str) -> str:
    raw = "".join(ch for ch in code.upper() if ch.isalnum())
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:12]}" if len(raw) == 12 else code.strip().upper()


CODE_FORMAT = (
    "A verification code has 12 letters and digits, in three groups of four (like "
    "ABCD-EFGH-JKLM); it never contains the letters O or I, nor the digits 0 or 1."
)


def code_problem(code: str) -> str:
    """Why a typed code cannot be any report's code (its length, a character codes never
    use), to say next to the field; "" when it has a code's form."""
    raw = [ch for ch in code.upper() if ch.isalnum()]
    if len(raw) != 12:
        return f"You typed {len(raw)} letters and digits; a code has 12."
    unused = sorted({ch for ch in raw if ch not in CODE_ALPHABET})
    if unused:
        return f"Codes never contain {', '.join(unused)}: check the characters."
    return ""


def report_number(decision: Decision) -> str:
    body = qa_body()
    prefix = report_data.acronym(body.name if body else "QA")
    return (
        f"{prefix}-{decision.decided_at:%Y}-{decision.dossier_id:05d}-"
        f"R{decision.round.number}-D{decision.id}"
    )


GENERATORS = (Role.QA_OFFICER, Role.QA_ADMIN)


def request_report(
    actor: User | None, decision: Decision, variant: ReportVariant, *, dispatch: bool = True
) -> Report:
    """Queue a new revision of the report on ``decision``; rendered by a job after the commit
    (``dispatch=False``: the caller renders it itself, as the CLI does). Only the QA body
    generates reports, and only on reviewed rounds."""
    if actor is not None and not actor.has_role(*GENERATORS):
        raise NotPermitted("Only the QA body generates reports.")
    if decision.outcome not in REVIEWED:
        raise TransitionNotAllowed(
            "Reports are written for reviewed rounds; a desk rejection has no review to report."
        )
    revision = (
        db.session.execute(
            sa.select(sa.func.max(Report.revision)).where(
                Report.decision_id == decision.id, Report.variant == variant
            )
        ).scalar()
        or 0
    ) + 1
    report = Report(
        dossier_id=decision.dossier_id,
        decision=decision,
        variant=variant,
        revision=revision,
        number=report_number(decision),
        code=new_code(),
        requested_by=actor,
        status=ReportStatus.QUEUED,
    )
    db.session.add(report)
    db.session.flush()
    audit.record(
        actor,
        "report.request",
        report,
        decision_id=decision.id,
        variant=variant.value,
        revision=revision,
        code=report.code,
    )
    if dispatch:
        submit_rendering(report)
    return report


RENDER_JOB = "report.render"


def job_key(report: Report | int) -> str:
    return f"report:{report if isinstance(report, int) else report.id}"


def submit_rendering(report: Report) -> None:
    """The durable job that renders ``report``, dispatched after the commit."""
    job_runner.submit(RENDER_JOB, key=job_key(report), report_id=report.id)


def is_stuck(report: Report) -> bool:
    """Waiting or rendering, but no runner is on it: its job was lost, its runner died, or
    its dispatch never reached a worker. (The sweep would take it up; the QA body need not
    wait for it.)"""
    if report.status not in (ReportStatus.QUEUED, ReportStatus.RENDERING):
        return False
    job = job_queue.unfinished_for(job_key(report))
    if job is None:
        return True
    if job.state == job_queue.JobState.RUNNING:
        return not job.lease_is_live()
    lost_before = utcnow() - job_queue.DISPATCH_GRACE
    return job.dispatched_at is None or job.dispatched_at < lost_before


def retry_report(actor: User, report: Report) -> None:
    """Queue again a report whose rendering failed, or that is stuck (``is_stuck``); the
    job runs after the commit."""
    if not actor.has_role(*GENERATORS):
        raise NotPermitted("Only the QA body generates reports.")
    if report.status != ReportStatus.FAILED and not is_stuck(report):
        raise TransitionNotAllowed(
            "Only a report whose rendering failed or stopped can be tried again."
        )
    role = Role.QA_OFFICER if actor.has_role(Role.QA_OFFICER) else Role.QA_ADMIN
    if report.status != ReportStatus.QUEUED:
        REPORT_MACHINE.fire(
            report, "retry", actor=actor, role=role.value, values={"error": ""}, audited=False
        )
    audit.record(actor, "report.retry", report, revision=report.revision)
    job = job_queue.unfinished_for(job_key(report))
    if job is None:
        failed = job_queue.latest_for(job_key(report))
        if failed is not None and failed.state == job_queue.JobState.FAILED:
            job_queue.requeue(failed)
            job_id = failed.id
            after_commit(lambda: job_runner.dispatch(job_id))
            return
    submit_rendering(report)


def request_both(actor: User | None, decision: Decision) -> list[Report]:
    """The public and internal reports of a newly decided round."""
    if decision.outcome not in REVIEWED:
        return []
    return [request_report(actor, decision, v) for v in ReportVariant]


def render(report_id: int, *, resume: bool = False) -> Report:
    """Render a queued report, store it with its SHA-256 (run as a job; commits).

    The job first claims the report (queued or failed → rendering, a conditional UPDATE): of
    two jobs running at once only one claims it; the other, like a job for a report that is
    already rendering or rendered, returns it unchanged. ``resume``: the caller holds the
    report's job (its lease), so a report left ``rendering`` by a runner that died is
    rendered again."""
    report = db.session.get(Report, report_id, populate_existing=True)
    if report is None:
        db.session.commit()
        return report
    action = "resume" if resume and report.status == ReportStatus.RENDERING else "start"
    try:
        REPORT_MACHINE.fire(
            report, action, actor=None, role=SYSTEM, values={"error": ""}, audited=False
        )
    except TransitionNotAllowed:
        db.session.commit()
        return report
    db.session.commit()
    try:
        pdf = render_signed(report)
        pages = len(PdfReader(io.BytesIO(pdf)).pages)
        stored = storage.stage_bytes(pdf, kind="reports", extension="pdf")  # kept on commit
    except Exception as exc:
        db.session.rollback()
        current_app.logger.exception("report %s failed to render", report_id)
        REPORT_MACHINE.fire(
            report,
            "fail",
            actor=None,
            role=SYSTEM,
            values={"error": f"{type(exc).__name__}: {exc}"[:2000]},
            audited=False,
        )
        db.session.commit()
        raise
    REPORT_MACHINE.fire(
        report,
        "render",
        actor=None,
        role=SYSTEM,
        values={
            "stored_name": stored.stored_name,
            "sha256": stored.sha256,
            "size": stored.size,
            "pages": pages,
            "rendered_at": utcnow(),
        },
        audited=False,
    )
    audit.record(None, "report.render", report, sha256=stored.sha256, size=stored.size, pages=pages)
    db.session.commit()
    return report


def render_signed(report: Report) -> bytes:
    """The report as issued: tagged PDF/A-3a with the decision's record attached
    (``reports.record``), signed by the QA body (``reports.signing``). The SHA-256 stored
    and checked by the verification page is that of these bytes, signature included.

    Reading and laying out hold no write lock (SQLite): other jobs and requests write
    meanwhile; the read-only transaction ends before the results are stored."""
    with reads_first():
        content = report_data.build(report)
        listing = listing_record(report, clock.today())
        pdf = render_pdf(
            "reports/report.html",
            attachments=[record.attachment(report, content, listing)],
            **content,
        )
        db.session.commit()
    return signing.sign_report(pdf, content)


def record_failure(report_id: int, reason: str) -> None:
    """The job gave the reason its rendering stopped (a limit, a crash): the report says it.
    A report that already recorded its own error (or was rendered) is left as it is."""
    report = db.session.get(Report, report_id, populate_existing=True)
    if report is None or report.status not in REPORT_MACHINE.sources_of("fail"):
        return
    REPORT_MACHINE.fire(
        report, "fail", actor=None, role=SYSTEM, values={"error": reason[:2000]}, audited=False
    )


def reports_for(decision_ids: list[int]) -> list[Report]:
    if not decision_ids:
        return []
    return list(
        db.session.execute(
            sa.select(Report)
            .where(Report.decision_id.in_(decision_ids))
            .order_by(Report.decision_id, Report.variant, Report.revision.desc())
        ).scalars()
    )


def panel_for(user, dossier) -> dict:
    """The dossier's reviewed decisions, newest first, each with the reports ``user`` may see
    (newest revision first); ``can_generate`` for QA staff."""
    staff = bool(user and user.is_authenticated and user.is_staff)
    decisions = list(
        db.session.execute(
            sa.select(Decision)
            .where(Decision.dossier_id == dossier.id, Decision.outcome.in_(REVIEWED))
            .order_by(Decision.decided_at.desc(), Decision.id.desc())
        ).scalars()
    )
    by_decision: dict[int, list[Report]] = {}
    for report in reports_for([d.id for d in decisions]):
        if can_view(user, report) and (staff or report.is_ready):
            by_decision.setdefault(report.decision_id, []).append(report)
    items = [{"decision": d, "reports": by_decision.get(d.id, [])} for d in decisions]
    if not staff:
        items = [item for item in items if item["reports"]]
    return {"decisions": items, "can_generate": staff and user.has_role(*GENERATORS)}


def latest_ready(decision: Decision, variant: ReportVariant) -> Report | None:
    return db.session.execute(
        sa.select(Report)
        .where(
            Report.decision_id == decision.id,
            Report.variant == variant,
            Report.status == ReportStatus.READY,
        )
        .order_by(Report.revision.desc())
        .limit(1)
    ).scalar()


def newer_revision(report: Report) -> Report | None:
    """The latest rendered revision of ``report``'s decision and variant, if later than it
    (a condition verified or followed up since, or the report regenerated)."""
    latest = latest_ready(report.decision, report.variant)
    return latest if latest is not None and latest.revision > report.revision else None


def current_decision_report(report: Report) -> Report | None:
    """When ``report``'s decision was superseded (overturned on appeal), the latest rendered
    report, same variant, of the newest decision on the dossier; None otherwise."""
    if report.decision.superseded_at is None:
        return None
    return db.session.execute(
        sa.select(Report)
        .join(Decision, Decision.id == Report.decision_id)
        .where(
            Report.dossier_id == report.dossier_id,
            Report.variant == report.variant,
            Report.status == ReportStatus.READY,
            Decision.superseded_at.is_(None),
        )
        .order_by(Decision.decided_at.desc(), Decision.id.desc(), Report.revision.desc())
        .limit(1)
    ).scalar()


def by_file(data: bytes) -> Report | None:
    """The issued (rendered) report that is byte for byte ``data``, if any."""
    if not data:
        raise InvalidInput("Choose the PDF file to check.")
    digest = hashlib.sha256(data).hexdigest()
    return db.session.execute(
        sa.select(Report).where(Report.sha256 == digest, Report.status == ReportStatus.READY)
    ).scalar()


def by_code(code: str) -> Report | None:
    return db.session.execute(sa.select(Report).where(Report.code == normalise_code(code))).scalar()


def listing_record(report: Report, today) -> dict | None:
    """The public record of the report's microcredential today, as the catalogue answers
    it (``signals.report_listing_asked``: reports never import the catalogue)."""
    for _receiver, answer in signals.report_listing_asked.send(report, today=today):
        if answer:
            return answer
    return None


def can_view(user, report: Report) -> bool:
    """Who may see a report (its page, status and file). Internal: QA staff only. Public:
    QA staff and the provider's members, and everyone once it is published (``is_public``);
    never the reviewers or other providers before that."""
    staff = bool(user and user.is_authenticated and user.is_staff)
    if staff:
        return True
    if _hears_the_appeal(user, report):
        return True
    if report.variant != ReportVariant.PUBLIC:
        return False
    if user and user.is_authenticated and report.dossier.is_member(user):
        return True
    return is_public(report)


def _hears_the_appeal(user, report: Report) -> bool:
    """Appeals-committee members see both variants of the reports of an appealed decision."""
    return bool(
        user
        and user.is_authenticated
        and user.has_role(Role.APPEALS_COMMITTEE)
        and report.decision.appeals
    )


def can_download(user, report: Report) -> bool:
    return report.is_ready and can_view(user, report)


def is_published_outcome(decision: Decision, published: set[str] | None = None) -> bool:
    """A reviewed outcome other than an approval that the policy publishes as soon as its
    report is issued (ESG 2.6: every outcome; ``reviews.methodology``)."""
    if published is None:
        published = methodology.published_outcomes()
    return not decision.outcome.is_approval and decision.outcome.value in published


def is_public(report: Report) -> bool:
    """A public report is public when the policy publishes its outcome (revise and
    resubmit, rejected: by default), or — approvals — once its microcredential is in the
    catalogue (the catalogue decides, asked through ``report_publication_asked``)."""
    if report.variant != ReportVariant.PUBLIC:
        return False
    return is_published_outcome(report.decision) or signals.any_receiver_says(
        signals.report_publication_asked, report
    )


def verify_bytes(report: Report, data: bytes) -> bool:
    """Is ``data`` byte for byte the genuine report?"""
    if not report.is_ready:
        raise InvalidInput("This report has not been issued yet.")
    if not data:
        raise InvalidInput("Choose the PDF file to check.")
    return hashlib.sha256(data).hexdigest() == report.sha256


def read(report: Report) -> bytes:
    return storage.read_bytes(report.stored_name, kind="reports")
