"""The public methodology (ESG 2.2, 2.5): rendered from the live configuration — rubric
versions with their dates, the review policy, decisions, appeals and complaints — and the
QA admin's texts, every change audited."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from qa_portal.accounts.models import Role
from qa_portal.catalogue import methodology as public_methodology
from qa_portal.core.audit import AuditEntry
from qa_portal.core.db import commit
from qa_portal.core.errors import InvalidInput, NotPermitted
from qa_portal.demo_decisions import DEMO_AGENCY_CONTACT, seed_publication
from qa_portal.extensions import db
from qa_portal.reviews import methodology
from qa_portal.reviews.models import MethodologyText
from qa_portal.reviews.policy import update_policy
from qa_portal.reviews.rubric import revise_rubric


def test_anyone_reads_the_methodology_with_the_rubric_scale_and_policy(client, login, qa_body):
    login(client, None)
    answer = client.get("/methodology")
    assert answer.status_code == 200
    html = answer.get_data(as_text=True)
    assert "rubric version 1" in html
    assert "Learning outcomes are clear, observable and fit the declared level." in html
    for label in ("Does not meet", "Partially meets", "Meets", "Exceeds"):
        assert label in html
    assert "Reviewers per dossier" in html and "Appeal period (days)" in html
    assert "differ by 2 points or more" in html
    for outcome in ("Approved with conditions", "Revise and resubmit", "Desk-rejected"):
        assert outcome in html
    assert "Appeals procedure" not in html  # the heading is "Appeals"; the default text:
    assert "A provider may appeal against a decision" in html
    assert "Anyone may complain about the conduct of a review" in html
    assert "Quality Agency" in html


def test_a_changed_policy_value_shows_at_once(client, people):
    update_policy(people.admin, {"appeal_days": 45, "reviewers_per_dossier": 3})
    commit()
    html = client.get("/methodology").get_data(as_text=True)
    assert "<td>45</td>" in html and "<td>3</td>" in html
    assert "appeal within 45 days" in html


def test_current_and_past_rubric_versions_with_the_dates_they_took_effect(client, people):
    revise_rubric(
        people.admin,
        [{"title": "Outcomes are assessed.", "guidance": "Every one.", "weight": 2}],
        "Shorter rubric",
        based_on=1,
    )
    commit()
    html = client.get("/methodology").get_data(as_text=True)
    assert "rubric version 2" in html and "Outcomes are assessed." in html
    assert "weight 2" in html and "Shorter rubric" in html
    assert 'href="/methodology/rubric/1"' in html and "In effect since" in html
    old = client.get("/methodology/rubric/1")
    assert old.status_code == 200
    text = old.get_data(as_text=True)
    assert "Replaced by" in text and "Learning outcomes are clear" in text
    assert client.get("/methodology/rubric/2").get_data(as_text=True).count("version in force")
    assert client.get("/methodology/rubric/9").status_code == 404


def test_admin_edits_the_texts_each_change_audited_and_shown(client, login, people):
    login(client, people.admin)
    page = client.get("/admin/methodology")
    assert page.status_code == 200
    data = {
        "introduction": "We review with care.",
        "appeals": "Appeal in writing to the appeals committee within the period.",
        "complaints": methodology.texts()["complaints"].body,
        "address": "Rue de la Loi 1\n1000 Brussels",
        "email": "qa@agency.example",
        "phone": "+32 2 123 45 67",
        "published_outcomes": ["revise_and_resubmit", "rejected"],
    }
    answer = client.post("/admin/methodology", data=data)
    assert answer.status_code == 302
    entries = db.session.execute(
        sa.select(AuditEntry).where(AuditEntry.action == "methodology.update")
    ).scalars()
    changed = {json.loads(e.data)["key"] for e in entries}
    assert changed == {"introduction", "appeals", "address", "email", "phone"}
    html = client.get("/methodology").get_data(as_text=True)
    assert "We review with care." in html and "appeals committee within the period" in html
    assert "Rue de la Loi 1" in html and "qa@agency.example" in html and "+32 2 123 45 67" in html
    assert "Text in force since" in html
    admin = client.get("/admin/methodology").get_data(as_text=True)
    assert "Latest changes" in admin and "Postal address" in admin and people.admin.email in admin


def test_a_bad_email_or_a_blank_procedure_is_refused_next_to_the_field(client, login, people):
    login(client, people.admin)
    answer = client.post(
        "/admin/methodology",
        data={"introduction": "x", "appeals": "", "complaints": "y", "email": "not-an-email"},
    )
    assert answer.status_code == 400
    html = answer.get_data(as_text=True)
    assert 'id="email-errors"' in html and 'id="appeals-errors"' in html
    assert 'value="not-an-email"' in html
    assert db.session.execute(sa.select(MethodologyText)).first() is None  # nothing saved


def test_only_a_qa_admin_edits_the_texts(people):
    with pytest.raises(NotPermitted):
        methodology.update_texts(people.officer, {"appeals": "Never."})
    with pytest.raises(InvalidInput):
        methodology.update_texts(people.admin, {"email": "nope"})
    with pytest.raises(InvalidInput):
        methodology.update_published_outcomes(people.admin, ["desk_rejected"])


def test_the_publication_policy_is_shown(client, people):
    methodology.update_published_outcomes(people.admin, ["revise_and_resubmit"])
    commit()
    html = client.get("/methodology").get_data(as_text=True)
    assert "Rejected: not published" in html and "Revise and resubmit: published" in html
    assert "Approved: published" in html


def test_every_listing_page_links_the_methodology(client, make_listing):
    listing = make_listing()
    html = client.get(f"/catalogue/{listing.id}").get_data(as_text=True)
    assert 'href="/methodology"' in html and 'href="/methodology/rubric/1"' in html


def test_unticking_every_outcome_publishes_only_approvals(client, login, people):
    login(client, people.admin)
    texts = methodology.texts()
    data = {k: texts[k].body for k in ("introduction", "appeals", "complaints")}
    answer = client.post("/admin/methodology", data={**data, "publication": "1"})
    assert answer.status_code == 302
    assert methodology.published_outcomes() == set()
    # a request without the publication part leaves it as it is
    methodology.update_published_outcomes(people.admin, ["rejected"])
    commit()
    assert client.post("/admin/methodology", data=data).status_code == 302
    assert methodology.published_outcomes() == {"rejected"}


def test_the_demo_sets_the_agency_contact_once(make_user, qa_body):
    make_user(Role.QA_ADMIN, email="admin@emqa.eu")
    seed_publication()
    seed_publication()  # idempotent: nothing changes the second time
    commit()
    texts = methodology.texts()
    assert {k: texts[k].body for k in DEMO_AGENCY_CONTACT} == DEMO_AGENCY_CONTACT
    audited = db.session.execute(
        sa.select(sa.func.count(AuditEntry.id)).where(AuditEntry.action == "methodology.update")
    ).scalar()
    assert audited == len(DEMO_AGENCY_CONTACT)


def test_structured_settings_read_as_text():
    assert public_methodology._format(True) == "Yes"
    assert public_methodology._format(["student", "academic"]) == "student, academic"
    rows = [{"member_type": "student", "required": 1}, {"member_type": "chair", "required": 1}]
    assert public_methodology._format(rows) == (
        "member type: student, required: 1; member type: chair, required: 1"
    )
    assert public_methodology._format(None) == "—"


def test_the_procedure_on_the_methodology_follows_the_live_policy(client, login, qa_body, people):
    """Panel composition, site visit, the draft's factual check, the deciding body and the
    complaints deadlines are described from the policy in force."""
    login(client, None)
    html = client.get("/methodology").get_data(as_text=True)
    assert "there is no site visit" in html
    assert "A QA officer decides on the panel" in html
    assert "The provider receives the report with the decision." in html
    assert "The panel includes at least" not in html
    assert "/appeals-and-complaints" in html
    update_policy(
        people.admin,
        {
            "required_counts_text": "student = 1\ninternational = 2",
            "panel_chair_required": "yes",
            "site_visit": "required",
            "factual_accuracy_days": 14,
            "decision_body": "committee",
            "committee_name": "Accreditation Board",
            "committee_quorum": 5,
            "complaint_days": 40,
        },
    )
    commit()
    html = client.get("/methodology").get_data(as_text=True)
    assert "The panel includes at least 1 student member, 2 international members." in html
    assert "One member chairs the panel" in html
    assert "Every review includes a meeting with the provider" in html
    assert "has 14 days to point out errors of fact" in html
    assert "The Accreditation Board decides" in html and "at least 5" in html
    assert "answered within 40 days" in html
