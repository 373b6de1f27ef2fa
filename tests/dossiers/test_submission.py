"""Submitting a dossier: the server-side completeness guard, frozen versions, withdrawal."""

from __future__ import annotations

import hashlib
import json

import pytest
import sqlalchemy as sa

from qa_portal.cases import withdrawal
from qa_portal.core.audit import AuditEntry, entries_for
from qa_portal.core.db import commit
from qa_portal.core.errors import StaleObject, TransitionNotAllowed
from qa_portal.dossiers import operations
from qa_portal.dossiers.models import Dossier, DossierState, DossierVersion
from qa_portal.dossiers.snapshot import SCALAR_FIELDS, dossier_to_dict
from qa_portal.dossiers.workflow import DOSSIER_MACHINE
from qa_portal.extensions import db
from tests.dossiers.helpers import form_fields
from tests.helpers import end_transaction_keeping_loaded, pdf_bytes


def versions_of(dossier_id: int) -> list[DossierVersion]:
    return list(
        db.session.execute(
            sa.select(DossierVersion)
            .where(DossierVersion.dossier_id == dossier_id)
            .order_by(DossierVersion.number)
        ).scalars()
    )


def fresh(dossier_id: int) -> Dossier:
    db.session.expire_all()
    return db.session.get(Dossier, dossier_id)


def return_to_provider(dossier: Dossier, officer) -> None:
    DOSSIER_MACHINE.fire(dossier, "take_up", actor=officer, role="qa_officer")
    DOSSIER_MACHINE.fire(dossier, "return", actor=officer, role="qa_officer", note="Fix it")
    commit()


# -- the completeness guard ---------------------------------------------------------------
def test_operation_refuses_to_submit_a_dossier_with_errors(people, make_dossier):
    dossier = make_dossier(people.provider_a, files=False)
    with pytest.raises(TransitionNotAllowed) as caught:
        operations.submit_dossier(people.provider_a, dossier)
    db.session.rollback()
    assert "curriculum" in caught.value.message
    dossier = fresh(dossier.id)
    assert dossier.state == DossierState.DRAFT
    assert versions_of(dossier.id) == []
    assert dossier.submitted_at is None


def test_operation_refuses_a_bare_draft_listing_every_error(people, make_dossier):
    dossier = make_dossier(people.provider_a, complete=False, files=False)
    with pytest.raises(operations.IncompleteDossier) as caught:
        operations.submit_dossier(people.provider_a, dossier)
    db.session.rollback()
    message = caught.value.message
    for words in ("learning outcome", "workload", "participation", "quality assurance"):
        assert words in message
    assert fresh(dossier.id).state == DossierState.DRAFT


def test_post_submit_with_errors_is_refused_with_the_message(client, login, people, make_dossier):
    dossier = make_dossier(people.provider_a, workload_hours=None)
    login(client, people.provider_a)
    response = client.post(
        f"/dossiers/{dossier.id}/submit", data={"lock_version": dossier.lock_version}
    )
    assert 400 <= response.status_code < 500
    assert "cannot be submitted yet" in response.text
    assert "Notional workload (hours) is missing" in response.text
    dossier = fresh(dossier.id)
    assert dossier.state == DossierState.DRAFT
    assert versions_of(dossier.id) == []
    actions = [e.action for e in entries_for(dossier)]
    assert "dossier.submit" not in actions


def test_submit_page_shows_the_errors_and_no_submit_button(client, login, people, make_dossier):
    dossier = make_dossier(people.provider_a, files=False)
    login(client, people.provider_a)
    response = client.get(f"/dossiers/{dossier.id}/submit")
    assert response.status_code == 200
    assert "Fix the errors in the checklist before submitting" in response.text
    assert "Submit version 1" not in response.text


