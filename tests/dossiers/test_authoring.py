"""Authoring a dossier without JavaScript: the edit page, saving every section, add/remove row
buttons, field errors, the live check, the provider dashboard."""

from __future__ import annotations

import pytest

from qa_portal.accounts.models import Role
from qa_portal.core.audit import entries_for
from qa_portal.dossiers import operations
from qa_portal.dossiers.models import Dossier, DossierState
from qa_portal.dossiers.snapshot import dossier_to_dict
from qa_portal.extensions import db
from tests.dossiers.helpers import complete_data, count_queries, form_fields, page_form


def fresh(dossier_id: int) -> Dossier:
    db.session.expire_all()
    return db.session.get(Dossier, dossier_id)


def without_files(data: dict) -> dict:
    return {k: v for k, v in data.items() if k not in {"files", "awarding_body", "reference"}}


@pytest.fixture
def draft(people, make_dossier):
    return make_dossier(people.provider_a, complete=False, files=False, title="Draft title")


@pytest.fixture
def colleague(people, make_user):
    return make_user(Role.PROVIDER, org=people.org_a, name="Colm Colleague")


def test_edit_page_shows_the_form_and_the_checklist(client, login, people, make_dossier):
    dossier = make_dossier(people.provider_a, files=False)
    login(client, people.provider_a)
    response = client.get(f"/dossiers/{dossier.id}/edit")
    assert response.status_code == 200
    form = page_form(response.text)
    assert form["title"] == "Cloud-Native Operations"
    assert form["lock_version"] == str(dossier.lock_version)
    assert form["outcomes-0-statement"].startswith("Deploy a containerised application")
    assert form["eqf_level"] == "6"
    assert form.getlist("assessments-0-outcomes") == [o.key for o in dossier.outcomes[:2]]
    assert "Evidence file missing: curriculum" in response.text
    assert 'name="row_action" value="add-outcomes"' in response.text


def test_post_saves_every_section(client, login, people, draft, audit_ok):
    data = complete_data()
    data["prerequisites"].append(
        {"kind": "prior_credential", "description": "Cloud basics", "related_reference": "mc-00007"}
    )
    data["stackability"].append(
        {"qualification": "BSc Computing", "awarding_body": "Northbridge", "credits": 2.5}
    )
    data["level_not_applicable"] = False
    login(client, people.provider_a)
    response = client.post(f"/dossiers/{draft.id}/edit", data=form_fields(data, draft.lock_version))
    assert response.status_code == 302, response.text[:2000]
    assert "Saved." in client.get(response.headers["Location"]).text

    saved = dossier_to_dict(fresh(draft.id))
    expected = without_files(data)
    expected["prerequisites"][1]["related_reference"] = "MC-00007"
    assert without_files(saved) == expected
    assert saved["outcomes"][0]["framework_url"].startswith("http://data.europa.eu/esco/")
    assert saved["assessments"][0]["supervision"] == "identity_checked"
    assert saved["assessments"][1]["outcomes"] == [data["outcomes"][2]["key"]]
    assert fresh(draft.id).updated_by_id == people.provider_a.id
    entry = entries_for(fresh(draft.id))[-1]
    assert entry.action == "dossier.save"
    assert any("outcomes added" in line for line in entry.payload["changes"])
    audit_ok()


def test_level_not_applicable_is_saved(client, login, people, draft):
    data = complete_data()
    data["eqf_level"] = None
    data["level_not_applicable"] = True
    login(client, people.provider_a)
    response = client.post(f"/dossiers/{draft.id}/edit", data=form_fields(data, draft.lock_version))
    assert response.status_code == 302
    dossier = fresh(draft.id)
    assert dossier.level_not_applicable is True and dossier.eqf_level is None
    page = client.get(f"/dossiers/{draft.id}/edit").text
    assert "Level is missing" not in page


def test_saving_the_page_as_shown_changes_nothing(client, login, people, make_dossier):
    dossier = make_dossier(people.provider_a)
    before = dossier_to_dict(dossier)
    login(client, people.provider_a)
    fields = page_form(client.get(f"/dossiers/{dossier.id}/edit").text)
    fields["save"] = "1"
    response = client.post(f"/dossiers/{dossier.id}/edit", data=fields)
    assert response.status_code == 302
    assert "Saved (no changes)." in client.get(response.headers["Location"]).text
    assert dossier_to_dict(fresh(dossier.id)) == before


