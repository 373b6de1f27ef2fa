"""Running the durable jobs of ``core.job_queue``: dispatch, isolation, limits, the sweep.

**Dispatch** (after the commit that recorded the job):
- with a broker (``CELERY_BROKER_URL``): the ``qa_portal.run_job`` task, run by a worker; a
  broker that refuses it leaves the job undispatched for the sweep (Celery beat, every
  minute), never lost;
- without a broker, in a request: a separate process (``flask jobs run --job ID``) started
  once the response has been sent, so a long rendering never holds a request (nor dies
  with a web worker killed for taking too long); it then runs whatever else is due;
- without a broker, outside a request (a command): right here, after the commit;
- ``JOBS_INLINE`` (the test suite): right after the commit, in this process, no isolation.

**Isolation and limits.** A handler registered with ``isolated=True`` (the report
rendering) runs in a child process forked for it, with a time limit and a memory limit
read from the configuration. The runner watches it: it renews the job's lease while the
child works, kills the child past either limit and records the reason (which the handler's
``on_failure`` shows to the user: the report's error). The child dies with its runner
(``PR_SET_PDEATHSIG``), so a killed runner leaves no rendering behind to race the next one.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import after_this_request, current_app, has_request_context

from qa_portal.core import job_queue
from qa_portal.core.db import after_commit, rollback_quietly
from qa_portal.extensions import celery, db


@dataclass(frozen=True)
class Handler:
    task: str
    function: Callable[..., Any]
    isolated: bool = False
    time_limit_key: str | None = None
    memory_limit_key: str | None = None
    # Called in the runner with (payload, reason, will_retry) after a failed attempt.
    on_failure: Callable[[dict[str, Any], str, bool], None] | None = None


HANDLERS: dict[str, Handler] = {}


def job_handler(
    task: str,
    *,
    isolated: bool = False,
    time_limit_key: str | None = None,
    memory_limit_key: str | None = None,
    on_failure: Callable[[dict[str, Any], str, bool], None] | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register the function that runs jobs of ``task`` (called with the job's payload)."""

    def register(function: Callable[..., Any]) -> Callable[..., Any]:
        HANDLERS[task] = Handler(
            task, function, isolated, time_limit_key, memory_limit_key, on_failure
        )
        return function

    return register


def submit(task: str, *, key: str | None = None, **payload: Any) -> job_queue.Job:
    """Record a job in the current transaction; it is dispatched once the transaction
    commits (never if it rolls back)."""
    if task not in HANDLERS:
        raise ValueError(f"no handler for job {task!r}")
    job = job_queue.enqueue(task, key=key, **payload)
    job_id = job.id
    after_commit(lambda: dispatch(job_id))
    return job


# -- dispatch -------------------------------------------------------------------------------
def dispatch(job_id: int) -> None:
    config = current_app.config
    if config.get("CELERY_BROKER_URL") and not config.get("JOBS_INLINE"):
        send_to_broker([job_id])
    elif has_request_context() and not config.get("JOBS_INLINE"):
        project = Path(current_app.root_path).parent
        _after_the_response(lambda: spawn(job_id, project))
    else:
        run_apart(job_id)


def run_apart(job_id: int) -> str:
    """Run a job here, in an application context (a database session) of its own."""
    with current_app._get_current_object().app_context():
        return run(job_id)


def send_to_broker(job_ids: list[int], *, record_sent: bool = False) -> int:
    """Hand jobs to the worker; those the broker refuses are marked undispatched, for the
    sweep. A new job was recorded as dispatched already; the sweep (``record_sent``) marks
    the ones it sends again, so that it does not send them every minute."""
    sent: list[int] = []
    failed: list[int] = []
    for job_id in job_ids:
        try:
            celery.tasks["qa_portal.run_job"].delay(job_id)  # defined in core/jobs.py
            sent.append(job_id)
        except Exception as exc:  # the broker is down: the sweep dispatches it again
            current_app.logger.warning("job %s not dispatched, left for the sweep: %s", job_id, exc)
            failed.append(job_id)
    try:
        if record_sent:
            job_queue.mark_dispatched(sent)
        job_queue.mark_dispatched(failed, dispatched=False)
    except Exception:  # the database is down too: DISPATCH_GRACE covers it
        rollback_quietly()
        current_app.logger.exception("could not record the dispatch of jobs %s", job_ids)
    return len(sent)


def _after_the_response(callback: Callable[[], None]) -> None:
    @after_this_request
    def _on_close(response):
        response.call_on_close(callback)
        return response


def spawn(job_id: int, cwd: Path) -> subprocess.Popen:
    """Start ``flask jobs run --job ID`` as a process of its own (its own session, so that
    stopping the web server does not stop it). It reads the same configuration as this one
    (the environment and the instance folder). Runs after the response: no app context."""
    command = [sys.executable, "-m", "flask", "--app", "qa_portal", "jobs", "run"]
    return subprocess.Popen(  # noqa: S603  (this interpreter, fixed arguments, a job id)
        [*command, "--job", str(job_id)],
        cwd=str(cwd),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        start_new_session=True,
        close_fds=True,
    )


