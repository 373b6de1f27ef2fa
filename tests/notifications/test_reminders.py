"""``flask reminders send`` (also the Celery beat job): reminders before and after every due
date, to the right people, each sent once however often the job runs; ``--date`` simulates
the days passing."""

from __future__ import annotations

import threading
from datetime import date, timedelta

from qa_portal.cases import withdrawal
from qa_portal.cases.reminders import send_reminders
from qa_portal.core import clock
from qa_portal.core.db import commit
from qa_portal.decisions import operations as decisions
from qa_portal.extensions import db
from qa_portal.reviews import invitations, scoring
from qa_portal.reviews.models import AssignmentState
from tests.builders import full_scores
from tests.notifications.helpers import inbox


def remind(app, day: date) -> str:
    result = app.test_cli_runner().invoke(args=["reminders", "send", "--date", day.isoformat()])
    assert result.exit_code == 0, result.output
    return result.output.strip()


def mails(smtp) -> list[tuple[str, str]]:
    """(recipient, subject) of everything the server received since the last call."""
    received = [(m.to[0], m.subject) for m in smtp.received()]
    smtp.reset()
    return sorted(received)


def test_invitation_reminder_then_expiry_each_once(app, smtp, people, panel, workflow):
    today = clock.today()
    dossier = workflow.screening()
    assignment = invitations.invite_reviewer(people.officer, dossier, panel[1])
    commit()
    assert assignment.response_due == today + timedelta(days=7)
    smtp.reset()

    assert remind(app, today + timedelta(days=3)) == "0 reminder(s) sent (nothing due)."
    assert mails(smtp) == []

    # Three days before the response date (the policy's reminder days): the reviewer.
    assert remind(app, today + timedelta(days=4)) == "1 reminder(s) sent (invitation_due 1)."
    subject = f"Reminder: answer the invitation for {dossier.reference}"
    assert mails(smtp) == [(panel[1].email, subject)]
    for day in (4, 5, 7):  # again, and on the following days: nothing more
        remind(app, today + timedelta(days=day))
    assert mails(smtp) == []

    # The response date passed: the invitation expires and the case officer is told.
    assert remind(app, today + timedelta(days=8)) == "1 reminder(s) sent (expired 1)."
    assert mails(smtp) == [(people.officer.email, f"Invitation for {dossier.reference} expired")]
    db.session.refresh(assignment)
    assert assignment.state == AssignmentState.EXPIRED
    remind(app, today + timedelta(days=8))
    remind(app, today + timedelta(days=9))
    assert mails(smtp) == []
    assert [n.kind for n in inbox(panel[1])] == ["invitation", "reminder"]


def test_review_due_and_overdue_reach_only_who_has_not_submitted(
    app, smtp, people, panel, workflow
):
    dossier, (first, second) = workflow.in_review()
    scoring.submit_review(first.reviewer, first, **full_scores(first))
    commit()
    due = second.review_due
    smtp.reset()

    remind(app, due - timedelta(days=4))
    assert mails(smtp) == []
    assert remind(app, due - timedelta(days=3)) == "1 reminder(s) sent (review_due 1)."
    assert mails(smtp) == [
        (second.reviewer.email, f"Reminder: review of {dossier.reference} due soon")
    ]
    remind(app, due - timedelta(days=3))
    remind(app, due)
    assert mails(smtp) == []

    # Overdue: the reviewer, and the case officer (who may see the name; the provider never).
    assert remind(app, due + timedelta(days=1)) == "1 reminder(s) sent (review_overdue 1)."
    assert mails(smtp) == sorted(
        [
            (second.reviewer.email, f"Overdue: your review of {dossier.reference}"),
            (people.officer.email, f"Review overdue on {dossier.reference}"),
        ]
    )
    remind(app, due + timedelta(days=1))
    remind(app, due + timedelta(days=30))
    assert mails(smtp) == []
    assert not [n for n in inbox(first.reviewer) if n.kind == "reminder"]
    assert not [n for n in inbox(people.provider_a) if n.kind in ("reminder", "overdue")]


def test_condition_due_soon_then_overdue(app, smtp, people, workflow):
    today = clock.today()
    due = today + timedelta(days=60)
    dossier, decision = workflow.decided(
        "approved_with_conditions",
        conditions=[
            {"text": "Publish the grading scheme.", "due_date": due},
            {"text": "Name an external examiner.", "due_date": due},
        ],
    )
    # Evidence is in for the second condition: nothing to remind about.
    decisions.submit_condition_evidence(people.provider_a, decision.conditions[1], "Done.", [])
    commit()
    smtp.reset()

    remind(app, due - timedelta(days=15))
    assert mails(smtp) == []
    assert remind(app, due - timedelta(days=14)) == "1 reminder(s) sent (condition_due 1)."
    subject = f"Condition 1 of {dossier.reference} due soon"
    assert mails(smtp) == [(people.provider_a.email, subject)]
    remind(app, due - timedelta(days=14))
    remind(app, due)
    assert mails(smtp) == []

    assert remind(app, due + timedelta(days=1)) == "1 reminder(s) sent (condition_overdue 1)."
    assert mails(smtp) == sorted(
        [
            (people.provider_a.email, f"Overdue: condition 1 of {dossier.reference}"),
            (people.officer.email, f"Condition overdue on {dossier.reference}"),
        ]
    )
    remind(app, due + timedelta(days=1))
    assert mails(smtp) == []
    [notice] = [n for n in inbox(people.provider_a) if n.title.startswith("Overdue")]
    assert notice.url == f"/dossiers/{dossier.id}"


def test_renewal_notice_once_before_the_approval_ends(app, smtp, people, workflow):
    dossier, decision = workflow.decided("approved")
    smtp.reset()
    notice_from = decision.valid_until - timedelta(days=120)  # policy: renewal notice days

    remind(app, notice_from - timedelta(days=1))
    assert mails(smtp) == []
    assert remind(app, notice_from) == "1 reminder(s) sent (renewal_due 1)."
    [(to, subject)] = mails(smtp)
    assert (to, subject) == (people.provider_a.email, f"Renewal due: {dossier.reference}")
    remind(app, notice_from)
    remind(app, decision.valid_until - timedelta(days=10))
    assert mails(smtp) == []
    assert [n.kind for n in inbox(people.provider_a)][-1] == "renewal_due"


def test_two_runs_at_the_same_time_send_each_reminder_once(app, smtp, people, panel, workflow):
    dossier, assignments = workflow.in_review()
    smtp.reset()
    day = assignments[0].review_due - timedelta(days=1)
    counts = []

    def run():
        with app.app_context():
            counts.append(send_reminders(day, commit=commit))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sum(c["review_due"] for c in counts) == 2
    assert mails(smtp) == sorted(
        (a.reviewer.email, f"Reminder: review of {dossier.reference} due soon") for a in assignments
    )


def test_no_reminder_for_an_invitation_to_a_withdrawn_dossier(app, smtp, people, panel, workflow):

    dossier = workflow.screening()
    assignment = invitations.invite_reviewer(people.officer, dossier, panel[1])
    commit()
    withdrawal.withdraw_dossier(people.provider_a, dossier, "We withdraw it.")
    commit()
    smtp.reset()

    remind(app, assignment.response_due - timedelta(days=1))
    remind(app, assignment.response_due + timedelta(days=1))
    assert mails(smtp) == []
    assert not [n for n in inbox(people.officer) if n.kind == "invitation_expired"]
