"""A job registered as isolated (the report rendering) runs in a child process: past its
time or memory limit the child is killed and the reason recorded for the user; a crash or
an error is retried; the child never shares a database connection with its runner."""

from __future__ import annotations

import os
import signal
import time

import pytest

from qa_portal.core import job_queue, job_runner
from qa_portal.core.db import commit
from qa_portal.core.job_queue import Job, JobState
from qa_portal.extensions import db

FAILURES: list[tuple[dict, str, bool]] = []


def _sleep(seconds: float, marker: str) -> None:
    os.write(os.open(marker, os.O_WRONLY | os.O_CREAT), str(os.getpid()).encode())
    time.sleep(seconds)


def _hog(megabytes: int) -> None:
    block = b"x" * (megabytes * 1024 * 1024)  # written, so resident
    time.sleep(10)
    assert block


def _crash() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _raise() -> None:
    raise ValueError("the template is broken")


def _child_pid(marker: str) -> None:
    with open(marker, "w") as fh:
        fh.write(str(os.getpid()))


@pytest.fixture
def isolated(app, monkeypatch):
    """Register test handlers, isolated, with limits from the config; run outside inline mode."""
    monkeypatch.setitem(app.config, "JOBS_INLINE", False)
    FAILURES.clear()
    for name, function in {
        "test.sleep": _sleep,
        "test.hog": _hog,
        "test.crash": _crash,
        "test.raise": _raise,
        "test.pid": _child_pid,
    }.items():
        monkeypatch.setitem(
            job_runner.HANDLERS,
            name,
            job_runner.Handler(
                name,
                function,
                isolated=True,
                time_limit_key="TEST_TIME_LIMIT",
                memory_limit_key="TEST_MEMORY_LIMIT",
                on_failure=lambda payload, reason, retry: FAILURES.append((payload, reason, retry)),
            ),
        )


def job_for(task: str, **payload) -> int:
    job = job_queue.enqueue(task, **payload)
    commit()
    return job.id


def row(job_id: int) -> Job:
    db.session.expire_all()
    job = db.session.get(Job, job_id)
    db.session.commit()
    return job


def test_the_job_runs_in_another_process(app, isolated, tmp_path):
    marker = tmp_path / "pid"
    assert job_runner.run_apart(job_for("test.pid", marker=str(marker))) == "done"
    assert int(marker.read_text()) != os.getpid()


def test_past_its_time_limit_the_job_is_killed_and_says_why(app, isolated, monkeypatch, tmp_path):
    monkeypatch.setitem(app.config, "TEST_TIME_LIMIT", 0.5)
    marker = tmp_path / "pid"
    job_id = job_for("test.sleep", seconds=60, marker=str(marker))
    started = time.monotonic()
    assert job_runner.run_apart(job_id) == "failed"
    assert time.monotonic() - started < 30
    child = int(marker.read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(child, 0)  # gone, not left running
    job = row(job_id)
    assert job.state == JobState.FAILED and "time limit of 0.5 seconds" in job.last_error
    assert [({"seconds": 60, "marker": str(marker)}, job.last_error, False)] == FAILURES


def test_past_its_memory_limit_the_job_is_killed_and_says_why(app, isolated, monkeypatch):
    # The child starts with the runner's resident pages (forked); the limit allows 100 MB more.
    limit = int(job_runner.resident_megabytes(os.getpid())) + 100
    monkeypatch.setitem(app.config, "TEST_MEMORY_LIMIT", limit)
    job_id = job_for("test.hog", megabytes=400)
    assert job_runner.run_apart(job_id) == "failed"
    job = row(job_id)
    assert job.state == JobState.FAILED
    assert f"memory limit of {limit} MB" in job.last_error
    assert FAILURES[0][2] is False  # not retried: it would fail the same way


def test_an_error_or_a_crash_is_retried(app, isolated):
    raising = job_for("test.raise")
    assert job_runner.run_apart(raising) == "retry"
    assert row(raising).last_error == "ValueError: the template is broken"
    crashing = job_for("test.crash")
    assert job_runner.run_apart(crashing) == "retry"
    assert "ended abruptly (signal 9)" in row(crashing).last_error
    assert [retry for _, _, retry in FAILURES] == [True, True]


def test_a_job_held_by_a_live_runner_is_left_alone(app, isolated, tmp_path):
    job_id = job_for("test.pid", marker=str(tmp_path / "pid"))
    job_queue.claim(job_id)
    assert job_runner.run_apart(job_id) == "busy"
    assert not (tmp_path / "pid").exists()
