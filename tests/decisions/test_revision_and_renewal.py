"""Revise and resubmit (a new version in round n+1, the same reviewers, everyone sees what
changed) and renewal (before the approval ends; refused after; the earlier approval stays
on record)."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from qa_portal.core import clock
from qa_portal.core.db import commit
from qa_portal.decisions import operations as decisions
from qa_portal.decisions.models import Decision, Outcome
from qa_portal.dossiers import operations as dossiers
from qa_portal.dossiers.models import DossierState
from qa_portal.dossiers.snapshot import dossier_to_dict
from qa_portal.extensions import db
from tests.helpers import last_transition, page_text

from .helpers import world

S = DossierState
NEW_TITLE = "Cloud-Native Operations, second edition"
NEW_STATEMENT = "Deploy and roll back a containerised application on two managed clusters."


def test_revise_and_resubmit_round_two(client, login, workflow, people, panel):
    dossier, decision = workflow.decided("revise_and_resubmit")
    first = dossier.versions[0].snapshot
    round_one = {a.reviewer_id: a.alias for a in dossier.rounds[0].assignments}

    # the provider starts the revision from the dossier page
    login(client, people.provider_a)
    assert "Start the revised version" in page_text(client.get(f"/dossiers/{dossier.id}"))
    response = client.post(f"/dossiers/{dossier.id}/start-revision")
    assert response.status_code == 302 and response.headers["Location"].endswith("/edit")
    db.session.refresh(dossier)
    assert dossier.state == S.DRAFT
    entry = last_transition(dossier, "start_revision")
    assert (entry["from_state"], entry["to_state"]) == ("revise_and_resubmit", "draft")

    # the draft is prefilled from the last version
    edit = page_text(client.get(f"/dossiers/{dossier.id}/edit"))
    assert f'value="{first["title"]}"' in edit
    for outcome in first["outcomes"]:
        assert outcome["statement"] in edit
    assert dossier_to_dict(dossier)["outcomes"] == first["outcomes"]

    # the provider revises: a new title, one outcome reworded
    data = dossier_to_dict(dossier)
    old_statement = data["outcomes"][0]["statement"]
    data["outcomes"][0]["statement"] = NEW_STATEMENT
    dossiers.save_dossier(
        people.provider_a,
        dossier,
        {"title": NEW_TITLE, "outcomes": data["outcomes"]},
        dossier.lock_version,
    )
    commit()

    # the submit page shows what changed since version 1
    submit = page_text(client.get(f"/dossiers/{dossier.id}/submit"))
    assert "Changes since version 1" in submit
    assert first["title"] in submit and NEW_TITLE in submit
    assert "Reworded" in submit and old_statement in submit and NEW_STATEMENT in submit
    assert client.post(f"/dossiers/{dossier.id}/submit", data={}).status_code == 302
    db.session.refresh(dossier)
    assert dossier.state == S.SUBMITTED
    assert (dossier.latest_version.number, dossier.latest_version.round_number) == (2, 2)
    assert [r.number for r in dossier.rounds] == [1, 2]
    assert dossier.rounds[0].decided_at is not None  # round 1 stays decided, on record
    version_page = page_text(client.get(f"/dossiers/{dossier.id}/versions/2"))
    assert "Changes since version 1" in version_page and NEW_STATEMENT in version_page

    # the officer takes it up: the same reviewers are invited, under the same aliases
    login(client, people.officer)
    assert client.post(f"/dossiers/{dossier.id}/take-up").status_code == 302
    db.session.refresh(dossier)
    assignments = dossier.current_round.assignments
    assert {a.reviewer_id: a.alias for a in assignments} == round_one
    officer_page = page_text(client.get(f"/dossiers/{dossier.id}"))
    assert "What changed since round 1" in officer_page
    assert NEW_TITLE in officer_page and NEW_STATEMENT in officer_page

    # the reviewers see the changes on their review page
    case = workflow.case(dossier).open()
    login(client, assignments[0].reviewer)
    review_page = page_text(client.get(f"/reviews/assignments/{assignments[0].id}/review"))
    assert "What changed since the previous round (version 1)" in review_page
    assert old_statement in review_page and NEW_STATEMENT in review_page

    # round 2 is decided on its own; round 1's decision stays on record
    second = case.decide("approved", rationale="Ok.").decision
    assert second.round.number == 2 and decision.round.number == 1
    assert decisions.latest_decision(dossier).id == second.id


def test_renewal_before_the_approval_ends(client, login, workflow, people, monkeypatch):
    dossier, approval = workflow.decided("approved", validity_years=1)
    # on the last day of validity the renewal can still be started
    last_day = approval.valid_until  # read here: the request must not use this session
    monkeypatch.setattr(clock, "today", lambda: last_day)
    login(client, people.provider_a)
    assert "Start a renewal" in page_text(client.get(f"/dossiers/{dossier.id}"))
    answer = client.post(
        f"/dossiers/{dossier.id}/start-renewal", headers={"Accept": "application/json"}
    )
    assert answer.status_code == 200 and answer.get_json()["state"] == "draft"
    db.session.refresh(dossier)
    assert dossier.state == S.DRAFT
    assert last_transition(dossier, "start_renewal")["renewing_decision_id"] == approval.id

    # the new version goes through the same workflow
    case = workflow.case(dossier).take_up()  # submitted first
    assert dossier.current_round.number == 2 and len(dossier.current_round.assignments) == 2
    renewed = case.decide("approved", rationale="Still sound.", validity_years=5).decision
    assert dossier.state == S.APPROVED

    # the previous approval stays on record, unchanged
    rows = (
        db.session.execute(
            sa.select(Decision).where(Decision.dossier_id == dossier.id).order_by(Decision.id)
        )
        .scalars()
        .all()
    )
    assert [d.id for d in rows] == [approval.id, renewed.id]
    db.session.refresh(approval)
    assert approval.outcome == Outcome.APPROVED and approval.superseded_at is None
    assert approval.valid_until < renewed.valid_until
    assert decisions.latest_decision(dossier).id == renewed.id


def test_renewal_after_expiry_is_refused(client, login, workflow, people, monkeypatch):
    dossier, approval = workflow.decided("approved", validity_years=1)
    day_after = approval.valid_until + timedelta(days=1)  # not read during the request
    monkeypatch.setattr(clock, "today", lambda: day_after)
    before = world(dossier)
    login(client, people.provider_a)
    text = page_text(client.get(f"/dossiers/{dossier.id}"))
    assert "Start a renewal" not in text
    page = client.post(f"/dossiers/{dossier.id}/start-renewal")
    assert page.status_code == 409
    assert f"The approval expired on {approval.valid_until:%d %B %Y}" in page_text(page)
    answer = client.post(
        f"/dossiers/{dossier.id}/start-renewal", headers={"Accept": "application/json"}
    )
    assert answer.status_code == 409 and "expired" in answer.get_json()["message"]
    assert world(dossier) == before
