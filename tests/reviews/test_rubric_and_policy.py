"""The QA admin's rubric (versioned: an edit is a new version; a round keeps the version it
opened with) and review policy, with validation messages next to the fields."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from qa_portal.core.audit import AuditEntry
from qa_portal.core.db import commit
from qa_portal.extensions import db
from qa_portal.reviews.defaults import DEFAULT_CRITERIA, MissingDefaults
from qa_portal.reviews.models import ReviewPolicy, RubricVersion
from qa_portal.reviews.policy import current_policy
from qa_portal.reviews.rubric import current_rubric
from tests.builders import full_scores
from tests.helpers import audit_actions
from tests.reviews.helpers import JSON, field_errors, markup, open_panel, review_form, text


def rubric_post(criteria, note="Sharper wording.", based_on=1):
    data = {"note": note, "based_on": str(based_on), "save": "1"}
    for i, (title, guidance, weight) in enumerate(criteria):
        data |= {
            f"criteria-{i}-title": title,
            f"criteria-{i}-guidance": guidance,
            f"criteria-{i}-weight": weight,
        }
    return data


DEFAULT = [(title, guidance, "1") for title, guidance in DEFAULT_CRITERIA]


def versions() -> list[int]:
    return list(db.session.scalars(sa.select(RubricVersion.number).order_by(RubricVersion.number)))


def test_the_eight_default_criteria_are_seeded(client, login, people):
    login(client, people.admin)
    r = client.get("/admin/rubric")
    assert r.status_code == 200
    assert "Current version 1" in text(r)
    for i, (title, guidance) in enumerate(DEFAULT_CRITERIA):
        assert f'name="criteria-{i}-title"' in r.data.decode()
        assert title in markup(r) and guidance in markup(r)
    rubric = current_rubric()
    assert len(rubric.criteria) == 8 and {c.weight for c in rubric.criteria} == {1.0}


def test_reading_the_rubric_and_policy_never_creates_them(client, login, people):
    """The rows come from the migrations; should they be missing, reading says so instead
    of creating them, and the pages answer 500 rather than write on a GET."""
    db.session.execute(sa.delete(ReviewPolicy))
    db.session.execute(sa.delete(RubricVersion))
    commit()
    with pytest.raises(MissingDefaults, match="flask db upgrade"):
        current_policy()
    with pytest.raises(MissingDefaults, match="flask db upgrade"):
        current_rubric()
    login(client, people.admin)
    for page in ("/admin/", "/admin/rubric", "/admin/policy"):
        assert client.get(page).status_code == 500, page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ReviewPolicy)) == 0
    assert versions() == []


def test_an_edit_is_a_new_version_and_the_old_one_is_kept(client, login, people):
    login(client, people.admin)
    client.get("/admin/rubric")
    edited = [
        ("Outcomes are clear and observable.", DEFAULT[0][1], "2"),
        *DEFAULT[1:7],
        ("", "", ""),  # criterion 8 removed
        ("Inclusion and accessibility are addressed.", "Reasonable adjustments.", "0.5"),
    ]
    r = client.post("/admin/rubric", data=rubric_post(edited, note="Criterion 8 replaced."))
    assert r.status_code == 302
    assert versions() == [1, 2]
    old, new = (db.session.scalar(sa.select(RubricVersion).filter_by(number=n)) for n in (1, 2))
    assert [c.title for c in old.criteria] == [t for t, _ in DEFAULT_CRITERIA]
    assert [c.title for c in new.criteria][0] == "Outcomes are clear and observable."
    assert [c.title for c in new.criteria][-1] == "Inclusion and accessibility are addressed."
    assert len(new.criteria) == 8 and new.criteria[0].weight == 2.0
    assert new.note == "Criterion 8 replaced." and new.created_by_id == people.admin.id
    entry = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry.action == "rubric.revise" and entry.payload["note"] == "Criterion 8 replaced."
    assert "Current version 2" in text(client.get("/admin/rubric"))


def test_a_round_keeps_the_rubric_it_opened_with(client, login, people, panel, screening):
    dossier = screening()
    a, b = open_panel(people, dossier, panel[:2])
    v1 = dossier.current_round.rubric
    assert v1.number == 1
    login(client, people.admin)
    edited = [("A single new criterion.", "Guidance.", "1")]
    assert client.post("/admin/rubric", data=rubric_post(edited)).status_code == 302

    db.session.expire_all()
    assert dossier.current_round.rubric.number == 1
    login(client, a.reviewer)
    url = f"/reviews/assignments/{a.id}/review"
    seen = text(client.get(url))
    assert "rubric version 1" in seen and DEFAULT_CRITERIA[7][0] in seen
    assert "A single new criterion." not in seen
    form = review_form(
        a, dict.fromkeys(range(1, 9), 3), recommendation="approve", to_provider="Fine."
    )
    assert client.post(url, data=form | {"submit": "1"}).status_code == 302
    db.session.expire_all()
    assert {s.criterion.rubric.number for s in a.review.scores} == {1}
    assert len(a.review.scores) == 8

    # A score for a criterion of the new rubric is refused in the old round.
    v2_criterion = current_rubric().criteria[0]
    login(client, b.reviewer)
    bad = review_form(b, {1: 3}) | {"scores-0-criterion_id": str(v2_criterion.id)}
    r = client.post(f"/reviews/assignments/{b.id}/review", data=bad)
    assert r.status_code == 400 and "another rubric" in text(r)

    # A round opening now uses the new version.
    other = screening()
    open_panel(people, other, panel[:2])
    assert other.current_round.rubric.number == 2
    assert full_scores(other.current_round.assignments[0])["scores"].keys() == {v2_criterion.id}


def test_rubric_errors_are_shown_next_to_the_fields(client, login, people, unchanged):
    login(client, people.admin)
    client.get("/admin/rubric")
    check = unchanged()
    empty = [("", "", "")] * 3
    r = client.post("/admin/rubric", data=rubric_post(empty))
    assert r.status_code == 400
    assert "A rubric needs at least one criterion." in field_errors(r, "criteria-0-title")

    for weight in ["heavy", "0", "-1", "11", "0.001"]:
        rows = [DEFAULT[0], (DEFAULT[1][0], DEFAULT[1][1], weight), *DEFAULT[2:]]
        r = client.post("/admin/rubric", data=rubric_post(rows))
        assert r.status_code == 400, weight
        assert "greater than 0, at most 10" in field_errors(r, "criteria-1-weight"), weight
        assert field_errors(r, "criteria-0-weight") == ""
        assert f'value="{weight}"' in r.data.decode()  # what was typed stays

    rows = [DEFAULT[0], ("", "Guidance without a title.", "1")]
    r = client.post("/admin/rubric", data=rubric_post(rows))
    assert r.status_code == 400
    assert "Give this criterion a title" in field_errors(r, "criteria-1-title")

    r = client.post("/admin/rubric", data=rubric_post(DEFAULT, note=""))
    assert r.status_code == 400
    assert "Say what changed" in field_errors(r, "note")

    r = client.post("/admin/rubric", data=rubric_post(DEFAULT, note=""), headers=JSON)
    assert r.status_code == 400 and "Say what changed" in r.json["message"]
    check()
    assert versions() == [1] and "rubric.revise" not in audit_actions()


def test_an_edit_of_a_replaced_version_is_refused(client, login, people, make_user):
    from qa_portal.accounts.models import Role

    login(client, people.admin)
    client.get("/admin/rubric")
    assert client.post("/admin/rubric", data=rubric_post(DEFAULT, based_on=1)).status_code == 302
    # a second admin, whose page still shows version 1
    login(client, make_user(Role.QA_ADMIN))
    r = client.post("/admin/rubric", data=rubric_post(DEFAULT[:3], based_on=1))
    assert r.status_code == 409 and "Another QA admin saved rubric version 2" in text(r)
    assert versions() == [1, 2]


def test_a_row_can_be_added_without_javascript(client, login, people):
    login(client, people.admin)
    client.get("/admin/rubric")
    data = rubric_post(DEFAULT) | {"row_action": "add-criterion"}
    del data["save"]
    r = client.post("/admin/rubric", data=data)
    assert r.status_code == 200
    assert 'name="criteria-8-title"' in r.data.decode()
    assert DEFAULT[7][0] in markup(r)
    assert versions() == [1]


# -- policy -------------------------------------------------------------------------------
def policy_post(**changes):
    policy = current_policy()
    commit()
    names = [
        "reviewers_per_dossier",
        "response_days",
        "review_days",
        "reminder_days",
        "validity_years",
        "condition_days",
        "appeal_days",
        "renewal_notice_days",
    ]
    return {name: str(getattr(policy, name)) for name in names} | changes


def test_policy_ranges_are_validated_next_to_the_fields(client, login, people, unchanged):
    login(client, people.admin)
    check = unchanged()
    data = policy_post(reviewers_per_dossier="0", response_days="61", review_days="soon")
    r = client.post("/admin/policy", data=data)
    assert r.status_code == 400
    assert "between 1 and 10" in field_errors(r, "reviewers_per_dossier")
    assert "between 1 and 60" in field_errors(r, "response_days")
    assert "integer" in field_errors(r, "review_days")
    assert field_errors(r, "appeal_days") == ""
    check()
    assert "policy.update" not in audit_actions()

    r = client.post("/admin/policy", data=policy_post(reviewers_per_dossier="3"))
    assert r.status_code == 302
    db.session.expire_all()
    assert db.session.scalar(sa.select(ReviewPolicy)).reviewers_per_dossier == 3
    entry = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry.action == "policy.update"
    assert entry.payload["changes"] == {"reviewers_per_dossier": [2, 3]}