def test_add_row_button_re_renders_with_the_row_added_and_nothing_saved(
    client, login, people, draft
):
    data = complete_data()
    fields = form_fields(data, draft.lock_version)
    del fields["save"]
    fields["row_action"] = "add-outcomes"
    login(client, people.provider_a)
    response = client.post(f"/dossiers/{draft.id}/edit", data=fields)
    assert response.status_code == 200
    form = page_form(response.text)
    assert form["title"] == "Cloud-Native Operations"  # the rest of the input is kept
    assert form["outcomes-2-statement"] == data["outcomes"][2]["statement"]
    assert "outcomes-3-statement" in form and form["outcomes-3-statement"] == ""
    assert len(form["outcomes-3-key"]) == 16  # the new row has its key already
    assert form.getlist("assessments-0-outcomes") == data["assessments"][0]["outcomes"]
    # the new outcome can be ticked in every assessment
    assert f'value="{form["outcomes-3-key"]}"' in response.text
    assert fresh(draft.id).title == "Draft title"
    assert fresh(draft.id).outcomes == []


@pytest.mark.parametrize("group", ["assessments", "prerequisites", "stackability"])
def test_add_row_button_for_each_group(client, login, people, draft, group):
    data = complete_data()
    fields = form_fields(data, draft.lock_version)
    fields["row_action"] = f"add-{group}"
    login(client, people.provider_a)
    response = client.post(f"/dossiers/{draft.id}/edit", data=fields)
    assert response.status_code == 200
    rows = len(data[group])
    assert f'id="{group}-{rows}"' in response.text
    assert fresh(draft.id).title == "Draft title"


def test_remove_row_button_re_renders_without_the_row(client, login, people, draft):
    data = complete_data()
    fields = form_fields(data, draft.lock_version)
    fields["row_action"] = "remove-outcomes-1"
    login(client, people.provider_a)
    response = client.post(f"/dossiers/{draft.id}/edit", data=fields)
    assert response.status_code == 200
    form = page_form(response.text)
    assert "outcomes-1-statement" not in form
    assert data["outcomes"][1]["statement"] not in response.text.split("<aside", 1)[0]
    assert form["outcomes-0-statement"] == data["outcomes"][0]["statement"]
    assert form["outcomes-2-statement"] == data["outcomes"][2]["statement"]
    # the removed outcome is no longer ticked in the assessment that assessed it
    assert form.getlist("assessments-0-outcomes") == [data["outcomes"][0]["key"]]
    assert fresh(draft.id).outcomes == []

    # saving the re-rendered page stores two outcomes
    form["save"] = "1"
    response = client.post(f"/dossiers/{draft.id}/edit", data=form)
    assert response.status_code == 302
    saved = fresh(draft.id)
    kept = [data["outcomes"][0]["key"], data["outcomes"][2]["key"]]
    assert [o.key for o in saved.outcomes] == kept


def test_remove_then_add_keeps_distinct_rows(client, login, people, draft):
    data = complete_data()
    login(client, people.provider_a)
    fields = form_fields(data, draft.lock_version)
    fields["row_action"] = "remove-outcomes-2"
    form = page_form(client.post(f"/dossiers/{draft.id}/edit", data=fields).text)
    form["row_action"] = "add-outcomes"
    response = client.post(f"/dossiers/{draft.id}/edit", data=form)
    form = page_form(response.text)
    statements = [v for k, v in form.items(multi=True) if k.endswith("-statement")]
    keys = [
        v for k, v in form.items(multi=True) if k.startswith("outcomes-") and k.endswith("-key")
    ]
    assert statements[:2] == [o["statement"] for o in data["outcomes"][:2]]
    assert statements[2:] == [""]
    assert len(set(keys)) == 3


@pytest.mark.parametrize(
    "name, value, message",
    [
        ("web_page", "not a web address", "Enter a full web address starting with https://"),
        ("web_page", "javascript://example.com/%0Aalert(1)", "starting with https://"),
        ("workload_hours", "forty", "Not a valid integer value"),
        ("workload_hours", "-5", "between 1 and 20000"),
        ("ects", "five", "Not a valid decimal value"),
        ("ects", "NaN", "Not a valid decimal value"),
        ("ects", "sNaN", "Not a valid decimal value"),
        ("ects", "-Infinity", "Not a valid decimal value"),
        ("ects", "4.25", "one decimal place"),
        ("stackability-0-credits", "sNaN", "Not a valid decimal value"),
        ("languages_instruction", "en, xx", "“xx” is not a two-letter ISO 639-1 language code"),
        ("languages_assessment", "English", "“English” is not a two-letter ISO 639-1"),
        ("eqf_level", "9", "EQF level from 1 to 8"),
        ("eqf_level", "abc", "EQF level from 1 to 8"),
        ("outcomes-0-framework_url", "esco skill 12", "Enter a full web address"),
        ("assessments-0-weight", "seventy", "Not a valid integer value"),
        ("assessments-1-weight", "150", "between 0 and 100"),
        ("stackability-0-credits", "many", "Not a valid decimal value"),
        ("participation", "by carrier pigeon", "Not a valid choice"),
    ],
)
def test_invalid_input_is_shown_next_to_the_field_and_nothing_is_saved(
    client, login, people, draft, name, value, message
):
    fields = form_fields(complete_data(), draft.lock_version)
    fields[name] = value
    login(client, people.provider_a)
    response = client.post(f"/dossiers/{draft.id}/edit", data=fields)
    assert response.status_code == 400
    html = response.text
    errors_id = f'id="{name}-errors"'
    assert errors_id in html
    field_errors = html.split(errors_id, 1)[1].split("</ul>", 1)[0]
    assert message in field_errors
    assert f'aria-describedby="{name}-errors"' in html or f"{name}-errors" in html
    assert "Not saved: please correct the fields marked below." in html
    form = page_form(html)
    assert form["title"] == "Cloud-Native Operations"  # the rest of the input is kept
    if name not in {"eqf_level", "participation"}:  # selects show the choices, not the value
        assert form[name] == value
    dossier = fresh(draft.id)
    assert dossier.title == "Draft title"
    assert dossier.outcomes == []


