"""No report is lost or stuck: the renderer killed mid-job, the broker down when the report
is asked for, a decision taken without a broker. Each case ends with the report ``ready``,
rendered once. The runner here is a real process (``flask jobs run``) reading the same
configuration as the portal, from an instance folder of its own."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import has_request_context

from qa_portal.core import job_queue, job_runner, jobs
from qa_portal.core.audit import AuditEntry
from qa_portal.core.db import commit
from qa_portal.core.job_queue import JobState
from qa_portal.extensions import db
from qa_portal.reports import operations as reports
from qa_portal.reports.models import Report, ReportStatus, ReportVariant
from tests.notifications.smtp import free_port

PROJECT = Path(__file__).resolve().parents[2]
real_spawn = job_runner.spawn
SHARED = (
    "SQLALCHEMY_DATABASE_URI",
    "SECRET_KEY",
    "UPLOAD_DIR",
    "REPORT_DIR",
    "MAIL_OUTBOX_DIR",
    "PUBLIC_BASE_URL",
    "SERVER_NAME",
    "SIGNING_KEYS_DIR",  # the reports are signed with the portal's certificate
)


@pytest.fixture
def runner_instance(app, tmp_path):
    """An instance folder whose config.py points at this test's database and files, with a
    one-second lease: the environment ``flask jobs run`` needs, as in production."""
    folder = tmp_path / "runner-instance"
    folder.mkdir()
    shared = {k: v for k, v in app.config.items() if k in SHARED or k.startswith("AUDIT")}
    lines = [f"{key} = {value!r}" for key, value in sorted(shared.items())]
    lines += ["JOB_LEASE_SECONDS = 1", "CELERY_BROKER_URL = None", "RATELIMIT_ENABLED = False"]
    (folder / "config.py").write_text("\n".join(lines) + "\n")
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL")}
    env.update(QA_PORTAL_INSTANCE=str(folder), PYTHONUNBUFFERED="1")
    return env


def start_runner(env, *args: str) -> subprocess.Popen:
    command = [sys.executable, "-m", "flask", "--app", "qa_portal", "jobs", "run", *args]
    return subprocess.Popen(  # noqa: S603
        command,
        cwd=PROJECT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def status_of(report_id: int) -> ReportStatus:
    """The report's status as committed now (the test's session starts a new snapshot)."""
    db.session.commit()
    db.session.expire_all()
    status = db.session.get(Report, report_id).status
    db.session.commit()
    return status


def wait_for(report_id: int, wanted: ReportStatus, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while status_of(report_id) != wanted:
        assert time.monotonic() < deadline, f"report {report_id} never became {wanted}"
        time.sleep(0.02)


def renders_of(report_id: int) -> int:
    return db.session.execute(
        sa.select(sa.func.count(AuditEntry.id)).where(
            AuditEntry.action == "report.render",
            AuditEntry.object_type == "review_report",
            AuditEntry.object_id == report_id,
        )
    ).scalar_one()


def queued_report(people, decision, variant=ReportVariant.INTERNAL) -> Report:
    """A report and its job, committed; the job not dispatched."""
    report = reports.request_report(people.officer, decision, variant, dispatch=False)
    job_queue.enqueue(reports.RENDER_JOB, key=reports.job_key(report), report_id=report.id)
    commit()
    return report


def test_a_renderer_killed_mid_job_leaves_the_report_to_the_sweep(decided, people, runner_instance):
    _, decision = decided
    report = queued_report(people, decision)
    job = job_queue.unfinished_for(reports.job_key(report))
    runner = start_runner(runner_instance, "--job", str(job.id))
    try:
        wait_for(report.id, ReportStatus.RENDERING)
    finally:
        os.kill(runner.pid, signal.SIGKILL)  # the runner only: its child must die with it
        runner.communicate(timeout=30)
    time.sleep(3)  # longer than a rendering: a surviving child would have stored the report
    assert status_of(report.id) == ReportStatus.RENDERING and renders_of(report.id) == 0
    db.session.expire_all()
    assert reports.is_stuck(report)  # the one-second lease has expired: nobody renders it
    db.session.commit()

    sweep = start_runner(runner_instance)  # cron's "flask jobs run"
    output, _ = sweep.communicate(timeout=120)
    assert sweep.returncode == 0, output
    assert "Jobs: 1 done." in output
    assert status_of(report.id) == ReportStatus.READY and renders_of(report.id) == 1
    assert reports.read(report).startswith(b"%PDF")
    job = job_queue.latest_for(reports.job_key(report))
    assert (job.state, job.attempts) == (JobState.DONE, 2)


def test_a_report_asked_for_while_the_broker_is_down_is_rendered_later(
    app, client, login, decided, people, runner_instance, monkeypatch
):
    _, decision = decided
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)  # Celery would prefer it
    monkeypatch.setitem(app.config, "JOBS_INLINE", False)
    app.config["CELERY_BROKER_URL"] = f"redis://127.0.0.1:{free_port()}/15"  # nobody there
    jobs.init_celery(app)
    try:
        answer = login(client, people.officer).post(
            f"/dossiers/{decision.dossier_id}/reports",
            data={"decision_id": decision.id, "variant": "public"},
            headers={"Accept": "application/json"},
        )
    finally:
        app.config["CELERY_BROKER_URL"] = None
        jobs.init_celery(app)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    report_id = answer.get_json()["report_id"]
    job = job_queue.unfinished_for(reports.job_key(report_id))
    assert (job.state, job.dispatched_at) == (JobState.PENDING, None)  # recorded, not sent
    assert job_queue.due_job_ids() == [job.id]

    sweep = start_runner(runner_instance)
    output, _ = sweep.communicate(timeout=120)
    assert sweep.returncode == 0 and "Jobs: 1 done." in output, output
    assert status_of(report_id) == ReportStatus.READY and renders_of(report_id) == 1


def test_without_a_broker_a_decision_renders_its_reports_after_the_response(
    app, client, login, workflow, people, monkeypatch, runner_instance
):
    """The decision's request records the two jobs and answers; a process started after
    the response (when the server closes it, outside the request) renders them."""
    case = workflow.case(submit=True).submit_reviews()
    monkeypatch.setitem(app.config, "JOBS_INLINE", False)
    monkeypatch.setitem(app.config, "REPORTS_ON_DECISION", True)
    started = []

    def spawn(job_id, cwd):
        in_request = has_request_context()
        with app.app_context():
            started.append((job_id, in_request, status_of_job_reports()))

    monkeypatch.setattr(job_runner, "spawn", spawn)
    answer = login(client, people.officer).post(
        f"/dossiers/{case.dossier.id}/decide",
        data={"outcome": "approved", "rationale": "Meets every criterion of the rubric."},
    )
    assert answer.status_code == 302, answer.get_data(as_text=True)
    rows = db.session.execute(sa.select(Report)).scalars().all()
    assert len(rows) == 2 and {r.status for r in rows} == {ReportStatus.QUEUED}
    jobs_ = {job_queue.unfinished_for(reports.job_key(r)).id for r in rows}
    assert {job_id for job_id, _, _ in started} == jobs_
    assert all(not in_request for _, in_request, _ in started)
    assert all(statuses == {"queued"} for _, _, statuses in started)

    # the process it starts (run here for real, in this test's environment) renders them
    for name in ("QA_PORTAL_INSTANCE", "DATABASE_URL", "CELERY_BROKER_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("QA_PORTAL_INSTANCE", runner_instance["QA_PORTAL_INSTANCE"])
    processes = [real_spawn(job_id, PROJECT) for job_id, _, _ in started]
    for process in processes:
        assert process.wait(120) == 0
    for row in rows:
        assert status_of(row.id) == ReportStatus.READY and renders_of(row.id) == 1


def status_of_job_reports() -> set[str]:
    with db.engine.connect() as connection:  # what the runner process would read
        return set(connection.execute(sa.text("SELECT status FROM review_report")).scalars())