# -- running one job ------------------------------------------------------------------------
def run(job_id: int) -> str:
    """Claim and run one job. Returns ``done``, ``retry`` (failed, will run again),
    ``failed`` (for good), ``busy`` (another runner holds it) or ``skipped`` (not due)."""
    claim = job_queue.claim(job_id)
    if claim is None:
        job = db.session.get(job_queue.Job, job_id)
        busy = job is not None and job.lease_is_live()
        db.session.commit()
        return "busy" if busy else "skipped"
    handler = HANDLERS.get(claim.task)
    if handler is None:
        job_queue.record_failure(claim, f"No handler for the job {claim.task!r}.", final=True)
        return "failed"
    if handler.isolated and not current_app.config.get("JOBS_INLINE"):
        error, final = _run_in_child(handler, claim)
    else:
        error, final = _run_here(handler, claim)
    if error is None:
        job_queue.finish(claim)
        return "done"
    retry = job_queue.record_failure(claim, error, final=final)
    if handler.on_failure is not None:
        try:
            handler.on_failure(claim.payload, error, retry)
            db.session.commit()
        except Exception:
            rollback_quietly()
            current_app.logger.exception("recording the failure of job %s failed", job_id)
    return "retry" if retry else "failed"


def _run_here(handler: Handler, claim: job_queue.Claim) -> tuple[str | None, bool]:
    try:
        handler.function(**claim.payload)
        db.session.commit()
    except Exception as exc:
        rollback_quietly()
        current_app.logger.exception("job %s (%s) failed", claim.job_id, claim.task)
        return f"{type(exc).__name__}: {exc}", False
    return None, False


def limits_of(handler: Handler) -> tuple[float | None, int | None]:
    """The handler's time limit (seconds) and memory limit (MB) from the configuration."""
    config = current_app.config
    seconds = config.get(handler.time_limit_key) if handler.time_limit_key else None
    megabytes = config.get(handler.memory_limit_key) if handler.memory_limit_key else None
    return (float(seconds) if seconds else None), (int(megabytes) if megabytes else None)


def _run_in_child(handler: Handler, claim: job_queue.Claim) -> tuple[str | None, bool]:
    """Fork a child for the job, watch it, enforce the limits. (error or None, final)."""
    seconds, megabytes = limits_of(handler)
    db.session.remove()  # the runner's transaction is over; the child opens its own
    reader, writer = os.pipe()
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:  # the child
        os.close(reader)
        _child(handler, claim, writer, parent)
    os.close(writer)
    try:
        error, final = _watch(pid, claim, seconds, megabytes)
        message = _read_all(reader)
    finally:
        os.close(reader)
    if error == "":  # the child failed and said why
        error = message or "The job failed."
    return error, final


def _child(handler: Handler, claim: job_queue.Claim, writer: int, parent: int) -> None:
    """In the forked child: run the handler with fresh connections; never returns."""
    code = 0
    try:
        _die_with(parent)
        # The runner's connections (pooled or in use) stay the runner's: dropped from this
        # process's pool without being closed (SQLAlchemy's advice for a fork).
        db.engine.dispose(close=False)
        with current_app.app_context():
            try:
                handler.function(**claim.payload)
                db.session.commit()
            except MemoryError:
                code = 3
            except BaseException as exc:
                code = 1
                os.write(writer, f"{type(exc).__name__}: {exc}"[:2000].encode())
                traceback.print_exc()
    except BaseException:
        code = 1
        traceback.print_exc()
    finally:
        os._exit(code)


def _die_with(parent: int) -> None:
    """Linux: the kernel kills this child when its runner dies (no orphaned rendering)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the lease still protects the job
        pass
    if os.getppid() != parent:  # the runner died before the call
        os._exit(1)


def _watch(
    pid: int, claim: job_queue.Claim, seconds: float | None, megabytes: int | None
) -> tuple[str | None, bool]:
    started = time.monotonic()
    renew_every = job_queue.lease_seconds() / 3
    renewed = started
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return _outcome(status, megabytes)
        now = time.monotonic()
        if seconds is not None and now - started > seconds:
            _kill(pid)
            return (
                f"Rendering took longer than the time limit of {seconds:g} seconds and was "
                "stopped. The report may be too long; ask the administrator to raise the "
                "limit, or shorten the texts it reports.",
                True,
            )
        if megabytes is not None and resident_megabytes(pid) > megabytes:
            _kill(pid)
            return (
                f"Rendering needed more than the memory limit of {megabytes} MB and was "
                "stopped. The report may be too long; ask the administrator to raise the "
                "limit, or shorten the texts it reports.",
                True,
            )
        if now - renewed > renew_every:
            job_queue.renew(claim)
            renewed = now
        time.sleep(0.05)


def _outcome(status: int, megabytes: int | None) -> tuple[str | None, bool]:
    if os.WIFEXITED(status):
        code = os.WEXITSTATUS(status)
        if code == 0:
            return None, False
        if code == 3:
            return f"Rendering ran out of memory (limit {megabytes} MB).", True
        return "", False  # the child wrote its error to the pipe
    return f"The rendering process ended abruptly (signal {os.WTERMSIG(status)}).", False


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)


def resident_megabytes(pid: int) -> float:
    """The process's resident memory in MB (Linux ``/proc``; 0 where unavailable)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _read_all(fd: int) -> str:
    chunks = []
    while chunk := os.read(fd, 4096):
        chunks.append(chunk)
    return b"".join(chunks).decode(errors="replace")


# -- the sweep -------------------------------------------------------------------------------
def run_due(limit: int = 100) -> dict[str, int]:
    """Run every due job here, one after the other (``flask jobs run``; without a broker)."""
    counts: dict[str, int] = {}
    for job_id in job_queue.due_job_ids(limit):
        outcome = run(job_id)
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts


def redispatch_due(limit: int = 500) -> int:
    """Hand every due job to the broker again (the beat sweep)."""
    return send_to_broker(job_queue.due_job_ids(limit), record_sent=True)
