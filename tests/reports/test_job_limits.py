"""The rendering runs in a process of its own, with a time and a memory limit: past one, it
is stopped and the report says why, in words the officer can act on; "Try again" renders
it once the limit allows. (The limits themselves: tests/jobs/test_isolation.py.)"""

from __future__ import annotations

from qa_portal.core import job_queue
from qa_portal.core.db import commit
from qa_portal.core.job_queue import JobState
from qa_portal.extensions import db
from qa_portal.reports import operations as reports
from qa_portal.reports.models import ReportStatus, ReportVariant


def test_a_report_past_its_time_limit_fails_with_the_reason_the_officer_reads(
    app, client, login, decided, people, monkeypatch
):
    monkeypatch.setitem(app.config, "JOBS_INLINE", False)
    monkeypatch.setitem(app.config, "REPORT_TIME_LIMIT", 0.05)
    _, decision = decided
    report = reports.request_report(people.officer, decision, ReportVariant.PUBLIC)
    commit()  # outside a request: rendered here, in a child process, after the commit
    db.session.expire_all()
    assert report.status == ReportStatus.FAILED
    assert "time limit of 0.05 seconds" in report.error
    html = login(client, people.officer).get(f"/reports/{report.id}").get_data(as_text=True)
    assert "Rendering failed: Rendering took longer than the time limit of 0.05 seconds" in html
    assert "Try again" in html

    monkeypatch.setitem(app.config, "REPORT_TIME_LIMIT", 300)
    monkeypatch.setitem(app.config, "JOBS_INLINE", True)  # (a request would start a process)
    assert client.post(f"/reports/{report.id}/retry").status_code == 302
    db.session.expire_all()
    assert report.status == ReportStatus.READY and report.error == ""


def test_a_report_rendered_in_a_child_is_stored_once(app, decided, people, monkeypatch):
    monkeypatch.setitem(app.config, "JOBS_INLINE", False)
    _, decision = decided
    report = reports.request_report(people.officer, decision, ReportVariant.INTERNAL)
    commit()
    db.session.expire_all()
    assert report.status == ReportStatus.READY and reports.read(report).startswith(b"%PDF")
    job = job_queue.latest_for(reports.job_key(report))
    assert (job.state, job.attempts) == (JobState.DONE, 1)
