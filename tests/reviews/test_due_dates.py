"""Due dates of an assignment: defaults from the review policy, validated when QA sets them,
flagged when overdue."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from qa_portal.core import clock
from qa_portal.core.db import commit
from qa_portal.extensions import db
from qa_portal.reviews import invitations
from qa_portal.reviews.models import ReviewAssignment
from qa_portal.reviews.policy import update_policy
from tests.helpers import audit_actions
from tests.reviews.helpers import JSON, row_of, text


def test_invitation_dates_default_from_the_policy(client, login, people, screening):
    update_policy(people.admin, {"response_days": 5, "review_days": 20})
    dossier = screening()
    login(client, people.officer)
    r = client.post(
        f"/dossiers/{dossier.id}/panel/invite",
        data={"reviewer_id": people.reviewer.id, "response_due": "", "review_due": ""},
        headers=JSON,
    )
    assert r.status_code == 200
    a = db.session.get(ReviewAssignment, r.json["assignment_id"])
    today = clock.today()
    assert a.response_due == today + timedelta(days=5)
    assert a.review_due == today + timedelta(days=25)


def test_explicit_dates_are_validated(client, login, people, screening, unchanged):
    dossier = screening()
    login(client, people.officer)
    today = clock.today()
    url = f"/dossiers/{dossier.id}/panel/invite"
    check = unchanged()
    for dates, message in [
        ({"response_due": str(today - timedelta(days=1))}, "cannot be in the past"),
        (
            {
                "response_due": str(today + timedelta(days=10)),
                "review_due": str(today + timedelta(days=9)),
            },
            "must come after the response date",
        ),
        ({"response_due": "next friday"}, "YYYY-MM-DD"),
    ]:
        data = {"reviewer_id": people.reviewer.id, **dates}
        r = client.post(url, data=data)
        assert r.status_code == 400 and message in text(r)
        r = client.post(url, data=data, headers=JSON)
        assert r.status_code == 400 and message in r.json["message"]
    check()
    assert "review_assignment.invite" not in audit_actions()

    dates = {
        "response_due": str(today + timedelta(days=2)),
        "review_due": str(today + timedelta(days=30)),
    }
    r = client.post(url, data={"reviewer_id": people.reviewer.id, **dates})
    assert r.status_code == 302
    a = db.session.scalars(sa.select(ReviewAssignment)).one()
    assert (str(a.response_due), str(a.review_due)) == (dates["response_due"], dates["review_due"])


def test_overdue_assignments_are_flagged(client, login, people, panel, screening):
    dossier = screening()
    late = invitations.invite_reviewer(people.officer, dossier, people.reviewer)
    invitations.invite_reviewer(people.officer, dossier, panel[1])
    commit()
    late.response_due = clock.today() - timedelta(days=1)
    commit()
    login(client, people.officer)
    page = client.get(f"/dossiers/{dossier.id}")
    assert "overdue" in row_of(page, "Panel, round 1", people.reviewer.name)
    assert "overdue" not in row_of(page, "Panel, round 1", panel[1].name)
    login(client, people.reviewer)
    assert "overdue since" in text(client.get("/reviews/"))
