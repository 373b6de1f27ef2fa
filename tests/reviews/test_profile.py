"""The reviewer's profile: expertise (ISCED-F fields, keywords), bio and dated affiliations
(rows added without JavaScript), validated next to the fields and audited."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from qa_portal.core.audit import AuditEntry
from qa_portal.extensions import db
from qa_portal.reviews.models import ReviewerProfile
from tests.helpers import audit_actions
from tests.reviews.helpers import JSON, field_errors, markup

AFFILIATION = {
    "affiliations-0-organisation_name": "Provider A",
    "affiliations-0-role": "Visiting lecturer",
    "affiliations-0-start_date": "2019-01-01",
    "affiliations-0-end_date": "2022-06-30",
}


def profile_post(**fields):
    data = {
        "bio": "Site reliability engineer, 12 years.",
        "keywords": "DevOps, Kubernetes, ",
        "isced_codes": ["0613", "0612"],
        "save": "1",
    }
    return data | AFFILIATION | fields


def profile_of(user) -> ReviewerProfile | None:
    db.session.expire_all()
    return db.session.scalar(sa.select(ReviewerProfile).where(ReviewerProfile.user_id == user.id))


def test_the_reviewer_declares_expertise_and_affiliations(client, login, people):
    login(client, people.reviewer)
    r = client.get("/reviews/profile")
    assert r.status_code == 200
    assert profile_of(people.reviewer) is None  # shown empty; stored on the first save
    page = r.data.decode()
    assert 'name="affiliations-0-organisation_name"' in page
    assert 'value="0613"' in page and "Software and applications development" in markup(r)

    r = client.post("/reviews/profile", data=profile_post())
    assert r.status_code == 302
    profile = profile_of(people.reviewer)
    assert profile.bio == "Site reliability engineer, 12 years."
    assert profile.isced_codes == ["0613", "0612"]
    assert profile.keywords == ["DevOps", "Kubernetes"]
    [affiliation] = profile.affiliations
    assert (affiliation.organisation_name, affiliation.role) == ("Provider A", "Visiting lecturer")
    assert (affiliation.start_date, affiliation.end_date) == (date(2019, 1, 1), date(2022, 6, 30))
    assert affiliation.organisation_id == people.org_a.id  # linked to the registered provider
    entry = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry.action == "reviewer.profile" and entry.actor_id == people.reviewer.id
    assert entry.payload["isced"] == ["0613", "0612"]
    assert entry.payload["affiliations"] == [["Provider A", "2019-01-01", "2022-06-30"]]

    page = markup(client.get("/reviews/profile"))
    for shown in ["Site reliability engineer", "DevOps, Kubernetes", 'value="2019-01-01"']:
        assert shown in page


def test_affiliation_rows_are_added_without_javascript(client, login, people):
    login(client, people.reviewer)
    data = profile_post(row_action="add-affiliation")
    del data["save"]
    r = client.post("/reviews/profile", data=data)
    assert r.status_code == 200
    page = markup(r)
    assert 'name="affiliations-1-organisation_name"' in page
    assert 'value="Visiting lecturer"' in page  # the first row is kept
    assert profile_of(people.reviewer) is None  # adding a row saves nothing

    data = profile_post(
        **{
            "affiliations-1-organisation_name": "Open Cloud Learning Ltd",
            "affiliations-1-start_date": "2024-09-01",
        }
    )
    assert client.post("/reviews/profile", data=data).status_code == 302
    names = [a.organisation_name for a in profile_of(people.reviewer).affiliations]
    assert names == ["Provider A", "Open Cloud Learning Ltd"]


def test_profile_errors_are_shown_next_to_the_fields(client, login, people):
    login(client, people.reviewer)
    cases = [
        (
            {"affiliations-0-end_date": "2018-12-31"},
            "affiliations-0-end_date",
            "cannot end before it starts",
        ),
        ({"affiliations-0-start_date": ""}, "affiliations-0-start_date", "Give the date"),
        ({"affiliations-0-start_date": "01/2019"}, "affiliations-0-start_date", "date"),
        ({"isced_codes": ["0613", "9999"]}, "isced_codes", "9999: not an ISCED-F 2013"),
        (
            {"affiliations-0-organisation_name": ""},
            "affiliations-0-organisation_name",
            "Name the organisation",
        ),
    ]
    for fields, field_id, message in cases:
        r = client.post("/reviews/profile", data=profile_post(**fields))
        assert r.status_code == 400, field_id
        assert message in field_errors(r, field_id), (field_id, field_errors(r, field_id))
        assert "Site reliability engineer" in r.data.decode()  # nothing typed is lost
    r = client.post("/reviews/profile", data=profile_post(isced_codes=["9999"]), headers=JSON)
    assert r.status_code == 400 and "9999" in r.json["message"]
    assert profile_of(people.reviewer) is None
    assert "reviewer.profile" not in audit_actions()
