"""A real Celery worker with Redis: a request queues the e-mail job on the broker, the worker
(a separate process, same database) delivers it to the SMTP server, retries after an
outage, and runs the reminder job.

Runs only with ``-m celery`` and ``CELERY_BROKER_URL`` (a Redis database of its own, e.g.
``redis://127.0.0.1:6379/15``). Each run uses a queue of its own name, removed at the end,
so that two runs sharing the database never take each other's jobs.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from qa_portal.core import clock
from qa_portal.core.db import commit
from qa_portal.core.jobs import init_celery
from qa_portal.core.mail import OutboxMessage
from qa_portal.extensions import celery, db
from qa_portal.reviews import invitations
from tests.notifications.helpers import outbox
from tests.notifications.smtp import SmtpServer

BROKER = os.environ.get("CELERY_BROKER_URL", "")
ROOT = Path(__file__).resolve().parents[2]
WAIT = 60.0  # seconds, at most, for the worker to do something

pytestmark = [
    pytest.mark.celery,
    pytest.mark.skipif(
        not BROKER.startswith("redis://"), reason="needs CELERY_BROKER_URL=redis://…"
    ),
]


def wait_until(check, what: str, timeout: float = WAIT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.rollback()  # see what the worker committed
        db.session.expire_all()
        result = check()
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting until {what}")


@pytest.fixture(scope="module")
def queue():
    return f"mail-test-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def redis_db(queue):
    import redis

    client = redis.Redis.from_url(BROKER)
    client.ping()
    yield client
    for key in client.scan_iter(f"*{queue}*"):  # the queue and its kombu binding
        client.delete(key)
    client.close()


@pytest.fixture(scope="module")
def server():
    smtp = SmtpServer().up()
    yield smtp
    smtp.down()


@pytest.fixture(scope="module")
def worker(app, server, redis_db, queue, tmp_path_factory):
    """``celery -A qa_portal.worker worker --pool=solo -Q <queue>`` on the test database."""
    instance = tmp_path_factory.mktemp("worker")
    (instance / "config.py").write_text(
        f"CELERY_MAIL_QUEUE = {queue!r}\nMAIL_RETRY_SECONDS = 1\nMAIL_TIMEOUT = 5\n"
    )
    env = {
        **os.environ,
        "QA_PORTAL_INSTANCE": str(instance),
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": app.config["SECRET_KEY"],
        "CELERY_BROKER_URL": BROKER,
        "MAIL_SERVER": server.host,
        "MAIL_PORT": str(server.port),
        "PUBLIC_BASE_URL": app.config["PUBLIC_BASE_URL"],
    }
    log = instance / "worker.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "qa_portal.worker",
                "worker",
                "--pool=solo",
                "-Q",
                queue,
                "-n",
                f"{queue}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel=INFO",
            ],
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
        yield process
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


@pytest.fixture
def on_broker(app, queue, worker, server):
    """The web app sends its jobs to the broker (not in-process) for this test."""
    saved = {k: app.config.get(k) for k in ("CELERY_BROKER_URL", "CELERY_MAIL_QUEUE")}

    def switch():
        server.reset()
        app.config.update(CELERY_BROKER_URL=BROKER, CELERY_MAIL_QUEUE=queue)
        init_celery(app)
        assert not celery.conf.task_always_eager

    yield switch
    app.config.update(saved)
    init_celery(app)
    server.up()  # after a test that stopped it
    server.reset()


def sent(message_id: int) -> bool:
    return db.session.get(OutboxMessage, message_id).sent_at is not None


def test_a_request_queues_the_job_and_the_worker_delivers_it(
    client, login, people, panel, workflow, on_broker, server
):
    dossier = workflow.screening()  # set up in-process, mail to the outbox folder
    on_broker()
    response = login(client, people.officer).post(
        f"/dossiers/{dossier.id}/panel/invite", data={"reviewer_id": panel[1].id}
    )
    assert response.status_code == 302

    [message] = server.wait_for(1, WAIT)
    assert message.to == [panel[1].email]
    assert message.subject == f"Invitation to review {dossier.reference}"
    [assignment] = dossier.current_round.assignments
    assert message.links() == [f"http://qa.test/reviews/assignments/{assignment.id}"]
    [row] = outbox(to=panel[1].email)
    wait_until(lambda: sent(row.id), "the worker marked the message sent")


def test_after_an_smtp_outage_the_worker_retries_and_delivers_once(
    client, login, people, workflow, on_broker, server
):
    dossier = workflow.screening()
    on_broker()
    server.down()
    response = login(client, people.officer).post(
        f"/dossiers/{dossier.id}/return", data={"note": "Add the assessment sample."}
    )
    assert response.status_code == 302  # the request never waits for the mail server
    [row] = outbox(to=people.provider_a.email)
    wait_until(
        lambda: (
            "ConnectionRefusedError" in (db.session.get(OutboxMessage, row.id).last_error or "")
        ),
        "the worker failed to connect",
    )

    server.up()  # the worker's next retry gets through
    [message] = server.wait_for(1, WAIT)
    assert message.to == [people.provider_a.email]
    assert message.subject == f"{dossier.reference} returned for corrections"
    wait_until(lambda: sent(row.id), "the message is marked sent")

    # The periodic sweep, then a marker job behind it on the same queue (one solo worker
    # runs them in order): when the marker's message is in, the sweep sent nothing more.
    celery.send_task("qa_portal.retry_email")
    assert client.post("/password/forgot", data={"email": people.reviewer.email}).status_code
    server.wait_for(2, WAIT)
    assert sorted(m.to[0] for m in server.received()) == sorted(
        [people.provider_a.email, people.reviewer.email]
    )


def test_the_reminder_job_runs_on_the_worker_and_reminds_once(
    client, people, panel, workflow, on_broker, server
):
    dossier = workflow.screening()
    invitations.invite_reviewer(
        people.officer, dossier, panel[1], response_due=clock.today() + timedelta(days=1)
    )
    commit()
    on_broker()
    celery.send_task("qa_portal.send_reminders")
    celery.send_task("qa_portal.send_reminders")
    [reminder] = server.wait_for(1, WAIT)
    assert reminder.to == [panel[1].email]
    assert reminder.subject == f"Reminder: answer the invitation for {dossier.reference}"

    # Everything the two runs queued is ahead of this marker on the worker's queue.
    client.post("/password/forgot", data={"email": people.reviewer.email})
    server.wait_for(2, WAIT)
    assert [m.to[0] for m in server.received()].count(panel[1].email) == 1
    count = db.session.execute(
        sa.select(sa.func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.subject == reminder.subject)
    ).scalar_one()
    assert count == 1
