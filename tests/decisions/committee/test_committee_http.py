"""The decision committee through its pages: the policy form, the officer's proposal, a
member's list and proposal page (and nothing else of the portal), votes, the record of the
committee's decision, and who decided on the dossier page."""

from __future__ import annotations

from datetime import timedelta

from qa_portal.accounts.models import Role
from qa_portal.core import clock
from qa_portal.core.db import commit
from qa_portal.decisions import committee
from qa_portal.decisions.models import ProposalState
from qa_portal.dossiers.models import DossierState
from qa_portal.extensions import db
from qa_portal.reviews.policy import current_policy
from tests.reviews.helpers import field_errors, text

from .names import COMMITTEE_NAME

RATIONALE = "Every criterion is met; the committee is asked to approve."


def proposed(people, dossier, outcome="approved"):
    proposal = committee.propose_decision(
        people.officer, dossier, outcome=outcome, rationale=RATIONALE
    )
    commit()
    return proposal


def test_the_admin_sets_the_committee_in_the_policy(client, login, people):
    login(client, people.admin)
    page = client.get("/admin/policy")
    assert "Who decides" in text(page) and 'name="committee_quorum"' in page.data.decode()
    r = client.post("/admin/policy", data={"decision_body": "committee", "committee_name": ""})
    assert r.status_code == 400
    assert "Name the committee" in field_errors(r, "committee_name")
    assert current_policy().decision_body == "officer"
    r = client.post("/admin/policy", data={"decision_body": "committee", "committee_quorum": "0"})
    assert r.status_code == 400 and "between 1 and 20" in field_errors(r, "committee_quorum")
    r = client.post(
        "/admin/policy",
        data={
            "decision_body": "committee",
            "committee_name": COMMITTEE_NAME,
            "committee_quorum": "2",
        },
    )
    assert r.status_code == 302
    db.session.expire_all()
    policy = current_policy()
    assert (policy.decision_body, policy.committee_name, policy.committee_quorum) == (
        "committee",
        COMMITTEE_NAME,
        2,
    )


def test_the_admin_grants_the_committee_role(client, login, people, make_user):
    newcomer = make_user(name="Nora Board")
    login(client, people.admin)
    page = client.get(f"/admin/users/{newcomer.id}")
    assert "Decision committee member" in text(page)
    r = client.post(
        f"/admin/users/{newcomer.id}",
        data={"name": "Nora Board", "organisation_id": "0", "roles": ["committee"]},
    )
    assert r.status_code == 302
    db.session.expire_all()
    assert db.session.get(type(newcomer), newcomer.id).roles == {Role.COMMITTEE}


def test_the_officer_proposes_through_the_decision_form(
    client, login, people, in_committee, pending, members
):
    in_committee()
    dossier = pending()
    login(client, people.officer)
    page = client.get(f"/dossiers/{dossier.id}")
    assert f"/dossiers/{dossier.id}/propose" in page.data.decode()
    assert f"/dossiers/{dossier.id}/decide" not in page.data.decode()
    # the decision page sends the officer on to the proposal form
    decide = f"/dossiers/{dossier.id}/decide"
    r = client.get(decide)
    assert r.status_code == 302 and r.headers["Location"].endswith(f"{dossier.id}/propose")
    r = client.post(decide, data={"outcome": "approved", "rationale": "x"})
    assert r.status_code == 409 and "propose the decision" in text(r)

    form = client.get(f"/dossiers/{dossier.id}/propose")
    assert form.status_code == 200 and "Propose to the committee" in text(form)
    r = client.post(
        f"/dossiers/{dossier.id}/propose",
        data={"outcome": "approved_with_conditions", "rationale": RATIONALE},
    )
    assert r.status_code == 400 and "at least one condition" in text(r)
    assert RATIONALE in r.data.decode()  # what was typed is kept
    assert committee.open_proposal(dossier) is None
    r = client.post(
        f"/dossiers/{dossier.id}/propose", data={"outcome": "approved", "rationale": RATIONALE}
    )
    assert r.status_code == 302
    assert r.headers["Location"].endswith(f"/committee/dossiers/{dossier.id}")
    page = client.get(f"/dossiers/{dossier.id}")
    assert "Proposal before the committee: Approved" in text(page)


