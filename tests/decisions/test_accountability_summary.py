"""The yearly public summary of appeals and complaints (ESG 2.7): per calendar year of
lodging, the appeals lodged, upheld, overturned and pending, and the complaints lodged, by
category, by outcome, withdrawn and pending; public, and naming nobody."""

from __future__ import annotations

from datetime import datetime

from qa_portal.core import clock
from qa_portal.core.db import commit
from qa_portal.decisions import complaints, operations
from qa_portal.decisions.models import Appeal
from qa_portal.dossiers.models import DossierState
from qa_portal.extensions import db
from tests.helpers import page_text

from .helpers import GROUNDS

TEXT = "The panel's site visit was cancelled twice without any explanation to us."
RESPONSE = "The visit was moved because of a strike; we should have told you why."


def _appeal(dossier) -> Appeal:
    return db.session.execute(db.select(Appeal).where(Appeal.dossier_id == dossier.id)).scalar()


def _world(reach, people, appeals_member):
    upheld = _appeal(reach(DossierState.APPEAL, "rejected"))
    overturned = _appeal(reach(DossierState.APPEAL, "revise_and_resubmit"))
    pending = _appeal(reach(DossierState.APPEAL, "desk_rejected"))
    operations.decide_appeal(appeals_member, upheld, uphold=True, rationale="It stands.")
    operations.decide_appeal(appeals_member, overturned, uphold=False, rationale="Misjudged.")
    last_year = datetime(clock.today().year - 1, 6, 1)
    pending.lodged_at = last_year

    def complaint(author, category, outcome=None, withdrawn=False):
        c = complaints.file_complaint(author, category=category, text=TEXT)
        if outcome:
            complaints.acknowledge_complaint(people.admin, c)
            complaints.resolve_complaint(people.admin, c, outcome=outcome, response=RESPONSE)
        if withdrawn:
            complaints.withdraw_complaint(author, c)
        return c

    complaint(people.provider_a, "conduct", "upheld")
    complaint(people.reviewer, "process", "partly_upheld")
    complaint(people.provider_b, "process", "not_upheld")
    complaint(people.provider_a, "other", withdrawn=True)
    complaint(people.reviewer, "conduct").lodged_at = last_year
    commit()
    return clock.today().year


def test_the_yearly_counts(reach, people, appeals_member):
    year = _world(reach, people, appeals_member)
    this, last = complaints.yearly_summary()
    assert (this["year"], last["year"]) == (year, year - 1)
    assert this["appeals"] == {"lodged": 2, "upheld": 1, "overturned": 1, "pending": 0}
    assert last["appeals"] == {"lodged": 1, "upheld": 0, "overturned": 0, "pending": 1}
    assert this["complaints"] == {
        "lodged": 4,
        "by_category": {"conduct": 1, "process": 2, "other": 1},
        "by_outcome": {"upheld": 1, "partly_upheld": 1, "not_upheld": 1},
        "withdrawn": 1,
        "pending": 0,
    }
    assert last["complaints"]["lodged"] == 1 and last["complaints"]["pending"] == 1


def test_the_public_page_names_nobody(client, login, reach, people, appeals_member):
    year = _world(reach, people, appeals_member)
    login(client, None)
    response = client.get("/appeals-and-complaints")
    assert response.status_code == 200
    text = page_text(response)
    assert str(year) in text and str(year - 1) in text
    assert "Partly upheld" in text and "Withdrawn" in text
    for person in (people.provider_a, people.reviewer, people.admin, appeals_member):
        assert person.name not in text
    assert TEXT not in text and GROUNDS not in text and people.org_a.name not in text


def test_no_year_without_any_appeal_or_complaint(client):
    assert complaints.yearly_summary() == []
    assert "No appeal or complaint has been lodged yet." in page_text(
        client.get("/appeals-and-complaints")
    )
