"""Periodic reminders before and after every due date, each sent at most once.

Run daily by ``flask reminders send`` or the Celery beat schedule. Every reminder first
claims a unique key in ``reminder_log`` (in the same transaction as the notification it
queues), so running the job twice, or on two machines at once, never sends it twice.
Invitations whose response date has passed expire here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from qa_portal.cases.follow_up_reminders import follow_up_due
from qa_portal.core import clock
from qa_portal.core.db import commit
from qa_portal.core.errors import DomainError
from qa_portal.core.jobs import FlaskTask
from qa_portal.decisions import committee, factual_accuracy
from qa_portal.decisions.complaints import complaint_reminders
from qa_portal.decisions.models import Condition, ConditionState, Decision
from qa_portal.dossiers.models import Dossier, DossierState
from qa_portal.extensions import celery, db
from qa_portal.notifications.models import ReminderLog
from qa_portal.notifications.operations import notify, officers, provider_members
from qa_portal.reviews import invitations
from qa_portal.reviews.models import AssignmentState, ReviewAssignment, ReviewRound
from qa_portal.reviews.policy import current_policy

CONDITION_NOTICE_DAYS = 14
# An unanswered invitation matters while the panel can still form: not once the dossier is
# withdrawn, desk-rejected or decided (nobody is reminded or told of its expiry then).
PANEL_STATES = (
    DossierState.SUBMITTED,
    DossierState.SCREENING,
    DossierState.RETURNED,
    DossierState.IN_REVIEW,
)


def claim(key: str) -> bool:
    """Record that reminder ``key`` is being sent; False if it already was."""
    try:
        with db.session.begin_nested():
            db.session.add(ReminderLog(key=key))
    except IntegrityError:
        return False
    return True


def _case_officers(dossier: Dossier):
    return [dossier.case_officer] if dossier.case_officer else officers()


def _invitations(on: date, days: int, send: Callable) -> None:
    rows = (
        db.session.execute(
            sa.select(ReviewAssignment)
            .join(ReviewRound)
            .join(Dossier)
            .where(
                ReviewAssignment.state == AssignmentState.INVITED,
                Dossier.state.in_(PANEL_STATES),
            )
        )
        .scalars()
        .all()
    )
    for a in rows:
        dossier = a.round.dossier
        if a.response_due < on:
            send(
                f"invitation-expired:{a.id}:{a.response_due}",
                lambda a=a: invitations.expire_invitation(a),
                "expired",
            )
        elif a.response_due - timedelta(days=days) <= on:
            send(
                f"invitation-due:{a.id}:{a.response_due}",
                lambda a=a, d=dossier: notify(
                    a.reviewer,
                    "reminder",
                    f"Reminder: answer the invitation for {d.reference}",
                    f"Please accept or decline the invitation to review {d.reference} by "
                    f"{a.response_due:%d %B %Y}.",
                    "reviews.assignment",
                    assignment_id=a.id,
                ),
                "invitation_due",
            )


def _reviews(on: date, days: int, send: Callable) -> None:
    rows = (
        db.session.execute(
            sa.select(ReviewAssignment)
            .join(ReviewRound)
            .join(Dossier)
            .where(
                ReviewAssignment.state == AssignmentState.ACCEPTED,
                Dossier.state == DossierState.IN_REVIEW,
            )
        )
        .scalars()
        .all()
    )
    for a in rows:
        d = a.round.dossier
        if a.review_due < on:
            send(
                f"review-overdue:{a.id}:{a.review_due}",
                lambda a=a, d=d: (
                    notify(
                        a.reviewer,
                        "reminder",
                        f"Overdue: your review of {d.reference}",
                        f"Your review of {d.reference} was due on {a.review_due:%d %B %Y}. "
                        "Please submit it as soon as possible.",
                        "reviews.review",
                        assignment_id=a.id,
                    ),
                    notify(
                        _case_officers(d),
                        "overdue",
                        f"Review overdue on {d.reference}",
                        f"{a.alias} ({a.reviewer.name}) has not submitted the review of "
                        f"{d.reference}, due {a.review_due:%d %B %Y}.",
                        "cases.show",
                        dossier_id=d.id,
                    ),
                ),
                "review_overdue",
            )
        elif a.review_due - timedelta(days=days) <= on:
            send(
                f"review-due:{a.id}:{a.review_due}",
                lambda a=a, d=d: notify(
                    a.reviewer,
                    "reminder",
                    f"Reminder: review of {d.reference} due soon",
                    f"Your review of {d.reference} is due on {a.review_due:%d %B %Y}.",
                    "reviews.review",
                    assignment_id=a.id,
                ),
                "review_due",
            )


def _conditions(on: date, send: Callable) -> None:
    rows = (
        db.session.execute(
            sa.select(Condition)
            .join(Decision)
            .where(Condition.state == ConditionState.OPEN, Decision.superseded_at.is_(None))
        )
        .scalars()
        .all()
    )
    for c in rows:
        d = c.decision.dossier
        members = provider_members(d.organisation_id)
        if c.due_date < on:
            send(
                f"condition-overdue:{c.id}:{c.due_date}",
                lambda c=c, d=d, m=members: (
                    notify(
                        m,
                        "condition_due",
                        f"Overdue: condition {c.position} of {d.reference}",
                        f"Condition {c.position} (“{c.text}”) was due on "
                        f"{c.due_date:%d %B %Y}. Submit the evidence now.",
                        "cases.show",
                        dossier_id=d.id,
                    ),
                    notify(
                        _case_officers(d),
                        "overdue",
                        f"Condition overdue on {d.reference}",
                        f"Condition {c.position} of {d.reference} is overdue.",
                        "cases.show",
                        dossier_id=d.id,
                    ),
                ),
                "condition_overdue",
            )
        elif c.due_date - timedelta(days=CONDITION_NOTICE_DAYS) <= on:
            send(
                f"condition-due:{c.id}:{c.due_date}",
                lambda c=c, d=d, m=members: notify(
                    m,
                    "condition_due",
                    f"Condition {c.position} of {d.reference} due soon",
                    f"Condition {c.position} (“{c.text}”) is due on {c.due_date:%d %B %Y}.",
                    "cases.show",
                    dossier_id=d.id,
                ),
                "condition_due",
            )


def _renewals(on: date, days: int, send: Callable) -> None:
    rows = (
        db.session.execute(
            sa.select(Decision)
            .join(Dossier, Decision.dossier_id == Dossier.id)
            .where(
                Decision.superseded_at.is_(None),
                Decision.valid_until.is_not(None),
                Decision.valid_until >= on,
                Decision.valid_until <= on + timedelta(days=days),
                Dossier.state.in_([DossierState.APPROVED, DossierState.APPROVED_WITH_CONDITIONS]),
            )
        )
        .scalars()
        .all()
    )
    for decision in rows:
        d = decision.dossier
        send(
            f"renewal:{decision.id}",
            lambda dec=decision, d=d: notify(
                provider_members(d.organisation_id),
                "renewal_due",
                f"Renewal due: {d.reference}",
                f"The approval of “{d.title}” ends on {dec.valid_until:%d %B %Y}. Start the "
                "renewal from the dossier page; the current approval stays valid until the new "
                "decision.",
                "cases.show",
                dossier_id=d.id,
            ),
            "renewal_due",
        )


def send_reminders(on: date | None = None, *, commit: Callable[[], None]) -> Counter:
    """Send every reminder due ``on`` (default today); commit after each one."""
    on = on or clock.today()
    policy = current_policy()
    counts: Counter = Counter()

    def send(key: str, action: Callable, label: str) -> None:
        if not claim(key):
            counts["skipped"] += 1
            return
        try:
            action()
        except DomainError:  # changed meanwhile (another run, a user): nothing to send
            db.session.rollback()
            counts["skipped"] += 1
            return
        commit()
        counts[label] += 1

    _invitations(on, policy.reminder_days, send)
    _reviews(on, policy.reminder_days, send)
    _conditions(on, send)
    _renewals(on, policy.renewal_notice_days, send)
    factual_accuracy.remind(on, policy.reminder_days, send)
    committee.remind_voters(on, policy.reminder_days, send)
    complaint_reminders(on, send)
    follow_up_due(on, send)
    return counts


@celery.task(name="qa_portal.send_reminders", base=FlaskTask)
def send_reminders_job() -> dict[str, int]:
    """The periodic reminders (each sent at most once), for Celery beat."""
    return dict(send_reminders(commit=commit))