def test_live_check_returns_findings_for_the_unsaved_form(client, login, people, make_dossier):
    dossier = make_dossier(people.provider_a)
    data = complete_data()
    data["outcomes"][0]["statement"] = "Understand Kubernetes."
    data["assessments"][0]["weight"] = 60
    data["title"] = "Unsaved title"
    login(client, people.provider_a)
    response = client.post(
        f"/dossiers/{dossier.id}/check", data=form_fields(data, dossier.lock_version)
    )
    assert response.status_code == 200
    body = response.get_json()
    assert [e["code"] for e in body["errors"]] == ["weights_not_100"]
    assert "90 %" in body["errors"][0]["message"]
    warnings = {w["code"] for w in body["warnings"]}
    assert "outcome_not_observable" in warnings
    assert "weights_not_100" in body["html"]
    assert fresh(dossier.id).title == "Cloud-Native Operations"


def test_live_check_survives_invalid_input(client, login, people, make_dossier):
    dossier = make_dossier(people.provider_a)
    fields = form_fields(complete_data(), dossier.lock_version)
    fields.update(eqf_level="abc", workload_hours="x", ects="NaN", **{"assessments-0-weight": "?"})
    login(client, people.provider_a)
    response = client.post(f"/dossiers/{dossier.id}/check", data=fields)
    assert response.status_code == 200
    codes = {e["code"] for e in response.get_json()["errors"]}
    assert {"missing_level", "missing_workload", "assessment_weight_missing"} <= codes


def test_live_check_of_a_complete_form_has_no_errors(client, login, people, make_dossier):
    dossier = make_dossier(people.provider_a)
    login(client, people.provider_a)
    fields = page_form(client.get(f"/dossiers/{dossier.id}/edit").text)
    body = client.post(f"/dossiers/{dossier.id}/check", data=fields).get_json()
    assert body["errors"] == []
    assert {w["code"] for w in body["warnings"]} == {"outcome_not_aligned"}


def test_another_provider_cannot_see_or_check_the_dossier(client, login, people, draft):
    login(client, people.provider_b)
    assert client.get(f"/dossiers/{draft.id}/edit").status_code == 404
    assert client.post(f"/dossiers/{draft.id}/edit", data={"title": "x"}).status_code == 404
    assert client.post(f"/dossiers/{draft.id}/check", data={}).status_code == 404
    assert fresh(draft.id).title == "Draft title"


def test_staff_cannot_edit_a_submitted_dossier(client, login, people, make_dossier):
    dossier = make_dossier(people.provider_a, submit=True)
    login(client, people.officer)
    assert client.get(f"/dossiers/{dossier.id}/edit").status_code == 403
    assert client.get(f"/dossiers/{dossier.id}").status_code == 200


def test_members_of_the_same_organisation_can_both_edit(client, login, people, draft, colleague):
    login(client, colleague)
    response = client.get(f"/dossiers/{draft.id}/edit")
    assert response.status_code == 200
    fields = page_form(response.text)
    fields["title"], fields["save"] = "Renamed by a colleague", "1"
    assert client.post(f"/dossiers/{draft.id}/edit", data=fields).status_code == 302
    dossier = fresh(draft.id)
    assert dossier.title == "Renamed by a colleague"
    assert dossier.updated_by_id == colleague.id

    login(client, people.provider_a)
    fields = page_form(client.get(f"/dossiers/{draft.id}/edit").text)
    fields["summary"], fields["save"] = "Summary by the author", "1"
    assert client.post(f"/dossiers/{draft.id}/edit", data=fields).status_code == 302
    dossier = fresh(draft.id)
    assert (dossier.title, dossier.summary) == ("Renamed by a colleague", "Summary by the author")
    page = client.get(f"/dossiers/{draft.id}/edit").text
    assert "by Ada Provider" in page


