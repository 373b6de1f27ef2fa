"""Durable background jobs: recorded with their cause, dispatched after the commit, never lost.

A job is a row of ``background_job`` written in the same transaction as the change that
needs it (a decision queues the rendering of its reports), so a job exists exactly when its
cause was committed. After the commit it is dispatched (``core.job_runner``): to a Celery
worker through the broker; without a broker, to a separate process started after the
response (in a request) or run at once (a command).

Whoever runs a job first *claims* it with a conditional ``UPDATE`` that takes a lease; the
runner renews the lease while the job runs. A job whose lease expired (its runner was
killed) or that was never dispatched (the broker was down) is *due*: the sweep runs or
re-dispatches it (every minute on Celery beat; ``flask jobs run`` from cron without a
broker). So a job runs at least once, and the work of one key (one report) never runs twice
at the same time: at most one unfinished job per key (a partial unique index), one lease
per job. The e-mail outbox (``core.mail``) follows the same pattern with its own table.

The job's states and what moves it (``TRANSITIONS``; the runner is the only actor):

    pending ──claim──▶ running ──finish──▶ done
                          │ ──retry (an error, attempts left)──▶ pending, later
                          │ ──give_up (attempts spent, or a limit exceeded)──▶ failed
    running ──claim (lease expired: the runner died)──▶ running
    failed  ──requeue (asked again: the QA body's "Try again")──▶ pending
"""

from __future__ import annotations

import enum
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Mapped, mapped_column

from qa_portal.core.models import Base, enum_column, utcnow
from qa_portal.extensions import db


