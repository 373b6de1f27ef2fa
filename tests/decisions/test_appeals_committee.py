"""The appeals committee (ESG 2.7): only its members decide appeals, and only those who had
no part in the decision under appeal (not its decider, the case officer, a reviewer of the
dossier, a member of the provider); at least the policy's number of members, with the
meeting date; "approved with conditions" can be appealed, its listing staying published
while the appeal is heard; the committee's pages are its members' only pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from werkzeug.security import generate_password_hash

from qa_portal import demo
from qa_portal.accounts import queries
from qa_portal.accounts.models import Role
from qa_portal.catalogue.models import ListingState, PublicStatus
from qa_portal.catalogue.operations import listing_of
from qa_portal.core import clock
from qa_portal.core.db import commit
from qa_portal.core.errors import InvalidInput, NotPermitted
from qa_portal.decisions import appeals_committee, operations
from qa_portal.decisions.models import Appeal, AppealState, Complaint, Outcome
from qa_portal.demo_decisions import APPEALS_MEMBERS, seed_complaints_and_appeals
from qa_portal.dossiers.models import DossierState
from qa_portal.extensions import db
from qa_portal.reviews.policy import current_policy, update_policy
from tests.helpers import last_transition, notified, page_text, pdf_bytes
from tests.test_access_matrix import _ready_report

from .helpers import GROUNDS, world

S = DossierState


@pytest.fixture
def members(make_user):
    return [make_user(Role.APPEALS_COMMITTEE, name=f"Member {i}") for i in (1, 2, 3)]


def _appeal(dossier) -> Appeal:
    return db.session.execute(
        db.select(Appeal).where(Appeal.dossier_id == dossier.id).order_by(Appeal.id.desc())
    ).scalar()


def _form(member_ids, verdict="uphold", day=None) -> dict:
    return {
        "verdict": verdict,
        "rationale": "The committee read the reports and the grounds.",
        "members": [str(i) for i in member_ids],
        "meeting_date": (day or clock.today()).isoformat(),
    }


def test_lodging_tells_the_committee_members_without_a_part(reach, people, members, workflow):
    # a committee member who also reviewed the dossier is not told
    reviewer = workflow.reviewers[0]
    reviewer.grant(Role.APPEALS_COMMITTEE)
    commit()
    dossier = reach(S.APPEAL, "rejected")
    for member in members:
        assert [n.kind for n in notified(member)] == ["appeal"]
    assert not [n for n in notified(reviewer) if n.kind == "appeal"]
    assert not [n for n in notified(people.officer) if n.kind == "appeal"]
    assert dossier.state == S.APPEAL


def test_had_part_in(reach, people, members, workflow, make_user):
    dossier = reach(S.APPEAL, "rejected")
    decision = _appeal(dossier).decision
    assert appeals_committee.had_part_in(people.officer, decision)  # decider, case officer
    assert appeals_committee.had_part_in(workflow.reviewers[0], decision)
    assert appeals_committee.had_part_in(people.provider_a, decision)
    assert not appeals_committee.had_part_in(members[0], decision)
    assert not appeals_committee.had_part_in(people.admin, decision)


def test_members_with_a_part_are_refused(reach, people, members, workflow):
    dossier = reach(S.APPEAL, "rejected")
    appeal = _appeal(dossier)
    reviewer = workflow.reviewers[0]
    reviewer.grant(Role.APPEALS_COMMITTEE)
    people.officer.grant(Role.APPEALS_COMMITTEE)
    commit()
    before = world(dossier)
    for who in (reviewer, people.officer):  # as the one who records it
        with pytest.raises(NotPermitted, match="had a part"):
            operations.decide_appeal(who, appeal, uphold=True, rationale="Stands.")
        commit()
    # as one of the members who took part
    with pytest.raises(InvalidInput, match=f"{reviewer.name} had a part"):
        operations.decide_appeal(
            members[0], appeal, uphold=True, rationale="Stands.", members=[reviewer]
        )
    # a member must be on the committee
    with pytest.raises(InvalidInput, match="not a member of the appeals committee"):
        operations.decide_appeal(
            members[0], appeal, uphold=True, rationale="Stands.", members=[people.admin]
        )
    commit()
    assert world(dossier) == before


def test_qa_officers_and_admins_are_refused(reach, people, officer2):
    dossier = reach(S.APPEAL, "revise_and_resubmit")
    appeal = _appeal(dossier)
    for who in (officer2, people.admin, people.provider_a):
        with pytest.raises(NotPermitted, match="appeals committee"):
            operations.decide_appeal(who, appeal, uphold=False, rationale="Wrong.")
    commit()
    assert appeal.state == AppealState.LODGED


def test_the_policy_minimum_of_members_and_the_meeting_date(reach, people, members):
    update_policy(people.admin, {"appeals_committee_size": 3})
    commit()
    dossier = reach(S.APPEAL, "rejected")
    appeal = _appeal(dossier)
    before = world(dossier)
    with pytest.raises(InvalidInput, match="At least 3 members"):
        operations.decide_appeal(
            members[0], appeal, uphold=True, rationale="Stands.", members=members[:2]
        )
    with pytest.raises(InvalidInput, match="future"):
        operations.decide_appeal(
            members[0],
            appeal,
            uphold=True,
            rationale="Stands.",
            members=members,
            meeting_date=clock.today() + timedelta(days=1),
        )
    with pytest.raises(InvalidInput, match="before the appeal was lodged"):
        operations.decide_appeal(
            members[0],
            appeal,
            uphold=True,
            rationale="Stands.",
            members=members,
            meeting_date=clock.today() - timedelta(days=3),
        )
    commit()
    assert world(dossier) == before
    operations.decide_appeal(
        members[0], appeal, uphold=True, rationale="Stands.", members=members[1:]
    )
    commit()
    assert appeal.state == AppealState.UPHELD
    assert {u.id for u in appeal.hearing.members} == {m.id for m in members}
    assert appeal.hearing.meeting_date == clock.today()
    entry = last_transition(appeal, "uphold")
    assert sorted(entry["members"]) == sorted(m.id for m in members)


def test_the_committee_page(client, login, reach, people, members):
    dossier = reach(S.APPEAL, "rejected")
    appeal = _appeal(dossier)
    login(client, members[0])
    home = client.get("/")
    assert home.status_code == 302 and home.headers["Location"].endswith("/appeals/")
    html = client.get("/appeals/").get_data(as_text=True)
    nav = html.split("</nav>", 1)[0]
    assert 'href="/appeals/" aria-current="page">Appeals</a>' in nav
    assert "/dossiers/queue" not in nav and "/admin/" not in nav
    listing = page_text(client.get("/appeals/"))
    assert dossier.reference in listing and f"/appeals/{appeal.id}" in listing
    page = page_text(client.get(f"/appeals/{appeal.id}"))
    assert GROUNDS in page and appeal.decision.rationale in page
    assert "Record the committee’s decision" in page
    # QA pages stay closed to a committee member
    assert client.get("/dossiers/queue").status_code == 403
    assert client.get(f"/dossiers/{dossier.id}").status_code == 404
    # errors come back next to the fields
    response = client.post(f"/appeals/{appeal.id}", data={"rationale": ""})
    assert response.status_code == 400
    assert "Choose whether to uphold or overturn." in page_text(response)
    response = client.post(f"/appeals/{appeal.id}", data=_form([members[0].id], "overturn"))
    assert response.status_code == 302
    db.session.refresh(dossier)
    assert dossier.state == S.DECISION_PENDING
    page = page_text(client.get(f"/appeals/{appeal.id}"))
    assert "The committee’s decision: Overturned" in page and members[0].name in page


def test_a_member_with_a_part_sees_no_form(client, login, reach, people, workflow):
    dossier = reach(S.APPEAL, "rejected")
    appeal = _appeal(dossier)
    reviewer = workflow.reviewers[0]
    reviewer.grant(Role.APPEALS_COMMITTEE)
    commit()
    login(client, reviewer)
    assert f"/appeals/{appeal.id}" not in page_text(client.get("/appeals/"))
    page = page_text(client.get(f"/appeals/{appeal.id}"))
    assert "You had a part in the decision under appeal" in page
    assert "Record the decision" not in page
    before = world(dossier)
    response = client.post(f"/appeals/{appeal.id}", data=_form([reviewer.id]))
    assert response.status_code == 403 and "had a part" in page_text(response)
    assert world(dossier) == before


# -- approved with conditions -------------------------------------------------------------
def _published_with_conditions(workflow):
    case = workflow.case(submit=True).decide("approved_with_conditions").publish()
    return case.dossier, case.decision, case.listing


def test_approved_with_conditions_can_be_appealed_and_the_listing_stays(
    client, login, workflow, people, members
):
    dossier, decision, listing = _published_with_conditions(workflow)
    assert decision.outcome == Outcome.APPROVED_WITH_CONDITIONS
    assert decision.appeal_deadline == clock.today() + timedelta(days=30)
    login(client, people.provider_a)
    assert "Appeal…" in page_text(client.get(f"/dossiers/{dossier.id}"))
    response = client.post(f"/dossiers/{dossier.id}/appeal", data={"grounds": GROUNDS})
    assert response.status_code == 302
    db.session.refresh(dossier)
    assert dossier.state == S.APPEAL
    # the approval stands while the appeal is heard: the listing stays published and valid
    listing = listing_of(dossier)
    assert listing.state == ListingState.VALID
    assert listing.public_status(clock.today()) == PublicStatus.CONDITIONS_OPEN
    assert client.get(f"/catalogue/{listing.id}").status_code == 200
    # upheld: back to approved with conditions, the listing unchanged
    operations.decide_appeal(members[0], _appeal(dossier), uphold=True, rationale="Fair.")
    commit()
    assert dossier.state == S.APPROVED_WITH_CONDITIONS
    assert listing_of(dossier).state == ListingState.VALID
    assert operations.latest_decision(dossier).id == decision.id


def test_overturned_conditions_go_to_a_new_decision_by_another_officer(
    workflow, people, members, officer2
):
    dossier, decision, _ = _published_with_conditions(workflow)
    operations.lodge_appeal(people.provider_a, dossier, GROUNDS)
    commit()
    operations.decide_appeal(members[0], _appeal(dossier), uphold=False, rationale="Too harsh.")
    commit()
    assert dossier.state == S.DECISION_PENDING
    db.session.refresh(decision)
    assert decision.superseded_at is not None
    with pytest.raises(NotPermitted, match="overturned on appeal"):
        operations.decide_round(people.officer, dossier, outcome="approved", rationale="Fine.")
    commit()
    new = operations.decide_round(officer2, dossier, outcome="approved", rationale="No conditions.")
    commit()
    assert dossier.state == S.APPROVED and new.decided_by_id == officer2.id


# -- the demo -------------------------------------------------------------------------------
def test_the_demo_data(app, client, login, monkeypatch):
    monkeypatch.setattr("qa_portal.demo._pdf", lambda title, body: pdf_bytes(title))
    monkeypatch.setattr(
        "qa_portal.accounts.models.generate_password_hash",
        lambda password: generate_password_hash(password, method="pbkdf2:sha256:1000"),
    )
    demo.seed()
    commit()
    pdfs = (pdf_bytes("Curriculum"), pdf_bytes("Assessment"))
    for _ in range(2):  # idempotent
        seed_complaints_and_appeals(pdfs, demo.DEMO_PASSWORD)
        commit()
    states = db.session.execute(db.select(Complaint.state)).scalars().all()
    assert sorted(s.value for s in states) == ["acknowledged", "lodged", "resolved", "withdrawn"]
    member = queries.user_by_email(APPEALS_MEMBERS[0][0])
    (appeal,) = db.session.execute(
        db.select(Appeal).where(Appeal.state == AppealState.UPHELD)
    ).scalars()
    assert appeal.decision.outcome == Outcome.APPROVED_WITH_CONDITIONS
    assert len(appeal.hearing.members) == 2
    assert listing_of(appeal.dossier).state == ListingState.VALID
    login(client, member)
    assert client.get(f"/appeals/{appeal.id}").status_code == 200
    assert "Blockchain for Managers" in page_text(client.get("/appeals/"))
    assert client.get("/appeals-and-complaints").status_code == 200


def test_the_committee_reads_the_reports_of_the_appealed_decision(client, login, reach, members):
    current_policy().published_outcomes = ""  # no negative outcome in the public record
    dossier = reach(S.APPEAL, "rejected")
    appeal = _appeal(dossier)
    report = _ready_report(dossier, appeal.decision)  # the public report, not published
    commit()
    login(client, members[0])
    page = client.get(f"/appeals/{appeal.id}").get_data(as_text=True)
    assert f"/reports/{report.id}/download" in page
    assert client.get(f"/reports/{report.id}/download").status_code == 200
    other = reach(S.REJECTED)  # not appealed: its report stays closed to the committee
    closed = _ready_report(other, operations.latest_decision(other))
    commit()
    assert client.get(f"/reports/{closed.id}").status_code == 404
