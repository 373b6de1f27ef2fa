"""Two members edit the same dossier: the second, stale save is refused with a clear conflict,
the first writer's data stays, the second writer's input is shown again and can be saved."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from qa_portal.accounts.models import Role
from qa_portal.core.audit import entries_for
from qa_portal.core.db import commit
from qa_portal.core.errors import StaleObject
from qa_portal.dossiers import operations
from qa_portal.dossiers.models import Dossier
from qa_portal.dossiers.snapshot import dossier_to_dict
from qa_portal.extensions import db
from tests.dossiers.helpers import page_form
from tests.helpers import end_transaction_keeping_loaded


def fresh(dossier_id: int) -> Dossier:
    db.session.expire_all()
    return db.session.get(Dossier, dossier_id)


@pytest.fixture
def colleague(people, make_user):
    return make_user(Role.PROVIDER, org=people.org_a, name="Colm Colleague")


def test_stale_save_through_the_edit_page(app, login, people, make_dossier, colleague):
    dossier = make_dossier(people.provider_a, files=False)
    first, second = app.test_client(), app.test_client()
    login(first, people.provider_a)
    login(second, colleague)
    url = f"/dossiers/{dossier.id}/edit"
    mine = page_form(first.get(url).text)
    theirs = page_form(second.get(url).text)
    assert mine["lock_version"] == theirs["lock_version"]

    mine["title"] = "Title by Ada"
    mine["outcomes-0-statement"] = "Operate a Kubernetes cluster in production."
    mine["save"] = "1"
    assert first.post(url, data=mine).status_code == 302

    theirs["summary"] = "Summary by Colm"
    theirs["outcomes-1-statement"] = "Automate delivery with a pipeline."
    theirs["save"] = "1"
    response = second.post(url, data=theirs)
    assert response.status_code == 409
    html = response.text
    assert "Not saved: Ada Provider saved this dossier at" in html
    assert "Your changes are still shown below" in html
    assert 'id="conflict"' in html

    # the first writer's data is intact
    saved = fresh(dossier.id)
    assert saved.title == "Title by Ada"
    assert saved.outcomes[0].statement == "Operate a Kubernetes cluster in production."
    assert saved.summary != "Summary by Colm"
    assert saved.outcomes[1].statement.startswith("Design a continuous-delivery pipeline")

    # the second writer's input is shown again, with the current lock_version
    shown = page_form(html)
    assert shown["summary"] == "Summary by Colm"
    assert shown["outcomes-1-statement"] == "Automate delivery with a pipeline."
    assert shown["title"] == "Cloud-Native Operations"  # what Colm had: visible to compare
    assert shown["lock_version"] == str(saved.lock_version)
    assert "Title" in html.split('id="conflict"', 1)[1].split("</div>", 1)[0]

    # saving again from that page works and stores the second writer's version
    shown["save"] = "1"
    response = second.post(url, data=shown)
    assert response.status_code == 302
    saved = fresh(dossier.id)
    assert saved.summary == "Summary by Colm"
    assert saved.outcomes[1].statement == "Automate delivery with a pipeline."
    assert saved.updated_by_id == colleague.id
    saves = [e for e in entries_for(saved) if e.action == "dossier.save"]
    assert [e.actor_id for e in saves][-2:] == [people.provider_a.id, colleague.id]


def test_row_action_on_a_stale_page_does_not_save(app, login, people, make_dossier, colleague):
    dossier = make_dossier(people.provider_a, files=False)
    client = app.test_client()
    login(client, colleague)
    url = f"/dossiers/{dossier.id}/edit"
    form = page_form(client.get(url).text)
    operations.save_dossier(
        people.provider_a, fresh(dossier.id), {"title": "Meanwhile"}, form["lock_version"]
    )
    commit()
    form["row_action"] = "add-outcomes"
    assert client.post(url, data=form).status_code == 200
    assert fresh(dossier.id).title == "Meanwhile"


def test_stale_save_at_the_operation_level(people, make_dossier, colleague):
    dossier = make_dossier(people.provider_a, files=False)
    seen = dossier.lock_version
    operations.save_dossier(people.provider_a, dossier, {"title": "First"}, seen)
    commit()
    before = dossier_to_dict(fresh(dossier.id))
    with pytest.raises(StaleObject) as caught:
        operations.save_dossier(colleague, fresh(dossier.id), {"title": "Second"}, seen)
    db.session.rollback()
    assert "Ada Provider saved this dossier" in caught.value.message
    assert dossier_to_dict(fresh(dossier.id)) == before


def test_a_save_racing_another_is_refused(people, make_dossier, colleague):
    """Both requests read the same lock_version; the other one commits first."""
    dossier = make_dossier(people.provider_a, files=False)
    dossier = fresh(dossier.id)
    seen = dossier.lock_version
    dossier_to_dict(dossier)
    end_transaction_keeping_loaded()
    with db.engine.begin() as conn:
        conn.execute(
            sa.update(Dossier)
            .where(Dossier.id == dossier.id)
            .values(title="Committed first", lock_version=Dossier.lock_version + 1)
        )
    with pytest.raises(StaleObject):
        operations.save_dossier(colleague, dossier, {"title": "Second", "outcomes": []}, seen)
    db.session.rollback()
    saved = fresh(dossier.id)
    assert saved.title == "Committed first"
    assert len(saved.outcomes) == 3


def test_a_missing_or_forged_lock_version_is_refused(client, login, people, make_dossier):
    dossier = make_dossier(people.provider_a, files=False)
    login(client, people.provider_a)
    url = f"/dossiers/{dossier.id}/edit"
    form = page_form(client.get(url).text)
    form["title"], form["save"] = "Changed", "1"
    form["lock_version"] = "not-a-number"
    response = client.post(url, data=form)
    assert response.status_code == 400
    assert "reload the page" in response.text
    del form["lock_version"]
    assert client.post(url, data=form).status_code == 400
    assert fresh(dossier.id).title == "Cloud-Native Operations"
