"""The beat sweep (``qa_portal.sweep_jobs``) hands the workers every job that is due — never
dispatched, dispatched so long ago that the broker lost it, or left by a runner that
died — once per minute at most: what it sent is not due again until the grace has passed;
what the broker refused stays due."""

from __future__ import annotations

from datetime import timedelta

import pytest

from qa_portal.core import job_queue, jobs
from qa_portal.core.db import commit
from qa_portal.core.job_queue import Job
from qa_portal.core.models import utcnow
from qa_portal.extensions import celery, db


@pytest.fixture
def broker(monkeypatch):
    """The run_job task's ``delay``: records what it is given, or refuses like a broker
    that is down."""
    sent: list[int] = []
    state = {"down": False}

    def delay(job_id):
        if state["down"]:
            raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
        sent.append(job_id)

    monkeypatch.setattr(celery.tasks["qa_portal.run_job"], "delay", delay)
    return sent, state


def fresh(job_id: int) -> Job:
    db.session.commit()
    db.session.expire_all()
    return db.session.get(Job, job_id)


def test_the_sweep_sends_due_jobs_once_and_keeps_refused_ones(broker, monkeypatch):
    sent, state = broker
    lost = job_queue.enqueue("report.render", key="report:1", report_id=1)
    never = job_queue.enqueue("report.render", key="report:2", report_id=2)
    waiting = job_queue.enqueue("report.render", key="report:3", report_id=3)
    commit()
    job_queue.mark_dispatched([never.id], dispatched=False)
    later = utcnow() + job_queue.DISPATCH_GRACE + timedelta(seconds=1)
    db.session.execute(
        db.update(Job)
        .where(Job.id == lost.id)
        .values(dispatched_at=utcnow() - job_queue.DISPATCH_GRACE - timedelta(seconds=1))
    )
    commit()

    assert jobs.sweep_jobs() == 2
    assert sorted(sent) == sorted([lost.id, never.id])  # the recently dispatched one waits
    assert fresh(never.id).dispatched_at is not None
    assert jobs.sweep_jobs() == 0 and len(sent) == 2  # sent a minute ago: not again

    state["down"] = True
    monkeypatch.setattr(job_queue, "utcnow", lambda: later)  # all three look lost now
    assert jobs.sweep_jobs() == 0
    assert {fresh(j.id).dispatched_at for j in (lost, never, waiting)} == {None}
    state["down"] = False
    assert jobs.sweep_jobs() == 3
