"""Every event someone must act on gives exactly the right people an inbox entry and an
e-mail with the same title and a link to the page where they act; nobody else hears of it,
and what providers receive never names a reviewer."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
import sqlalchemy as sa

from qa_portal.accounts.models import Role
from qa_portal.cases import screening
from qa_portal.cases.reminders import send_reminders
from qa_portal.core import clock
from qa_portal.core.db import commit
from qa_portal.decisions import operations as decisions
from qa_portal.dossiers import operations as dossiers
from qa_portal.extensions import db
from qa_portal.notifications.models import Notification
from qa_portal.reviews import invitations, scoring
from tests.builders import full_scores

GROUNDS = "The panel did not consider the assessment evidence we supplied in annex B."


class World:
    def __init__(self, people, panel, flow, make_user, make_dossier, qa_body):
        self.people, self.panel, self.flow, self.make_dossier = people, panel, flow, make_dossier
        self.officer = people.officer
        self.officer2 = make_user(Role.QA_OFFICER, org=qa_body, name="Olga Officer")
        self.officer3 = make_user(Role.QA_OFFICER, org=qa_body, name="Oscar Officer")
        # The appeals committee: two members, one of whom reviewed nothing and decided nothing.
        self.appeals = [
            make_user(Role.APPEALS_COMMITTEE, name="Alma Appeals"),
            make_user(Role.APPEALS_COMMITTEE, name="Arne Appeals"),
        ]
        # Provider A has two members; provider B must never hear of A's dossier.
        self.member2 = make_user(Role.PROVIDER, org=people.org_a, name="Alma Member")
        self.providers = [people.provider_a, self.member2]


Case = tuple[Callable[[], object], list, str]


def invitation(w: World) -> Case:
    dossier = w.flow.screening()
    return (
        lambda: invitations.invite_reviewer(w.officer, dossier, w.panel[2]),
        [w.panel[2]],
        "invitation",
    )


def invitation_reminder(w: World) -> Case:
    dossier = w.flow.screening()
    a = invitations.invite_reviewer(w.officer, dossier, w.panel[2])
    commit()
    day = a.response_due - timedelta(days=1)
    return lambda: send_reminders(day, commit=commit), [w.panel[2]], "reminder"


def review_reminder(w: World) -> Case:
    _, assignments = w.flow.in_review()
    day = assignments[0].review_due - timedelta(days=1)
    return (
        lambda: send_reminders(day, commit=commit),
        [a.reviewer for a in assignments],
        "reminder",
    )


def review_submitted(w: World) -> Case:
    _, (first, _second) = w.flow.in_review()
    return (
        lambda: scoring.submit_review(first.reviewer, first, **full_scores(first)),
        [w.officer],
        "review_submitted",
    )


def returned(w: World) -> Case:
    dossier = w.flow.screening()
    return (
        lambda: screening.return_to_provider(w.officer, dossier, "Add the assessment sample."),
        w.providers,
        "returned",
    )


def decision(w: World) -> Case:
    dossier, _ = w.flow.decision_pending()
    return (
        lambda: decisions.decide_round(
            w.officer, dossier, outcome="rejected", rationale="The assessment is not valid."
        ),
        w.providers,
        "decision",
    )


def _with_condition(w: World):
    due = clock.today() + timedelta(days=30)
    _, decision = w.flow.decided(
        "approved_with_conditions",
        conditions=[{"text": "Publish the grading scheme.", "due_date": due}],
    )
    return decision.conditions[0]


def condition_due(w: World) -> Case:
    condition = _with_condition(w)
    day = condition.due_date - timedelta(days=7)
    return lambda: send_reminders(day, commit=commit), w.providers, "condition_due"


def condition_evidence(w: World) -> Case:
    condition = _with_condition(w)
    return (
        lambda: decisions.submit_condition_evidence(
            w.people.provider_a, condition, "The scheme is on our web page.", []
        ),
        [w.officer],
        "condition_evidence",
    )


def condition_verified(w: World) -> Case:
    condition = _with_condition(w)
    decisions.submit_condition_evidence(w.people.provider_a, condition, "Published.", [])
    commit()
    return (
        lambda: decisions.verify_condition(w.officer, condition, met=True, note=""),
        w.providers,
        "condition_verified",
    )


def appeal(w: World) -> Case:
    dossier, _ = w.flow.decided("rejected")
    # The appeals committee decides appeals (not the QA officers).
    return (
        lambda: decisions.lodge_appeal(w.people.provider_a, dossier, GROUNDS),
        w.appeals,
        "appeal",
    )


def appeal_decided(w: World) -> Case:
    dossier, _ = w.flow.decided("rejected")
    lodged = decisions.lodge_appeal(w.people.provider_a, dossier, GROUNDS)
    commit()
    return (
        lambda: decisions.decide_appeal(w.appeals[0], lodged, uphold=True, rationale="It stands."),
        w.providers,
        "appeal_decided",
    )


def renewal_due(w: World) -> Case:
    _, decision = w.flow.decided("approved")
    day = decision.valid_until - timedelta(days=30)
    return lambda: send_reminders(day, commit=commit), w.providers, "renewal_due"


def new_submission(w: World) -> Case:
    dossier = w.make_dossier(w.people.provider_a)
    return (
        lambda: dossiers.submit_dossier(w.people.provider_a, dossier),
        [w.officer, w.officer2, w.officer3],
        "submitted",
    )


EVENTS = [
    invitation,
    invitation_reminder,
    review_reminder,
    review_submitted,
    returned,
    decision,
    condition_due,
    condition_evidence,
    condition_verified,
    appeal,
    appeal_decided,
    renewal_due,
    new_submission,
]


@pytest.mark.parametrize("event", EVENTS, ids=[e.__name__ for e in EVENTS])
def test_the_people_who_must_act_get_an_inbox_entry_and_an_email(
    event, smtp, people, panel, workflow, make_user, make_dossier, qa_body
):
    world = World(people, panel, workflow, make_user, make_dossier, qa_body)
    act, recipients, kind = event(world)
    before = db.session.execute(sa.select(sa.func.max(Notification.id))).scalar() or 0
    smtp.reset()

    act()
    commit()

    db.session.expire_all()
    notes = list(
        db.session.execute(
            sa.select(Notification).where(Notification.id > before).order_by(Notification.id)
        ).scalars()
    )
    assert sorted((n.user_id, n.kind) for n in notes) == sorted((u.id, kind) for u in recipients)
    received = smtp.received()
    assert sorted(m.to[0] for m in received) == sorted(u.email for u in recipients)
    reviewer_names = [p.name for p in panel] + [p.email for p in panel]
    for note in notes:
        user = next(u for u in recipients if u.id == note.user_id)
        [message] = [m for m in received if m.to == [user.email]]
        assert message.subject == note.title
        assert note.url.startswith("/") and f"http://qa.test{note.url}" in message.links()
        assert note.body.splitlines()[0] in message.body
        if user.has_role(Role.PROVIDER):
            text = message.subject + message.body + note.title + note.body
            assert not [name for name in reviewer_names if name in text]
