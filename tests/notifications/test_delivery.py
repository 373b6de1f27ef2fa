"""E-mail leaves after the commit, through the outbox, to a real SMTP server; a rolled-back
request mails nobody; an SMTP outage loses nothing, breaks no request, and every message
is delivered exactly once afterwards."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from email.utils import make_msgid

import pytest
import sqlalchemy as sa

from qa_portal.accounts.models import Role
from qa_portal.core import jobs, mail
from qa_portal.core.db import commit
from qa_portal.core.errors import InvalidInput
from qa_portal.core.mail import OutboxMessage
from qa_portal.core.models import utcnow
from qa_portal.dossiers import notices
from qa_portal.dossiers import operations as dossiers
from qa_portal.dossiers.models import DossierState
from qa_portal.extensions import celery, db
from qa_portal.reviews import invitations
from tests.notifications.helpers import inbox, outbox


def retry(app, *args):
    result = app.test_cli_runner().invoke(args=["mail", "retry", *args])
    return result.exit_code, result.output.strip()


def test_mail_leaves_only_after_the_commit(smtp, people, panel, workflow):
    dossier = workflow.screening()
    smtp.reset()
    reviewer = panel[1]

    assignment = invitations.invite_reviewer(people.officer, dossier, reviewer)
    db.session.flush()
    # Queued in the transaction, nothing at the server yet.
    [row] = outbox(to=reviewer.email)
    assert row.sent_at is None
    assert smtp.received() == []

    commit()
    [message] = smtp.received()
    assert message.to == [reviewer.email]
    assert message.message["To"] == reviewer.email
    assert message.subject == f"Invitation to review {dossier.reference}"
    assert f"Hello {reviewer.name}," in message.body
    assert message.links() == [f"http://qa.test/reviews/assignments/{assignment.id}"]
    [row] = outbox(to=reviewer.email)
    assert row.sent_at is not None and row.last_error is None
    assert message.message["Message-ID"] == row.message_id


def test_a_request_sends_exactly_its_messages_in_one_smtp_session(
    smtp, client, login, people, make_user, make_dossier, qa_body
):
    second = make_user(Role.QA_OFFICER, org=qa_body, name="Second Officer")
    dossier = make_dossier(people.provider_a)
    smtp.reset()

    response = login(client, people.provider_a).post(
        f"/dossiers/{dossier.id}/submit", data={"lock_version": dossier.lock_version}
    )
    assert response.status_code == 302
    received = smtp.received()
    assert sorted(m.to[0] for m in received) == sorted([people.officer.email, second.email])
    assert smtp.sessions == 1
    for message in received:
        assert message.subject == f"New dossier: {dossier.reference}"
        assert message.links() == [f"http://qa.test/dossiers/{dossier.id}"]
    assert all(row.sent_at is not None for row in outbox())


@pytest.mark.parametrize(
    "failure, status",
    [
        (InvalidInput("Refused after the e-mail was queued."), 400),
        (RuntimeError("crash after the e-mail was queued"), 500),
    ],
)
def test_a_failed_request_mails_nobody(
    smtp, client, login, people, workflow, monkeypatch, failure, status
):
    dossier = workflow.screening()
    rows_before = len(outbox())
    smtp.reset()
    queued = []

    def notify_then_fail(*args, **kwargs):
        queued.extend(real_notify(*args, **kwargs))
        raise failure

    real_notify = notices.notify
    monkeypatch.setattr(notices, "notify", notify_then_fail)
    response = login(client, people.officer).post(
        f"/dossiers/{dossier.id}/return", data={"note": "Add the assessment sample."}
    )
    assert response.status_code == status
    assert queued, "the operation queued the e-mail before failing"
    assert smtp.received() == []
    assert len(outbox()) == rows_before
    assert inbox(people.provider_a) == []
    db.session.expire_all()
    assert dossier.state == DossierState.SCREENING


def test_an_smtp_outage_loses_nothing_and_each_message_goes_once(
    app, smtp, client, login, people, workflow
):
    dossier = workflow.screening()
    smtp.reset()
    smtp.down()

    response = login(client, people.officer).post(
        f"/dossiers/{dossier.id}/return", data={"note": "Add the assessment sample."}
    )
    assert response.status_code == 302  # the request does not depend on the mail server
    [row] = outbox(to=people.provider_a.email)
    assert row.sent_at is None and "ConnectionRefusedError" in row.last_error
    assert [n.kind for n in inbox(people.provider_a)] == ["returned"]

    assert retry(app) == (1, "0 sent, 1 still failing.")  # still down: kept, error recorded
    assert outbox(to=people.provider_a.email)[0].attempts == 2

    smtp.up()
    assert retry(app) == (0, "1 sent, 0 still failing.")
    [message] = smtp.received()
    assert message.to == [people.provider_a.email]
    assert message.subject == f"{dossier.reference} returned for corrections"
    assert "Add the assessment sample." in message.body
    [row] = outbox(to=people.provider_a.email)
    assert row.sent_at is not None and row.last_error is None

    assert retry(app) == (0, "0 sent, 0 still failing.")
    assert jobs.retry_email.delay() is not None  # the periodic sweep finds nothing either
    assert len(smtp.received()) == 1


def test_two_sweeps_at_once_send_each_message_once(
    app, smtp, people, make_user, qa_body, make_dossier
):
    others = [make_user(Role.QA_OFFICER, org=qa_body) for _ in range(2)]
    dossier = make_dossier(people.provider_a)
    smtp.down()
    dossiers.submit_dossier(people.provider_a, dossier)
    commit()
    assert [r.sent_at for r in outbox()] == [None] * 3

    smtp.up()
    smtp.gate = threading.Event()  # the first delivery stops inside the SMTP session
    results = {}

    def sweep(name):
        with app.app_context():
            results[name] = mail.retry_pending()

    first = threading.Thread(target=sweep, args=("first",))
    first.start()
    try:
        assert smtp.waiting.wait(10), "the first sweep never reached the server"
        sweep("second")  # runs while the first one holds the messages
        assert retry(app) == (0, "0 sent, 0 still failing.")
    finally:
        smtp.gate.set()
        first.join(30)
    assert results == {"first": (3, 0), "second": (0, 0)}
    recipients = sorted(m.to[0] for m in smtp.received())
    assert recipients == sorted([people.officer.email] + [o.email for o in others])
    assert all(r.sent_at is not None for r in outbox())


def test_a_refused_recipient_does_not_hold_back_the_others(
    app, smtp, people, make_user, qa_body, make_dossier
):
    second = make_user(Role.QA_OFFICER, org=qa_body)
    dossier = make_dossier(people.provider_a)
    smtp.reset()
    smtp.refuse.add(people.officer.email)  # the first message of the batch is refused

    dossiers.submit_dossier(people.provider_a, dossier)
    commit()
    assert [m.to for m in smtp.received()] == [[second.email]]
    [refused] = outbox(to=people.officer.email)
    assert refused.sent_at is None and "SMTPRecipientsRefused" in refused.last_error

    assert retry(app) == (1, "0 sent, 1 still failing.")
    smtp.refuse.clear()  # the mailbox exists again
    assert retry(app) == (0, "1 sent, 0 still failing.")
    assert sorted(m.to[0] for m in smtp.received()) == sorted([second.email, people.officer.email])


def _queue_one(to: str) -> int:
    """A message left unsent by earlier failed attempts (no delivery job of its own)."""
    row = OutboxMessage(
        recipient=to, subject="Waiting", body_text="Body", message_id=make_msgid(domain="t")
    )
    db.session.add(row)
    commit()
    return row.id


def test_the_sweep_never_gives_up_during_a_long_outage_and_waits_between_attempts(app, smtp):
    long_ago = _queue_one("long-outage@mail.example")
    db.session.execute(
        sa.update(OutboxMessage).values(
            attempts=40, claimed_at=utcnow() - timedelta(hours=2), last_error="OSError: down"
        )
    )
    commit()
    jobs.retry_email.delay()  # the periodic sweep, in-process here
    assert [m.to for m in smtp.received()] == [["long-outage@mail.example"]]
    assert outbox()[0].id == long_ago and outbox()[0].sent_at is not None

    # Tried a moment ago: the sweep waits before the next attempt; an operator need not.
    db.session.execute(
        sa.update(OutboxMessage).values(
            sent_at=None, attempts=5, claimed_at=utcnow() - timedelta(minutes=3)
        )
    )
    commit()
    jobs.retry_email.delay()
    assert len(smtp.received()) == 1
    assert retry(app) == (0, "1 sent, 0 still failing.")
    assert len(smtp.received()) == 2


def test_in_process_jobs_touch_no_broker(smtp, people, panel, workflow, caplog):
    assert celery.conf.task_always_eager
    dossier = workflow.screening()
    with caplog.at_level(logging.DEBUG, logger="kombu"):
        invitations.invite_reviewer(people.officer, dossier, panel[1])
        commit()
    assert [m.to for m in smtp.received()][-1] == [panel[1].email]
    assert not [r for r in caplog.records if r.name.startswith("kombu")]


def test_a_broker_outage_breaks_no_request_and_loses_nothing(
    app, smtp, client, login, people, workflow, monkeypatch
):
    from tests.notifications.smtp import free_port

    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)  # Celery would prefer it
    dossier = workflow.screening()
    smtp.reset()
    app.config["CELERY_BROKER_URL"] = f"redis://127.0.0.1:{free_port()}/15"  # nobody there
    jobs.init_celery(app)
    try:
        response = login(client, people.officer).post(
            f"/dossiers/{dossier.id}/return", data={"note": "Add the assessment sample."}
        )
    finally:
        app.config["CELERY_BROKER_URL"] = None
        jobs.init_celery(app)
    assert response.status_code == 302
    [row] = outbox(to=people.provider_a.email)
    assert row.sent_at is None and smtp.received() == []
    assert retry(app) == (0, "1 sent, 0 still failing.")  # the sweep, once the broker is back
    assert [m.to for m in smtp.received()] == [[people.provider_a.email]]
