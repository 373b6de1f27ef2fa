"""The review-assignment state machine (spec section 3, "Review assignments"), transition by
transition as ``reviews/workflow.py`` lists them: the allowed role succeeds from an allowed
state; a refused role (403) and a refused state (409) are refused with a message, as a page
and as JSON, and change nothing: no state, date or timestamp, no audit entry, no
notification, no e-mail."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from qa_portal.accounts.models import Role
from qa_portal.core import clock
from qa_portal.core.db import commit
from qa_portal.core.errors import NotPermitted, TransitionNotAllowed
from qa_portal.extensions import db
from qa_portal.notifications.models import Notification
from qa_portal.reviews import invitations, scoring
from qa_portal.reviews.models import AssignmentState as A
from qa_portal.reviews.workflow import ASSIGNMENT_MACHINE
from tests.builders import full_scores
from tests.helpers import audit_actions
from tests.reviews.helpers import JSON, text


def test_the_table_is_the_one_the_spec_describes():
    table = {
        t.action: ({s.value for s in t.sources}, t.target.value, t.roles)
        for t in ASSIGNMENT_MACHINE.transitions
    }
    assert table == {
        "accept": ({"invited"}, "accepted", ("reviewer",)),
        "decline": ({"invited"}, "declined", ("reviewer",)),
        "expire": ({"invited"}, "expired", ("system",)),
        # the system cancels open assignments when the round is decided or withdrawn
        "cancel": ({"invited", "accepted"}, "cancelled", ("qa_officer", "system")),
        "reinstate": ({"declined", "expired", "cancelled"}, "invited", ("qa_officer",)),
        "submit": ({"accepted"}, "submitted", ("reviewer",)),
        "reopen": ({"submitted"}, "accepted", ("qa_officer",)),
    }


# -- helpers ------------------------------------------------------------------------------
def refused(client, url, data, status, message, check):
    """POST as a browser and as a JSON client: both refused with ``message``; nothing changed."""
    r = client.post(url, data=data)
    assert r.status_code == status, text(r)[-500:]
    assert message in text(r)
    r = client.post(url, data=data, headers=JSON)
    assert r.status_code == status
    assert message in r.json["message"]
    check()


def inbox_titles(user) -> list[str]:
    return list(
        db.session.scalars(sa.select(Notification.title).where(Notification.user_id == user.id))
    )


def invited(people, dossier, reviewer=None):
    a = invitations.invite_reviewer(people.officer, dossier, reviewer or people.reviewer)
    commit()
    return a


def accepted(people, dossier, reviewer=None):
    a = invited(people, dossier, reviewer)
    invitations.accept_invitation(a.reviewer, a, no_conflict=True)
    commit()
    return a


def refresh(a):
    db.session.expire_all()
    return db.session.merge(a)


# -- accept -------------------------------------------------------------------------------
def test_accept(client, login, people, make_user, screening, unchanged):
    dossier = screening()
    a = invited(people, dossier)
    url = f"/reviews/assignments/{a.id}/accept"
    data = {"no_conflict": "y", "declaration": "Never worked with them."}

    # refused role: a QA officer, and another reviewer (who cannot even see it)
    check = unchanged()
    login(client, people.officer)
    refused(client, url, data, 403, "not allowed", check)
    with pytest.raises(NotPermitted):
        invitations.accept_invitation(people.officer, a, no_conflict=True)
    other = make_user(Role.REVIEWER)
    login(client, other)
    assert client.post(url, data=data).status_code == 404
    check()

    # refused state: an invitation already declined
    b = invited(people, dossier, make_user(Role.REVIEWER, name="Dee Clined"))
    invitations.decline_invitation(b.reviewer, b, "No time.")
    commit()
    check = unchanged()
    login(client, b.reviewer)
    refused(client, f"/reviews/assignments/{b.id}/accept", data, 409, "is declined", check)

    # allowed: the invited reviewer, declaring no conflict
    check = unchanged()
    login(client, people.reviewer)
    refused(client, url, {"declaration": "x"}, 400, "Tick the declaration", check)
    r = client.post(url, data=data, headers=JSON)
    assert r.status_code == 200 and r.json["state"] == "accepted"
    a = refresh(a)
    assert a.state == A.ACCEPTED and a.responded_at is not None
    assert a.conflict_declaration == "Never worked with them."
    assert audit_actions()[-1] == "review_assignment.accept"
    assert any("accepted" in t for t in inbox_titles(people.officer))


# -- decline ------------------------------------------------------------------------------
def test_decline(client, login, people, make_user, screening, unchanged):
    dossier = screening()
    a = invited(people, dossier)
    url = f"/reviews/assignments/{a.id}/decline"
    data = {"reason": "A conflict: I examined their students."}

    check = unchanged()
    login(client, people.officer)
    refused(client, url, data, 403, "not allowed", check)
    with pytest.raises(NotPermitted):
        invitations.decline_invitation(people.officer, a, "No.")
    check()

    b = accepted(people, dossier, make_user(Role.REVIEWER, name="Acc Epted"))
    check = unchanged()
    login(client, b.reviewer)
    refused(client, f"/reviews/assignments/{b.id}/decline", data, 409, "is accepted", check)

    check = unchanged()
    login(client, people.reviewer)
    refused(client, url, {"reason": " "}, 400, "reason", check)
    r = client.post(url, data=data)
    assert r.status_code == 302
    a = refresh(a)
    assert a.state == A.DECLINED and a.decline_reason == data["reason"]
    assert a.responded_at is not None
    assert audit_actions()[-1] == "review_assignment.decline"
    assert any("declined" in t for t in inbox_titles(people.officer))


# -- expire (the reminder job; no route) ---------------------------------------------------
def test_expire(people, make_user, screening, unchanged):
    dossier = screening()
    a = invited(people, dossier)

    check = unchanged()
    with pytest.raises(NotPermitted):
        ASSIGNMENT_MACHINE.fire(a, "expire", actor=people.officer, role="qa_officer")
    check()

    b = accepted(people, dossier, make_user(Role.REVIEWER))
    check = unchanged()
    with pytest.raises(TransitionNotAllowed, match="is accepted"):
        invitations.expire_invitation(b)
    check()

    invitations.expire_invitation(a)
    commit()
    a = refresh(a)
    assert a.state == A.EXPIRED
    assert audit_actions()[-1] == "review_assignment.expire"
    assert any("expired" in t for t in inbox_titles(people.officer))


# -- cancel -------------------------------------------------------------------------------
def test_cancel(client, login, people, panel, workflow, unchanged):
    dossier, (a, b) = workflow.in_review()
    scoring.submit_review(b.reviewer, b, **full_scores(b))
    commit()
    cancel = f"/dossiers/{dossier.id}/panel/{{}}/cancel"

    check = unchanged()
    login(client, a.reviewer)
    refused(client, cancel.format(a.id), {"reason": "x"}, 403, "not allowed", check)
    with pytest.raises(NotPermitted):
        invitations.cancel_assignment(a.reviewer, a)
    check()

    login(client, people.officer)
    check = unchanged()
    refused(client, cancel.format(b.id), {}, 409, "is submitted", check)

    r = client.post(cancel.format(a.id), data={"reason": "Too late."}, headers=JSON)
    assert r.status_code == 200
    a = refresh(a)
    assert a.state == A.CANCELLED
    assert audit_actions()[-1] == "review_assignment.cancel"
    assert any("cancelled" in t for t in inbox_titles(a.reviewer))
    # an invitation still unanswered can be cancelled too
    c = invited(people, dossier, panel[2])
    assert client.post(cancel.format(c.id)).status_code == 302
    assert refresh(c).state == A.CANCELLED


# -- reinstate ----------------------------------------------------------------------------
@pytest.mark.parametrize("how", ["declined", "expired", "cancelled"])
def test_reinstate(how, client, login, people, make_user, screening, unchanged):
    dossier = screening()
    a = invited(people, dossier)
    if how == "declined":
        invitations.decline_invitation(a.reviewer, a, "Busy.")
    elif how == "expired":
        invitations.expire_invitation(a)
    else:
        invitations.cancel_assignment(people.officer, a, "Mistake.")
    commit()
    url = f"/dossiers/{dossier.id}/panel/{a.id}/reinstate"
    today = clock.today()
    dates = {
        "response_due": str(today + timedelta(days=3)),
        "review_due": str(today + timedelta(days=40)),
    }

    check = unchanged()
    login(client, a.reviewer)
    refused(client, url, dates, 403, "not allowed", check)
    with pytest.raises(NotPermitted):
        invitations.reinstate_assignment(a.reviewer, a)
    check()

    b = accepted(people, dossier, make_user(Role.REVIEWER))
    login(client, people.officer)
    check = unchanged()
    refused(client, f"/dossiers/{dossier.id}/panel/{b.id}/reinstate", dates, 409, "accepted", check)
    # bad dates are refused too, before anything changes
    past = {"response_due": str(today - timedelta(days=1))}
    refused(client, url, past, 400, "cannot be in the past", check)

    r = client.post(url, data=dates, headers=JSON)
    assert r.status_code == 200, r.json
    a = refresh(a)
    assert a.state == A.INVITED
    assert (str(a.response_due), str(a.review_due)) == (dates["response_due"], dates["review_due"])
    assert a.responded_at is None and a.decline_reason == ""
    assert audit_actions()[-1] == "review_assignment.reinstate"
    assert sum("Invitation to review" in t for t in inbox_titles(a.reviewer)) == 2
    page = client.get(f"/dossiers/{dossier.id}")
    assert "Declined: Busy." not in text(page)


# -- submit -------------------------------------------------------------------------------
def test_submit(client, login, people, panel, workflow, screening, unchanged):
    dossier, (a, b) = workflow.in_review()
    draft = full_scores(a)
    form = {
        f"scores-{i}-{k}": v
        for i, (cid, values) in enumerate(draft["scores"].items())
        for k, v in {"criterion_id": cid, **values}.items()
    } | {
        "recommendation": "approve",
        "comments_to_provider": "Sound.",
        "confidential_comments": "",
        "submit": "1",
    }
    url = f"/reviews/assignments/{a.id}/review"

    # refused role: the officer (and, at the operation, another reviewer)
    check = unchanged()
    login(client, people.officer)
    refused(client, url, form, 403, "not allowed", check)
    with pytest.raises(NotPermitted):
        scoring.submit_review(b.reviewer, a, **draft)
    check()

    # refused state: an invitation not yet accepted, in another dossier
    other = screening()
    c = invited(people, other, panel[0])
    check = unchanged()
    login(client, panel[0])
    refused(client, f"/reviews/assignments/{c.id}/review", form, 409, "is invited", check)
    with pytest.raises(TransitionNotAllowed):
        scoring.submit_review(panel[0], c)
    check()

    r = client.post(url, data=form, headers=JSON)
    assert r.status_code == 200 and r.json["state"] == "submitted"
    a = refresh(a)
    assert a.state == A.SUBMITTED and a.submitted_at is not None
    assert "review_assignment.submit" in audit_actions()
    assert any("submitted a review" in t for t in inbox_titles(people.officer))
    # and once submitted, submitting again is a refused state
    check = unchanged()
    refused(client, url, form, 409, "submitted", check)


# -- reopen -------------------------------------------------------------------------------
def test_reopen(client, login, people, workflow, unchanged):
    dossier, (a, b) = workflow.in_review()
    scoring.submit_review(a.reviewer, a, **full_scores(a))
    commit()
    url = f"/dossiers/{dossier.id}/panel/{{}}/reopen"
    reason = {"reason": "Criterion 2 has no comment on the oral exam."}

    check = unchanged()
    login(client, a.reviewer)
    refused(client, url.format(a.id), reason, 403, "not allowed", check)
    with pytest.raises(NotPermitted):
        scoring.reopen_review(a.reviewer, a, "x")
    check()

    login(client, people.officer)
    check = unchanged()
    refused(client, url.format(b.id), reason, 409, "is accepted", check)
    refused(client, url.format(a.id), {"reason": ""}, 400, "Say why", check)

    assert client.post(url.format(a.id), data=reason).status_code == 302
    a = refresh(a)
    assert a.state == A.ACCEPTED and a.submitted_at is None
    assert audit_actions()[-1] == "review_assignment.reopen"
    note = db.session.scalars(
        sa.select(Notification)
        .where(Notification.user_id == a.reviewer_id)
        .order_by(Notification.id)
    ).all()[-1]
    assert "reopened" in note.title and reason["reason"] in note.body
