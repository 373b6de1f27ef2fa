"""Races on the officer's actions, on SQLite and PostgreSQL: the same reviewer invited by
two requests at the same instant, the same dossier published by two. Each ends with one
invitation, one listing; the request that lost gets a clear refusal (409 or a message on
the page), never a 500."""

from __future__ import annotations

import sqlalchemy as sa

from qa_portal.catalogue.models import Listing
from qa_portal.extensions import db
from qa_portal.reviews.models import ReviewAssignment, ReviewRound
from tests.concurrency.helpers import race

REPEAT = 3


def post(client, url: str, data: dict | None = None):
    def prepare():
        return lambda: client.post(url, data=data or {})

    return prepare


def assert_no_server_error(responses) -> list[int]:
    codes = sorted(getattr(r, "status_code", None) for r in responses)
    assert all(isinstance(c, int) and c < 500 for c in codes), responses
    return codes


def test_the_same_reviewer_invited_twice_at_once(app, login, people, panel, workflow, audit_ok):
    for _ in range(REPEAT):
        dossier = workflow.screening()
        url = f"/dossiers/{dossier.id}/panel/invite"
        clients = [login(app.test_client(), people.officer) for _ in range(2)]
        responses = race(app, [post(c, url, {"reviewer_id": panel[0].id}) for c in clients])
        codes = assert_no_server_error(responses)
        assert codes == [302, 409]
        db.session.commit()  # read what the requests committed
        invited = db.session.execute(
            sa.select(sa.func.count())
            .select_from(ReviewAssignment)
            .join(ReviewRound, ReviewRound.id == ReviewAssignment.round_id)
            .where(
                ReviewAssignment.reviewer_id == panel[0].id, ReviewRound.dossier_id == dossier.id
            )
        ).scalar_one()
        assert invited == 1


def test_the_same_dossier_published_twice_at_once(app, login, people, workflow, audit_ok):
    for _ in range(REPEAT):
        dossier, _ = workflow.decided("approved")
        url = f"/dossiers/{dossier.id}/publish"
        clients = [login(app.test_client(), people.officer) for _ in range(2)]
        responses = race(app, [post(c, url) for c in clients])
        codes = assert_no_server_error(responses)
        assert codes == [302, 409]
        db.session.commit()  # read what the requests committed
        listings = db.session.execute(
            sa.select(sa.func.count()).where(Listing.dossier_id == dossier.id)
        ).scalar_one()
        assert listings == 1