def test_a_member_sees_the_committee_pages_and_nothing_else(
    client, login, people, in_committee, pending, members
):
    in_committee()
    dossier = pending()
    proposed(people, dossier)
    member = members[0]
    login(client, member)
    home = client.get("/")
    assert home.status_code == 302 and home.headers["Location"].endswith("/committee/")
    listing = client.get("/committee/")
    assert listing.status_code == 200 and dossier.display_title in text(listing)
    assert 'href="/committee/"' in listing.data.decode()  # "Committee" in the navigation
    page = client.get(f"/committee/dossiers/{dossier.id}")
    assert page.status_code == 200
    shown = text(page)
    assert dossier.display_title in shown and dossier.organisation.name in shown
    assert RATIONALE in shown and "Reviewer 1" in shown and "Mean" in shown
    for assignment in dossier.current_round.assignments:  # reviews anonymised
        assert assignment.reviewer.name not in shown
    assert f'href="/dossiers/{dossier.id}"' not in page.data.decode()
    for url in (
        f"/dossiers/{dossier.id}",
        f"/dossiers/{dossier.id}/versions/1",
        f"/dossiers/{dossier.id}/decide",
        f"/dossiers/{dossier.id}/propose",
        "/dossiers/queue",
        "/admin/",
        "/admin/users",
        "/admin/policy",
    ):
        assert client.get(url).status_code in (403, 404), url
    assert client.get(f"/dossiers/{dossier.id}").status_code == 404
    # a dossier not put to the committee: nothing to see
    assert client.get(f"/committee/dossiers/{pending().id}").status_code == 404


def test_members_vote_and_record_the_decision_on_the_proposal_page(
    client, login, people, in_committee, pending, members
):
    in_committee(quorum=2)
    dossier = pending()
    proposal = proposed(people, dossier)
    url = f"/committee/dossiers/{dossier.id}"
    login(client, members[0])
    r = client.post(f"{url}/vote", data={"vote": "disagree", "comment": ""})
    assert r.status_code == 400 and "Say why you disagree" in text(r)
    assert proposal.votes == []
    assert client.post(f"{url}/vote", data={"vote": "agree"}).status_code == 302
    r = client.post(f"{url}/vote", data={"vote": "agree"})
    assert r.status_code == 409 and "already voted" in text(r)
    r = client.post(f"{url}/record", data={})
    assert r.status_code == 409 and "1 of the 2 votes" in text(r)
    login(client, members[1])
    assert client.post(f"{url}/vote", data={"vote": "agree"}).status_code == 302
    page = client.get(url)
    assert "2 agree · 0 disagree · 0 abstain" in text(page)
    assert "Member One" in text(page) and "Member Two" in text(page)
    # the form as the browser sends it: the proposal's rationale, its lines broken anew
    sent = {"meeting_date": "", "outcome": "", "rationale": RATIONALE.replace("; ", ";\r\n")}
    r = client.post(f"{url}/record", data=sent)
    assert r.status_code == 302
    db.session.expire_all()
    assert proposal.state == ProposalState.DECIDED
    assert dossier.state == DossierState.APPROVED
    assert "Decided " in text(client.get(url))  # the proposal page says so

    login(client, people.provider_a)
    page = text(client.get(f"/dossiers/{dossier.id}"))
    assert f"decided by the {COMMITTEE_NAME}" in page
    assert "Member Two" not in page  # who recorded it is for the QA staff


def test_the_officer_records_the_meeting_and_withdraws(
    client, login, people, in_committee, pending, members
):
    in_committee()
    dossier = pending()
    proposed(people, dossier, "approved")
    url = f"/committee/dossiers/{dossier.id}"
    login(client, people.officer)
    assert client.post(f"{url}/vote", data={"vote": "agree"}).status_code == 403
    tomorrow = clock.today() + timedelta(days=1)
    r = client.post(f"{url}/record", data={"meeting_date": tomorrow.isoformat()})
    assert r.status_code == 400 and "cannot be in the future" in text(r)
    assert client.post(f"{url}/withdraw", data={"note": "Revising."}).status_code == 302
    db.session.expire_all()
    assert committee.open_proposal(dossier) is None
    assert client.post(f"{url}/record", data={}).status_code == 409

    proposed(people, dossier, "approved")
    met = clock.today() - timedelta(days=1)
    r = client.post(
        f"{url}/record",
        data={
            "meeting_date": met.isoformat(),
            "outcome": "rejected",
            "rationale": "The committee finds the assessment invalid.",
        },
    )
    assert r.status_code == 302
    db.session.expire_all()
    assert dossier.state == DossierState.REJECTED
    page = text(client.get(f"/dossiers/{dossier.id}"))
    assert f"decided by the {COMMITTEE_NAME} at its meeting of" in page
    assert "recorded by Otto Officer" in page


def test_an_officer_decision_says_who_decided(client, login, people, workflow):
    dossier, _ = workflow.decided("approved")
    login(client, people.provider_a)
    assert "decided by a QA officer" in text(client.get(f"/dossiers/{dossier.id}"))
