"""The report status table (``reports/workflow.py``): the rendering job's claim, the stored
rendering, a failure and the QA body's retry are its transitions. The claim is one
conditional UPDATE: of two jobs for the same report only one renders it. The job's own
bookkeeping (claim, failure) leaves no audit entry, as before; a retry and a rendering do."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from qa_portal.core import job_queue
from qa_portal.core.audit import entries_for
from qa_portal.core.db import commit
from qa_portal.core.errors import NotPermitted, TransitionNotAllowed
from qa_portal.core.states import SYSTEM
from qa_portal.extensions import db
from qa_portal.reports import operations as reports
from qa_portal.reports.models import Report, ReportStatus, ReportVariant
from qa_portal.reports.workflow import REPORT_MACHINE
from tests.helpers import end_transaction_keeping_loaded
from tests.reports.helpers import hold_jobs
from tests.state_tables import assert_every_pair_is_enforced, table

R = ReportStatus


def test_the_report_table():
    assert table(REPORT_MACHINE) == {
        "start": ({"queued", "failed"}, "rendering", ("system",)),
        "resume": ({"rendering"}, "rendering", ("system",)),
        "render": ({"rendering"}, "ready", ("system",)),
        "fail": ({"queued", "rendering"}, "failed", ("system",)),
        "retry": ({"failed", "rendering"}, "queued", ("qa_officer", "qa_admin")),
    }
    assert_every_pair_is_enforced(REPORT_MACHINE, ReportStatus)


def queued(people, decision) -> Report:
    """A queued report whose job has not run."""
    report = reports.request_report(people.officer, decision, ReportVariant.PUBLIC, dispatch=False)
    commit()
    return report


def actions(report) -> list[str]:
    return [e.action for e in entries_for(report)]


@pytest.fixture
def render_calls(monkeypatch):
    """The PDFs rendered (by any thread), rendering them for real."""
    calls = []
    real = reports.render_pdf

    def counting(*args, **kwargs):
        calls.append(threading.get_ident())
        return real(*args, **kwargs)

    monkeypatch.setattr(reports, "render_pdf", counting)
    return calls


def test_a_failure_and_a_retry(decided, people, monkeypatch):
    _, decision = decided
    report = queued(people, decision)
    real_render_pdf = reports.render_pdf

    def broken(*args, **kwargs):
        raise OSError("font file unreadable")

    monkeypatch.setattr(reports, "render_pdf", broken)
    with pytest.raises(OSError):
        reports.render(report.id)
    monkeypatch.setattr(reports, "render_pdf", real_render_pdf)
    db.session.expire_all()
    assert (report.status, report.error) == (R.FAILED, "OSError: font file unreadable")
    assert actions(report) == ["report.request"]  # the claim and the failure: no entries

    with pytest.raises(NotPermitted):
        reports.retry_report(people.provider_a, report)
    with pytest.raises(NotPermitted):  # the table names the QA body's roles only
        REPORT_MACHINE.fire(report, "retry", actor=people.provider_a, role="provider")
    reports.retry_report(people.admin, report)  # QA admins too, not only officers
    assert (report.status, report.error) == (R.QUEUED, "")
    db.session.rollback()  # (and its job with it)
    db.session.expire_all()
    assert report.status == R.FAILED

    hold_jobs(monkeypatch)  # the job runs below
    reports.retry_report(people.officer, report)
    commit()
    with pytest.raises(TransitionNotAllowed, match="failed"):  # a second click
        reports.retry_report(people.officer, report)
    db.session.rollback()

    rendered = reports.render(report.id)
    assert rendered.status == R.READY and rendered.error == "" and rendered.sha256
    assert actions(report) == ["report.request", "report.retry", "report.render"]
    retry = entries_for(report)[1]
    assert retry.payload == {"revision": 1} and retry.actor_id == people.officer.id


def test_a_job_for_a_report_already_claimed_does_nothing(decided, people, render_calls):
    _, decision = decided
    report = queued(people, decision)
    REPORT_MACHINE.fire(report, "start", actor=None, role=SYSTEM, audited=False)
    commit()
    assert reports.render(report.id).status == R.RENDERING
    assert render_calls == [] and actions(report) == ["report.request"]
    # while a runner holds its job (a live lease), the QA body cannot start it again
    job = job_queue.enqueue(reports.RENDER_JOB, key=reports.job_key(report), report_id=report.id)
    commit()
    assert job_queue.claim(job.id) is not None
    assert not reports.is_stuck(report)
    with pytest.raises(TransitionNotAllowed, match="failed or stopped"):
        reports.retry_report(people.officer, report)


def test_two_jobs_claiming_at_once_render_once(app, decided, people, monkeypatch, render_calls):
    """The other job claims the report between this job's read and its UPDATE: this job's
    conditional UPDATE changes no row, so it leaves the report to the other one."""
    _, decision = decided
    report = queued(people, decision)
    real_fire = REPORT_MACHINE.fire
    claimed_by_other = []

    def other_job_first(obj, action, **kwargs):
        if action == "start" and not claimed_by_other:
            assert obj.status == R.QUEUED  # what this job read
            end_transaction_keeping_loaded()
            with app.app_context():
                other = db.session.get(Report, obj.id)
                real_fire(other, "start", actor=None, role=SYSTEM, audited=False)
                db.session.commit()
                claimed_by_other.append(other.id)
        return real_fire(obj, action, **kwargs)

    monkeypatch.setattr(REPORT_MACHINE, "fire", other_job_first)
    result = reports.render(report.id)
    assert claimed_by_other == [report.id]
    assert result.status == R.RENDERING and render_calls == []
    assert actions(report) == ["report.request"]


@pytest.mark.postgres
def test_two_jobs_racing_on_postgresql_render_once(app, decided, people, render_calls):
    """Two real jobs (threads, each with its own connection) released at the same instant."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("needs PostgreSQL (set DATABASE_URL=postgresql://…)")
    _, decision = decided
    for _ in range(3):  # the interleavings vary
        report_id = queued(people, decision).id
        results = race_render(app, report_id)
        assert all(isinstance(r, ReportStatus) for r in results), results
        db.session.expire_all()
        report = db.session.get(Report, report_id)
        assert report.status == R.READY
        assert actions(report) == ["report.request", "report.render"]
    assert len(render_calls) == 3  # one rendering per report, never two
    assert db.session.execute(sa.select(sa.func.count(Report.id))).scalar() == 3


def race_render(app, report_id: int) -> list[object]:
    """Two jobs render ``report_id`` at the same instant; what each returned or raised."""
    barrier = threading.Barrier(2, timeout=30)
    results: list[object] = [None, None]

    def job(i: int) -> None:
        with app.app_context():
            try:
                barrier.wait()
                results[i] = reports.render(report_id).status
            except BaseException as exc:  # handed to the test
                barrier.abort()
                results[i] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=job, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a job is stuck"
    return results
