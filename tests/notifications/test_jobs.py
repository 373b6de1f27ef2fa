"""The Celery configuration a production deployment gets from ``CELERY_BROKER_URL``: jobs
acknowledged after they ran and given back when a worker dies, e-mail retried with a
growing delay on a queue of its own, the beat schedule for reminders and the e-mail sweep;
and the embedded default, which runs jobs in-process without any broker."""

from __future__ import annotations

import pytest

from qa_portal.core import jobs
from qa_portal.extensions import celery

BROKER = "redis://127.0.0.1:6379/15"  # configured only, never contacted here


@pytest.fixture
def production(app, monkeypatch):
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)  # Celery reads it over its conf
    saved = app.config.get("CELERY_BROKER_URL")
    app.config["CELERY_BROKER_URL"] = BROKER
    jobs.init_celery(app)
    yield celery.conf
    app.config["CELERY_BROKER_URL"] = saved
    jobs.init_celery(app)


def test_with_a_broker_jobs_survive_a_dying_worker_and_retry_with_backoff(production):
    conf = production
    assert conf.broker_url == BROKER and not conf.task_always_eager
    assert conf.task_acks_late and conf.task_reject_on_worker_lost
    assert conf.worker_prefetch_multiplier == 1
    # A job waiting for its retry time stays unacknowledged: Redis must not hand it to
    # another worker before that time (it would run twice).
    longest_delay = max(jobs.mail_retry_delay(n) for n in range(jobs.MAIL_MAX_RETRIES + 1))
    assert conf.broker_transport_options["visibility_timeout"] > longest_delay
    assert conf.accept_content == ["json"] and conf.task_serializer == "json"


def test_email_retries_wait_longer_each_time_up_to_an_hour():
    delays = [jobs.mail_retry_delay(n) for n in range(jobs.MAIL_MAX_RETRIES + 1)]
    assert 30 <= delays[0] <= 33 and 60 <= delays[1] <= 66
    assert all(later > earlier for earlier, later in zip(delays[:5], delays[1:6], strict=True))
    assert max(delays) <= 3600 * 1.1
    assert sum(delays) > 2 * 3600  # an outage of a couple of hours is bridged by the job


def test_email_has_a_queue_of_its_own_that_a_plain_worker_also_consumes(production):
    conf = production
    assert {q.name for q in conf.task_queues} == {"celery", "mail"}
    for task in ("qa_portal.deliver_email", "qa_portal.retry_email", "qa_portal.send_reminders"):
        assert conf.task_routes[task] == {"queue": "mail"}
        assert task in celery.tasks


def test_the_beat_schedule_sends_reminders_and_sweeps_unsent_email_and_jobs(production):
    schedule = {entry["task"]: entry for entry in production.beat_schedule.values()}
    assert {
        "qa_portal.send_reminders",
        "qa_portal.retry_email",
        "qa_portal.sweep_jobs",
        "qa_portal.sweep_files",  # stray upload and report files (tests/files/test_sweep.py)
    } <= set(schedule)
    assert schedule["qa_portal.retry_email"]["schedule"] <= 300
    assert schedule["qa_portal.sweep_jobs"]["schedule"] <= 60
    assert schedule["qa_portal.send_reminders"]["schedule"] <= 24 * 3600
    for entry in schedule.values():  # a run the workers could not start in time is dropped
        assert entry["options"]["expires"] < entry["schedule"]


def test_without_a_broker_jobs_run_in_process(monkeypatch):
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)  # Celery reads it over its conf
    conf = celery.conf
    assert conf.task_always_eager and conf.broker_url is None
    assert jobs.deliver_email.delay([]).get() == 0
