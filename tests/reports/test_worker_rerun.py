"""A Celery re-run of a rendering whose worker died (``task_reject_on_worker_lost``) renders
the report: it waits for the dead runner's lease to expire, then claims the job; it never
"succeeds" without rendering, nor renders beside a live runner."""

from __future__ import annotations

from datetime import timedelta

import pytest
from celery.exceptions import Retry

from qa_portal.core import job_queue, jobs
from qa_portal.core.db import commit
from qa_portal.core.models import utcnow
from qa_portal.extensions import celery, db
from qa_portal.reports import operations as reports
from qa_portal.reports.models import ReportStatus, ReportVariant


def test_a_rerun_after_a_worker_was_lost_renders(decided, people, monkeypatch):
    _, decision = decided
    report = reports.request_report(people.officer, decision, ReportVariant.PUBLIC, dispatch=False)
    job = job_queue.enqueue(reports.RENDER_JOB, key=reports.job_key(report), report_id=report.id)
    commit()
    assert job_queue.claim(job.id) is not None  # the worker that died held it
    monkeypatch.setattr(celery.conf, "task_always_eager", False)  # as in a worker
    countdowns = []

    def retry(countdown=None, **options):
        countdowns.append(countdown)
        return Retry()

    monkeypatch.setattr(jobs.run_job, "retry", retry)

    with pytest.raises(Retry):  # not now: its lease may still belong to a live runner
        jobs.run_job(job.id)
    assert countdowns == [job_queue.lease_seconds() + 1]  # tried again once it has expired
    db.session.commit()  # a new snapshot
    db.session.expire_all()
    assert report.status == ReportStatus.QUEUED

    moved = utcnow() + timedelta(seconds=job_queue.lease_seconds() + 1)
    monkeypatch.setattr(job_queue, "utcnow", lambda: moved)
    assert jobs.run_job(job.id) == "done"
    db.session.commit()  # a new snapshot
    db.session.expire_all()
    assert report.status == ReportStatus.READY and reports.read(report).startswith(b"%PDF")
    assert jobs.run_job(job.id) == "skipped"  # a third delivery: nothing
