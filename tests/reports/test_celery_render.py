"""With a broker, a report is rendered by a Celery worker (a real one, on Redis): the
request records the job and hands it over after the commit; the worker claims it, renders
in a child process within the limits, and the report is ready. Runs with ``-m celery`` and
``CELERY_BROKER_URL=redis://…`` (CI's worker step)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from qa_portal.core import job_queue
from qa_portal.core.job_queue import JobState
from qa_portal.core.jobs import init_celery
from qa_portal.extensions import celery, db
from qa_portal.reports import operations as reports
from qa_portal.reports.models import Report, ReportStatus

BROKER = os.environ.get("CELERY_BROKER_URL", "")
ROOT = Path(__file__).resolve().parents[2]
WAIT = 120.0

pytestmark = [
    pytest.mark.celery,
    pytest.mark.skipif(
        not BROKER.startswith("redis://"), reason="needs CELERY_BROKER_URL=redis://…"
    ),
]


@pytest.fixture(scope="module")
def worker(app, tmp_path_factory):
    """``celery -A qa_portal.worker worker --pool=solo -Q celery`` on the test database and
    the test's report folder."""
    instance = tmp_path_factory.mktemp("render-worker")
    keep = ("SECRET_KEY", "AUDIT_KEY", "REPORT_DIR", "UPLOAD_DIR", "PUBLIC_BASE_URL")
    env = {
        **os.environ,
        **{key: str(app.config[key]) for key in keep},
        "QA_PORTAL_INSTANCE": str(instance),
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "AUDIT_CHECKPOINT_FILE": str(instance / "audit_checkpoints.jsonl"),
        "CELERY_BROKER_URL": BROKER,
    }
    log = instance / "worker.log"
    command = [sys.executable, "-m", "celery", "-A", "qa_portal.worker", "worker"]
    options = ["--pool=solo", "-Q", "celery", "--without-gossip", "--without-mingle"]
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603
            [*command, *options, "--without-heartbeat", "--loglevel=INFO"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + WAIT
        while b" ready." not in log.read_bytes():
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("the worker did not start:\n" + log.read_text())
            time.sleep(0.2)
        yield log
    finally:
        process.terminate()
        process.wait(30)


@pytest.fixture
def on_broker(app, monkeypatch):
    monkeypatch.setitem(app.config, "CELERY_BROKER_URL", BROKER)
    monkeypatch.setitem(app.config, "JOBS_INLINE", False)
    init_celery(app)
    assert not celery.conf.task_always_eager
    yield
    monkeypatch.undo()
    init_celery(app)


def test_a_worker_renders_the_report_the_request_queued(
    client, login, decided, people, worker, on_broker
):
    _, decision = decided
    answer = login(client, people.officer).post(
        f"/dossiers/{decision.dossier_id}/reports",
        data={"decision_id": decision.id, "variant": "public"},
        headers={"Accept": "application/json"},
    )
    assert answer.status_code == 200
    report_id = answer.get_json()["report_id"]
    deadline = time.monotonic() + WAIT
    while True:
        db.session.rollback()  # see what the worker committed
        db.session.expire_all()
        report = db.session.get(Report, report_id)
        job = job_queue.latest_for(reports.job_key(report_id))
        # the child stores the report, then its runner (the worker) marks the job done
        if report.status in (ReportStatus.READY, ReportStatus.FAILED) and not job.is_unfinished:
            break
        assert time.monotonic() < deadline, "the worker never rendered it:\n" + worker.read_text()
        time.sleep(0.2)
    assert report.status == ReportStatus.READY, report.error
    assert reports.read(report).startswith(b"%PDF")
    assert (job.state, job.attempts) == (JobState.DONE, 1)
    assert "qa_portal.run_job" in worker.read_text()