# -- freezing a version -------------------------------------------------------------------
def test_submit_freezes_an_immutable_version(people, make_dossier, audit_ok):
    dossier = make_dossier(
        people.provider_a,
        prerequisites=[
            {"kind": "skill", "description": "Git basics", "related_reference": "MC-00001"}
        ],
    )
    expected = dossier_to_dict(dossier)
    version = operations.submit_dossier(people.provider_a, dossier, dossier.lock_version)
    commit()

    dossier = fresh(dossier.id)
    assert dossier.state == DossierState.SUBMITTED
    assert dossier.submitted_at is not None
    assert version.number == 1 and version.round_number == 1
    assert version.submitted_by_id == people.provider_a.id
    snapshot = json.loads(version.snapshot_json)
    assert snapshot == expected
    for name in SCALAR_FIELDS:
        assert name in snapshot
    assert snapshot["title"] == "Cloud-Native Operations"
    assert snapshot["awarding_body"]["name"] == "Provider A"
    assert [o["statement"][:6] for o in snapshot["outcomes"]] == ["Deploy", "Design", "Evalua"]
    lo = [o["key"] for o in snapshot["outcomes"]]
    assert [a["outcomes"] for a in snapshot["assessments"]] == [[lo[0], lo[1]], [lo[2]]]
    assert snapshot["prerequisites"][0]["related_reference"] == "MC-00001"
    assert snapshot["stackability"][0]["qualification"] == "MSc Cloud Computing"
    stored = {f.sha256 for f in dossier.files}
    assert {f["sha256"] for f in snapshot["files"]} == stored
    for f in snapshot["files"]:
        assert len(f["sha256"]) == 64
    canonical = json.dumps(snapshot, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    assert version.sha256 == hashlib.sha256(canonical.encode()).hexdigest()

    entry = entries_for(dossier)[-1]
    assert entry.action == "dossier.submit"
    assert entry.payload["to_state"] == "submitted"
    assert entry.payload["version_sha256"] == version.sha256
    audit_ok()


def test_files_in_the_snapshot_match_the_stored_bytes(app, people, make_dossier):
    from qa_portal.core import storage

    dossier = make_dossier(people.provider_a, submit=True)
    version = versions_of(dossier.id)[0]
    for meta in version.snapshot["files"]:
        evidence = next(f for f in dossier.files if f.id == meta["id"])
        data = storage.read_bytes(evidence.stored_name)
        assert hashlib.sha256(data).hexdigest() == meta["sha256"]


def test_later_edits_never_change_the_version(people, make_dossier):
    dossier = make_dossier(people.provider_a, submit=True)
    version = versions_of(dossier.id)[0]
    frozen_json, frozen_sha = version.snapshot_json, version.sha256
    return_to_provider(dossier, people.officer)

    dossier = fresh(dossier.id)
    data = dossier_to_dict(dossier)
    data["title"] = "Renamed"
    data["outcomes"][0]["statement"] = "Operate a managed Kubernetes cluster."
    data["assessments"][0]["outcomes"] = [data["outcomes"][0]["key"]]
    data["assessments"][1]["outcomes"] = [o["key"] for o in data["outcomes"][1:]]
    data["stackability"] = []
    operations.save_dossier(people.provider_a, dossier, data, dossier.lock_version)
    operations.remove_evidence_file(people.provider_a, dossier, dossier.current_files[0])
    operations.add_evidence_file(
        people.provider_a, dossier, "curriculum", "new.pdf", pdf_bytes("New curriculum")
    )
    commit()

    db.session.expire_all()
    version = versions_of(dossier.id)[0]
    assert version.snapshot_json == frozen_json
    assert version.sha256 == frozen_sha
    assert version.snapshot["title"] == "Cloud-Native Operations"

    second = operations.submit_dossier(people.provider_a, fresh(dossier.id))
    commit()
    assert second.number == 2
    assert second.snapshot["title"] == "Renamed"
    assert versions_of(dossier.id)[0].snapshot_json == frozen_json


def test_an_orm_update_of_a_version_raises(people, make_dossier):
    dossier = make_dossier(people.provider_a, submit=True)
    version = versions_of(dossier.id)[0]
    version.snapshot_json = json.dumps({"title": "Forged"})
    with pytest.raises(RuntimeError, match="cannot be changed"):
        db.session.flush()
    db.session.rollback()
    assert versions_of(dossier.id)[0].snapshot["title"] == "Cloud-Native Operations"


def test_an_orm_delete_of_a_version_raises(people, make_dossier):
    dossier = make_dossier(people.provider_a, submit=True)
    db.session.delete(versions_of(dossier.id)[0])
    with pytest.raises(RuntimeError, match="cannot be"):
        db.session.flush()
    db.session.rollback()
    assert len(versions_of(dossier.id)) == 1


def test_post_submit_creates_the_version_and_shows_it(client, login, people, make_dossier):
    dossier = make_dossier(people.provider_a)
    login(client, people.provider_a)
    response = client.post(
        f"/dossiers/{dossier.id}/submit", data={"lock_version": dossier.lock_version}
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/dossiers/{dossier.id}/versions/1")
    assert fresh(dossier.id).state == DossierState.SUBMITTED
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    version = versions_of(dossier.id)[0]
    assert version.sha256 in page.text
    assert "Submitted as version 1" in page.text
    assert "Deploy a containerised application" in page.text
    assert "curriculum.pdf" in page.text


def test_version_page_shows_the_snapshot_not_the_current_draft(client, login, people, make_dossier):
    dossier = make_dossier(people.provider_a, submit=True)
    return_to_provider(dossier, people.officer)
    dossier = fresh(dossier.id)
    operations.save_dossier(
        people.provider_a, dossier, {"title": "A newer title"}, dossier.lock_version
    )
    commit()
    login(client, people.provider_a)
    page = client.get(f"/dossiers/{dossier.id}/versions/1")
    assert page.status_code == 200
    assert "Cloud-Native Operations" in page.text
    assert "A newer title" not in page.text.split("<main", 1)[-1].split("</h1>", 1)[0]
    assert client.get(f"/dossiers/{dossier.id}/versions/2").status_code == 404


def test_version_page_is_hidden_from_another_provider(client, login, people, make_dossier):
    dossier = make_dossier(people.provider_a, submit=True)
    login(client, people.provider_b)
    assert client.get(f"/dossiers/{dossier.id}/versions/1").status_code == 404
    login(client, people.officer)
    assert client.get(f"/dossiers/{dossier.id}/versions/1").status_code == 200


def test_submitting_with_an_outdated_lock_version_is_refused(client, login, people, make_dossier):
    dossier = make_dossier(people.provider_a)
    seen = dossier.lock_version
    colleague = make_colleague(people)
    operations.save_dossier(colleague, dossier, {"summary": "Changed meanwhile"}, seen)
    commit()

    login(client, people.provider_a)
    response = client.post(f"/dossiers/{dossier.id}/submit", data={"lock_version": seen})
    assert response.status_code == 409
    assert "changed after you opened this page" in response.text
    dossier = fresh(dossier.id)
    assert dossier.state == DossierState.DRAFT
    assert versions_of(dossier.id) == []

    with pytest.raises(StaleObject):
        operations.submit_dossier(people.provider_a, dossier, seen)
    db.session.rollback()
    # the page now carries the current lock_version: submitting from it works
    response = client.post(
        f"/dossiers/{dossier.id}/submit", data={"lock_version": fresh(dossier.id).lock_version}
    )
    assert response.status_code == 302
    assert fresh(dossier.id).state == DossierState.SUBMITTED


def make_colleague(people):
    from qa_portal.accounts.models import Role

    user = people.provider_a.__class__(
        email="colm@provider-a.example",
        name="Colm Colleague",
        organisation_id=people.org_a.id,
        password_hash="x",
        auth_epoch=1,
    )
    user.grant(Role.PROVIDER)
    db.session.add(user)
    commit()
    return user


def test_another_provider_cannot_submit(client, login, people, make_dossier):
    dossier = make_dossier(people.provider_a)
    login(client, people.provider_b)
    response = client.post(
        f"/dossiers/{dossier.id}/submit", data={"lock_version": dossier.lock_version}
    )
    assert response.status_code == 404
    assert fresh(dossier.id).state == DossierState.DRAFT


def test_submitting_twice_is_refused(client, login, people, make_dossier):
    dossier = make_dossier(people.provider_a, submit=True)
    login(client, people.provider_a)
    response = client.post(f"/dossiers/{dossier.id}/submit", data={})
    assert response.status_code == 409
    assert "submitted" in response.text
    assert len(versions_of(dossier.id)) == 1


# -- withdrawal ---------------------------------------------------------------------------
def test_withdraw_before_a_decision_then_editing_and_submitting_are_refused(
    client, login, people, make_dossier, audit_ok
):
    dossier = make_dossier(people.provider_a, submit=True)
    login(client, people.provider_a)
    response = client.post(f"/dossiers/{dossier.id}/withdraw", data={"reason": "Programme ends"})
    assert response.status_code == 302
    dossier = fresh(dossier.id)
    assert dossier.state == DossierState.WITHDRAWN
    entry = entries_for(dossier)[-1]
    assert entry.action == "dossier.withdraw"
    assert entry.payload["reason"] == "Programme ends"

    fields = form_fields(dossier_to_dict(dossier), dossier.lock_version)
    fields["title"] = "Sneaky edit"
    response = client.post(f"/dossiers/{dossier.id}/edit", data=fields)
    assert response.status_code == 409
    assert "withdrawn" in response.text
    assert fresh(dossier.id).title == "Cloud-Native Operations"

    response = client.post(
        f"/dossiers/{dossier.id}/submit", data={"lock_version": dossier.lock_version}
    )
    assert response.status_code == 409
    assert "withdrawn" in response.text
    assert len(versions_of(dossier.id)) == 1

    response = client.get(f"/dossiers/{dossier.id}/submit")
    assert response.status_code == 409
    assert "Submit version" not in response.text

    response = client.post(f"/dossiers/{dossier.id}/withdraw", data={})
    assert response.status_code == 409
    assert fresh(dossier.id).state == DossierState.WITHDRAWN

    with pytest.raises(TransitionNotAllowed):
        operations.save_dossier(
            people.provider_a, fresh(dossier.id), {"title": "x"}, dossier.lock_version
        )
    db.session.rollback()
    with pytest.raises(TransitionNotAllowed):
        operations.submit_dossier(people.provider_a, fresh(dossier.id))
    db.session.rollback()
    audit_ok()


def test_a_draft_can_be_withdrawn(people, make_dossier):
    dossier = make_dossier(people.provider_a, complete=False, files=False)
    withdrawal.withdraw_dossier(people.provider_a, dossier, "")
    commit()
    assert fresh(dossier.id).state == DossierState.WITHDRAWN


def test_withdraw_after_a_decision_is_refused(people, make_dossier):
    dossier = make_dossier(people.provider_a, submit=True)
    officer = people.officer
    for action in ("take_up", "open_review", "close_round", "approve"):
        DOSSIER_MACHINE.fire(dossier, action, actor=officer, role="qa_officer")
    commit()
    with pytest.raises(TransitionNotAllowed):
        withdrawal.withdraw_dossier(people.provider_a, fresh(dossier.id))
    db.session.rollback()
    assert fresh(dossier.id).state == DossierState.APPROVED
    count = db.session.execute(
        sa.select(sa.func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.action.like("%withdraw"))
    ).scalar()
    assert count == 0


def test_a_save_landing_during_submission_is_detected(people, make_dossier):
    dossier = make_dossier(people.provider_a)
    dossier = fresh(dossier.id)
    dossier_to_dict(dossier)  # everything loaded, as the submit request would have it
    end_transaction_keeping_loaded()
    with db.engine.begin() as conn:  # another request saves in between
        conn.execute(
            sa.update(Dossier)
            .where(Dossier.id == dossier.id)
            .values(title="Changed meanwhile", lock_version=Dossier.lock_version + 1)
        )
    with pytest.raises(StaleObject):
        operations.submit_dossier(people.provider_a, dossier)
    db.session.rollback()
    dossier = fresh(dossier.id)
    assert dossier.state == DossierState.DRAFT
    assert dossier.title == "Changed meanwhile"
    assert versions_of(dossier.id) == []


def test_resubmission_after_a_return_shows_what_changed(client, login, people, make_dossier):
    dossier = make_dossier(people.provider_a, submit=True)
    return_to_provider(dossier, people.officer)
    dossier = fresh(dossier.id)
    data = dossier_to_dict(dossier)
    data["outcomes"][0]["statement"] = "Operate a managed Kubernetes cluster."
    data["ects"] = 6
    operations.save_dossier(people.provider_a, dossier, data, dossier.lock_version)
    commit()

    login(client, people.provider_a)
    page = client.get(f"/dossiers/{dossier.id}/submit")
    assert page.status_code == 200
    assert "Changes since version 1" in page.text
    assert "Operate a managed Kubernetes cluster." in page.text
    assert "Reworded" in page.text and "ECTS credits" in page.text

    response = client.post(
        f"/dossiers/{dossier.id}/submit", data={"lock_version": fresh(dossier.id).lock_version}
    )
    assert response.status_code == 302
    dossier = fresh(dossier.id)
    assert dossier.state == DossierState.SUBMITTED
    assert [v.number for v in versions_of(dossier.id)] == [1, 2]
    assert versions_of(dossier.id)[1].round_number == 1
    assert entries_for(dossier)[-1].action == "dossier.resubmit"
    page = client.get(f"/dossiers/{dossier.id}/versions/2")
    assert "Changes since version 1" in page.text
    assert "Operate a managed Kubernetes cluster." in page.text


def test_withdraw_page_of_a_withdrawn_dossier_is_refused(client, login, people, make_dossier):
    dossier = make_dossier(people.provider_a, submit=True)
    withdrawal.withdraw_dossier(people.provider_a, dossier)
    commit()
    login(client, people.provider_a)
    response = client.get(f"/dossiers/{dossier.id}/withdraw")
    assert response.status_code == 409
    assert "Withdraw the dossier</button>" not in response.text
