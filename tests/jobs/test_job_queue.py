"""The durable job table: one unfinished job per key, claims under a lease, retries with a
growing delay, the sweep's choice of due jobs, and the QA body's "Try again"."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from qa_portal.core import job_queue
from qa_portal.core.db import commit
from qa_portal.core.job_queue import Job, JobState
from qa_portal.core.models import utcnow
from qa_portal.extensions import db


@pytest.fixture
def later(monkeypatch):
    """Move the job table's clock forward by ``seconds``."""

    def move(seconds: float) -> None:
        moved = utcnow() + timedelta(seconds=seconds)
        monkeypatch.setattr(job_queue, "utcnow", lambda: moved)

    return move


def fresh(job_id: int) -> Job:
    db.session.expire_all()
    return db.session.get(Job, job_id)


def test_the_job_is_recorded_with_its_cause_and_gone_with_its_rollback():
    job = job_queue.enqueue("report.render", key="report:1", report_id=1)
    job_id = job.id
    db.session.rollback()
    assert db.session.get(Job, job_id) is None
    job = job_queue.enqueue("report.render", key="report:1", report_id=1)
    commit()
    assert (fresh(job.id).state, fresh(job.id).arguments) == (JobState.PENDING, {"report_id": 1})


def test_one_unfinished_job_per_key():
    first = job_queue.enqueue("report.render", key="report:1", report_id=1)
    again = job_queue.enqueue("report.render", key="report:1", report_id=1)
    other = job_queue.enqueue("report.render", key="report:2", report_id=2)
    commit()
    assert again.id == first.id and other.id != first.id
    # the database refuses a second unfinished job for the key, however it is written
    db.session.add(Job(task="report.render", key="report:1", payload="{}"))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    db.session.rollback()
    # a finished job does not count: its key may be queued again
    claim = job_queue.claim(first.id)
    job_queue.finish(claim)
    assert job_queue.enqueue("report.render", key="report:1", report_id=1).id != first.id


def test_a_claim_is_exclusive_until_its_lease_expires(later):
    job = job_queue.enqueue("report.render", key="report:1", report_id=1)
    commit()
    claim = job_queue.claim(job.id)
    assert claim is not None and claim.attempt == 1 and claim.payload == {"report_id": 1}
    assert job_queue.claim(job.id) is None  # held
    assert fresh(job.id).lease_is_live()
    assert job_queue.renew(claim)
    later(job_queue.lease_seconds() + 1)
    assert job_queue.due_job_ids() == [job.id]  # its runner is taken to have died
    second = job_queue.claim(job.id)
    assert second is not None and second.attempt == 2 and second.token != claim.token
    # the first runner, had it survived, can no longer renew nor finish the job
    assert not job_queue.renew(claim)
    job_queue.finish(claim)
    assert fresh(job.id).state == JobState.RUNNING
    job_queue.finish(second)
    assert fresh(job.id).state == JobState.DONE and job_queue.claim(job.id) is None


def test_a_failure_is_retried_later_then_given_up(later):
    job = job_queue.enqueue("report.render", key="report:1", report_id=1)
    commit()
    delays = []
    for attempt in (1, 2):
        claim = job_queue.claim(job.id)
        assert claim.attempt == attempt
        assert job_queue.record_failure(claim, f"boom {attempt}", final=False)
        row = fresh(job.id)
        assert (row.state, row.last_error, row.dispatched_at) == (
            JobState.PENDING,
            f"boom {attempt}",
            None,
        )
        assert job_queue.claim(job.id) is None  # not before its time
        delays.append((row.available_at - job_queue.utcnow()).total_seconds())
        later(sum(delays) + attempt)
    assert 25 < delays[0] < 35 and 55 < delays[1] < 65  # 30 s, then 60 s
    claim = job_queue.claim(job.id)
    assert not job_queue.record_failure(claim, "boom 3", final=False)  # attempts spent
    assert fresh(job.id).state == JobState.FAILED and fresh(job.id).finished_at is not None
    # asked again (the QA body's "Try again"): pending, due, a fresh count of attempts
    job_queue.requeue(fresh(job.id))
    commit()
    row = fresh(job.id)
    assert (row.state, row.attempts, row.last_error) == (JobState.PENDING, 0, "")
    assert job_queue.claim(job.id) is not None


def test_a_final_failure_is_not_retried():
    job = job_queue.enqueue("report.render", key="report:1", report_id=1)
    commit()
    claim = job_queue.claim(job.id)
    assert not job_queue.record_failure(claim, "time limit", final=True)
    assert fresh(job.id).state == JobState.FAILED


def test_the_sweep_takes_undispatched_lost_and_abandoned_jobs(later):
    dispatched = job_queue.enqueue("report.render", key="report:1", report_id=1)
    undispatched = job_queue.enqueue("report.render", key="report:2", report_id=2)
    running = job_queue.enqueue("report.render", key="report:3", report_id=3)
    commit()
    job_queue.mark_dispatched([undispatched.id], dispatched=False)  # the broker was down
    claim = job_queue.claim(running.id)
    assert job_queue.due_job_ids() == [undispatched.id]
    later(job_queue.lease_seconds() + 1)  # the runner died
    assert sorted(job_queue.due_job_ids()) == [undispatched.id, running.id]
    later(job_queue.DISPATCH_GRACE.total_seconds() + 1)  # the broker lost the first one
    assert sorted(job_queue.due_job_ids()) == [dispatched.id, undispatched.id, running.id]
    job_queue.finish(claim)  # late, but nobody took it over: its work counts
    assert running.id not in job_queue.due_job_ids()
    assert fresh(running.id).state == JobState.DONE