class JobState(enum.StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


UNFINISHED = (JobState.PENDING, JobState.RUNNING)

# action: (from states, to state). "claim" from RUNNING only once the lease has expired.
TRANSITIONS: dict[str, tuple[tuple[JobState, ...], JobState]] = {
    "claim": ((JobState.PENDING, JobState.RUNNING), JobState.RUNNING),
    "finish": ((JobState.RUNNING,), JobState.DONE),
    "retry": ((JobState.RUNNING,), JobState.PENDING),
    "give_up": ((JobState.RUNNING,), JobState.FAILED),
    "requeue": ((JobState.FAILED,), JobState.PENDING),
}

DEFAULT_MAX_ATTEMPTS = 3
# A dispatched job still pending after this long is taken to be lost (a broker that dropped
# it, a process that never started) and is dispatched again by the sweep.
DISPATCH_GRACE = timedelta(minutes=5)


class Job(Base):
    __tablename__ = "background_job"

    id: Mapped[int] = mapped_column(primary_key=True)
    task: Mapped[str] = mapped_column(sa.String(80), nullable=False)
    # What the job works on ("report:42"): one unfinished job per key at a time.
    key: Mapped[str | None] = mapped_column(sa.String(120), nullable=True, index=True)
    payload: Mapped[str] = mapped_column(sa.Text, nullable=False, default="{}")
    state: Mapped[JobState] = mapped_column(
        enum_column(JobState), nullable=False, default=JobState.PENDING
    )
    attempts: Mapped[int] = mapped_column(nullable=False, default=0)
    max_attempts: Mapped[int] = mapped_column(nullable=False, default=DEFAULT_MAX_ATTEMPTS)
    created_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)
    available_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)
    dispatched_at: Mapped[datetime | None] = mapped_column(nullable=True)
    lease_token: Mapped[str | None] = mapped_column(sa.String(32), nullable=True)
    lease_expires_at: Mapped[datetime | None] = mapped_column(nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(nullable=True)
    last_error: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")

    __table_args__ = (
        sa.Index(
            "uq_background_job_unfinished_key",
            "key",
            unique=True,
            sqlite_where=sa.text("state IN ('pending', 'running')"),
            postgresql_where=sa.text("state IN ('pending', 'running')"),
        ),
        sa.Index("ix_background_job_due", "state", "available_at"),
    )

    @property
    def arguments(self) -> dict[str, Any]:
        return json.loads(self.payload)

    @property
    def is_unfinished(self) -> bool:
        return self.state in UNFINISHED

    def lease_is_live(self, now: datetime | None = None) -> bool:
        return (
            self.state == JobState.RUNNING
            and self.lease_expires_at is not None
            and self.lease_expires_at > (now or utcnow())
        )


def lease_seconds() -> float:
    return float(current_app.config.get("JOB_LEASE_SECONDS") or 60)


# -- queueing ------------------------------------------------------------------------------
def enqueue(task: str, *, key: str | None = None, **payload: Any) -> Job:
    """Record a job in the current transaction (dispatched by the caller after the commit).

    With ``key``, an unfinished job for the same key is reused instead: a pending one is made
    due now; a running one is returned as it is (the caller may tell the user). A failed
    one stays failed (its history) and a new job is recorded."""
    if key is not None:
        existing = unfinished_for(key)
        if existing is not None:
            if existing.state == JobState.PENDING:
                _update(existing, values={"available_at": utcnow(), "dispatched_at": utcnow()})
            return existing
    job = Job(
        task=task,
        key=key,
        payload=json.dumps(payload, sort_keys=True),
        dispatched_at=utcnow(),
    )
    db.session.add(job)
    db.session.flush()
    return job


def unfinished_for(key: str) -> Job | None:
    return db.session.execute(
        sa.select(Job).where(Job.key == key, Job.state.in_(UNFINISHED))
    ).scalar()


def latest_for(key: str) -> Job | None:
    return db.session.execute(
        sa.select(Job).where(Job.key == key).order_by(Job.id.desc()).limit(1)
    ).scalar()


def requeue(job: Job) -> None:
    """A failed job, asked for again: pending and due now, with a fresh count of attempts."""
    _transition(
        job.id,
        "requeue",
        attempts=0,
        available_at=utcnow(),
        dispatched_at=utcnow(),
        last_error="",
        finished_at=None,
    )


# -- running (the runner's side) -----------------------------------------------------------
@dataclass(frozen=True)
class Claim:
    job_id: int
    task: str
    payload: dict[str, Any]
    token: str
    attempt: int
    max_attempts: int


def claim(job_id: int, *, lease: float | None = None) -> Claim | None:
    """Take the job if it is due: pending and available, or running with an expired lease.
    Commits. ``None``: not due (done, failed, running elsewhere, or waiting for its retry)."""
    now = utcnow()
    token = secrets.token_hex(16)
    sources, target = TRANSITIONS["claim"]
    result = db.session.execute(
        sa.update(Job)
        .where(
            Job.id == job_id,
            sa.or_(
                sa.and_(Job.state == sources[0], Job.available_at <= now),
                sa.and_(Job.state == sources[1], Job.lease_expires_at < now),
            ),
        )
        .values(
            state=target,
            lease_token=token,
            lease_expires_at=now + timedelta(seconds=lease or lease_seconds()),
            attempts=Job.attempts + 1,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if result.rowcount != 1:
        return None
    job = db.session.get(Job, job_id, populate_existing=True)
    db.session.commit()
    return Claim(job.id, job.task, job.arguments, token, job.attempts, job.max_attempts)


def renew(claim_: Claim, *, lease: float | None = None) -> bool:
    """Extend the lease of a job still held; ``False`` if it was taken from us. Commits."""
    result = db.session.execute(
        sa.update(Job)
        .where(Job.id == claim_.job_id, Job.lease_token == claim_.token)
        .where(Job.state == JobState.RUNNING)
        .values(lease_expires_at=utcnow() + timedelta(seconds=lease or lease_seconds()))
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount == 1


def finish(claim_: Claim) -> None:
    _release(claim_, "finish", finished_at=utcnow(), last_error="")


def record_failure(claim_: Claim, error: str, *, final: bool) -> bool:
    """After a failed attempt: pending again after a growing delay while attempts are left
    (and ``final`` is false), else failed for good. Returns whether it will be retried."""
    retry = not final and claim_.attempt < claim_.max_attempts
    if retry:
        delay = timedelta(seconds=30 * 2 ** (claim_.attempt - 1))
        _release(
            claim_,
            "retry",
            available_at=utcnow() + delay,
            dispatched_at=None,
            last_error=error[:2000],
        )
    else:
        _release(claim_, "give_up", finished_at=utcnow(), last_error=error[:2000])
    return retry


def _release(claim_: Claim, action: str, **values: Any) -> None:
    sources, target = TRANSITIONS[action]
    db.session.rollback()
    db.session.execute(
        sa.update(Job)
        .where(Job.id == claim_.job_id, Job.lease_token == claim_.token, Job.state.in_(sources))
        .values(state=target, lease_token=None, lease_expires_at=None, **values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


# -- the sweep -----------------------------------------------------------------------------
def due_job_ids(limit: int = 100) -> list[int]:
    """Jobs nobody is running that should run now: never dispatched (or dispatched so long
    ago that the dispatch was lost) and available, or running under an expired lease."""
    now = utcnow()
    lost_before = now - DISPATCH_GRACE
    return list(
        db.session.execute(
            sa.select(Job.id)
            .where(
                sa.or_(
                    sa.and_(
                        Job.state == JobState.PENDING,
                        Job.available_at <= now,
                        sa.or_(Job.dispatched_at.is_(None), Job.dispatched_at < lost_before),
                    ),
                    sa.and_(Job.state == JobState.RUNNING, Job.lease_expires_at < now),
                )
            )
            .order_by(Job.available_at, Job.id)
            .limit(limit)
        ).scalars()
    )


def mark_dispatched(job_ids: list[int], *, dispatched: bool = True) -> None:
    """Record that the jobs were handed to the broker (or, ``dispatched=False``, that the
    hand-over failed, so the next sweep takes them at once). Commits."""
    if not job_ids:
        return
    db.session.execute(
        sa.update(Job)
        .where(Job.id.in_(job_ids), Job.state == JobState.PENDING)
        .values(dispatched_at=utcnow() if dispatched else None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def _transition(job_id: int, action: str, **values: Any) -> None:
    sources, target = TRANSITIONS[action]
    db.session.flush()
    db.session.execute(
        sa.update(Job)
        .where(Job.id == job_id, Job.state.in_(sources))
        .values(state=target, **values)
        .execution_options(synchronize_session=False)
    )


def _update(job: Job, *, values: dict[str, Any]) -> None:
    for name, value in values.items():
        setattr(job, name, value)
    db.session.flush()