# -- dashboard ----------------------------------------------------------------------------
def test_dashboard_lists_the_organisations_dossiers_with_state_and_next_action(
    client, login, people, make_dossier, colleague
):
    make_dossier(people.provider_a, complete=False, files=False, title="Bare draft")
    make_dossier(people.provider_a, title="Ready draft")
    make_dossier(people.provider_a, title="Sent in", submit=True)
    make_dossier(people.provider_b, title="Someone else's")
    for member in (people.provider_a, colleague):
        login(client, member)
        response = client.get("/dossiers/")
        assert response.status_code == 200
        html = response.text
        assert "Dossiers of Provider A" in html
        for title in ("Bare draft", "Ready draft", "Sent in"):
            assert title in html
        assert "Someone else" not in html
        rows = {
            title: html.split(title, 1)[1].split("</tr>", 1)[0]
            for title in ("Bare draft", "Ready draft", "Sent in")
        }
        assert (
            "Draft" in rows["Bare draft"]
            and "Complete the dossier and submit it" in rows["Bare draft"]
        )
        assert "errors left" in rows["Bare draft"]
        assert "(complete)" in rows["Ready draft"]
        assert "Submitted" in rows["Sent in"]
        assert "Waiting for a QA officer to take it up" in rows["Sent in"]
        assert "/edit" not in html.split("Sent in", 1)[0].rsplit("<tr", 1)[1]


def test_dashboard_query_count_does_not_grow_with_the_dossiers(
    client, login, people, make_dossier, colleague
):
    make_dossier(people.provider_a, title="First")
    login(client, people.provider_a)
    client.get("/dossiers/")
    with count_queries() as few:
        assert client.get("/dossiers/").status_code == 200
    for i in range(4):
        dossier = make_dossier(people.provider_a, title=f"More {i}", submit=i % 2 == 0)
        if dossier.state == DossierState.DRAFT:  # last saved by someone else
            operations.save_dossier(colleague, dossier, {"summary": "x"}, dossier.lock_version)
            db.session.commit()
    with count_queries() as many:
        assert client.get("/dossiers/").status_code == 200
    assert many[0] == few[0]


def test_edit_page_query_count_does_not_grow_with_the_rows(client, login, people, make_dossier):
    small = make_dossier(people.provider_a, title="Small")
    data = complete_data()
    keys = [o["key"] for o in data["outcomes"]]
    data["assessments"] = [
        {"key": f"{i:016x}", "method": "project", "weight": 10, "outcomes": keys} for i in range(10)
    ]
    data["prerequisites"] *= 5
    data["stackability"] *= 5
    del data["files"], data["awarding_body"], data["title"]
    big = make_dossier(people.provider_a, title="Big", **data)
    login(client, people.provider_a)
    client.get(f"/dossiers/{small.id}/edit")
    with count_queries() as few:
        assert client.get(f"/dossiers/{small.id}/edit").status_code == 200
    with count_queries() as many:
        assert client.get(f"/dossiers/{big.id}/edit").status_code == 200
    assert many[0] == few[0]


def test_a_duplicated_row_key_gets_a_key_of_its_own(client, login, people, draft):
    data = complete_data()
    data["outcomes"][1]["key"] = data["outcomes"][0]["key"]  # e.g. a row copied with its key
    data["assessments"][1]["key"] = data["assessments"][0]["key"]
    login(client, people.provider_a)
    response = client.post(f"/dossiers/{draft.id}/edit", data=form_fields(data, draft.lock_version))
    assert response.status_code == 302
    saved = fresh(draft.id)
    assert len({o.key for o in saved.outcomes}) == 3
    assert len({a.key for a in saved.assessments}) == 2
    assert saved.outcomes[1].statement == data["outcomes"][1]["statement"]


def test_an_outcome_ticked_twice_for_one_assessment_is_linked_once(client, login, people, draft):
    """A crafted form may repeat a checkbox value: one link, no database error."""
    data = complete_data()
    first = data["outcomes"][0]["key"]
    data["assessments"][0]["outcomes"] = [first, first, data["outcomes"][1]["key"], first]
    login(client, people.provider_a)
    response = client.post(f"/dossiers/{draft.id}/edit", data=form_fields(data, draft.lock_version))
    assert response.status_code == 302
    linked = [o.key for o in fresh(draft.id).assessments[0].outcomes]
    assert linked == [first, data["outcomes"][1]["key"]]


def test_a_provider_without_organisation_sees_no_dossiers(
    client, login, people, make_dossier, make_user
):
    make_dossier(people.provider_a, submit=True, title="Submitted elsewhere")
    loner = make_user(Role.PROVIDER)
    login(client, loner)
    response = client.get("/dossiers/")
    assert response.status_code == 200
    assert "Submitted elsewhere" not in response.text
    assert "not attached to a provider organisation" in response.text
