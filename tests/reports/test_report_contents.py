"""What a published agency report contains (ESG 2.6): the agency's address and contact,
the publication date and language, the methodology version it applied (linked), how to
appeal; no completeness-check warnings; sections in the order of a published report,
numbered without gaps; and the public variant still attributes no score to a name."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from qa_portal.core import clock
from qa_portal.core.db import commit
from qa_portal.core.pdf import render_html
from qa_portal.reports import data as report_data
from qa_portal.reports import operations as reports
from qa_portal.reports.models import ReportVariant
from qa_portal.reviews import methodology
from qa_portal.reviews.panel_enums import PanelDisclosure
from qa_portal.reviews.policy import current_policy

from .helpers import issue, normalised, pdf_text

CONTACT = {
    "address": "Rue de la Loi 42\n1040 Brussels",
    "email": "reports@agency.example",
    "phone": "+32 2 555 01 42",
    "appeals": "Write to the appeals committee, giving your grounds, within the appeal period.",
}


@pytest.fixture
def content(workflow, people):
    """``content(outcome, variant)``: the report data of a freshly decided round."""

    def make(outcome="rejected", variant=ReportVariant.PUBLIC, **decide):
        methodology.update_texts(people.admin, CONTACT)
        _, decision = workflow.decided(outcome, **decide)
        report = reports.request_report(people.officer, decision, variant, dispatch=False)
        commit()
        return report, report_data.build(report)

    return make


def _html(data: dict) -> str:
    return render_html("reports/report.html", **data)


def _headings(html: str) -> list[str]:
    return re.findall(r"<h2[^>]*>(\d+\. [^<]+)</h2>", html)


def test_the_data_carries_agency_publication_language_appeal_and_methodology(content):
    report, data = content("rejected")
    assert data["qa_body"]["name"] == "Quality Agency"
    assert data["qa_body"]["address"] == CONTACT["address"]
    assert data["qa_body"]["email"] == CONTACT["email"]
    assert data["qa_body"]["phone"] == CONTACT["phone"]
    assert data["publication"] == {"date": report.requested_at, "language": "English"}
    assert data["appeal"]["possible"] is True
    assert data["appeal"]["deadline"] == report.decision.appeal_deadline
    assert data["appeal"]["procedure"] == CONTACT["appeals"]
    assert data["methodology"]["rubric_version"] == 1
    assert data["methodology"]["rubric_url"].endswith("/methodology/rubric/1")
    assert data["methodology"]["rubric_url"].startswith("http")
    assert data["methodology"]["url"].endswith("/methodology")
    assert "warnings" not in data


def test_the_rendered_report_states_them_in_the_order_of_a_published_report(content):
    report, data = content("rejected")
    html = _html(data)
    assert _headings(html) == [
        "1. Summary of the decision",
        "2. The procedure",
        "3. The microcredential",
        "4. Learning outcomes and assessment",
        "5. The panel&#39;s findings",
        "6. Decision and rationale",
        "7. Follow-up and conditions",
        "8. How to appeal",
    ]
    text = normalised(re.sub(r"<[^>]+>", " ", html))
    assert "Rue de la Loi 42" in text and "reports@agency.example" in text
    assert "+32 2 555 01 42" in text
    assert "in English" in text and "Report language: English" in text
    deadline = report.decision.appeal_deadline
    assert f"until {deadline.day} {deadline:%B %Y}" in text
    assert CONTACT["appeals"] in text
    assert "version 1 of its criteria" in text and data["methodology"]["rubric_url"] in text
    assert "Completeness" not in html and "completeness check" not in html.lower()


def test_optional_sections_take_their_place_and_numbers(content):
    _, data = content("approved")
    data = {
        **data,
        "factual_accuracy": {
            "statement": "We thank the panel.",
            "no_errors": True,
            "expired": False,
            "sent": clock.today(),
            "due": clock.today(),
            "points": [],
        },
        "site_visit": {"date": clock.today()},
        "panel_composition": {"members": []},
    }
    html = _html(data)
    headings = _headings(html)
    assert headings[5:] == [
        "6. The provider&#39;s statement",
        "7. Decision and rationale",
        "8. Follow-up and conditions",
        "9. How to appeal",
    ]
    assert "<h3>Site visit</h3>" in html
    # an approval cannot be appealed (decisions.models.Outcome.is_appealable)
    assert "This decision cannot be appealed" in html


def test_the_conditions_follow_up_state_is_reported(content):
    due = clock.today() + timedelta(days=40)
    _, data = content(
        "approved_with_conditions",
        conditions=[{"text": "Publish the grading rubric.", "due_date": due}],
    )
    html = _html(data)
    follow_up = html[html.index("Follow-up and conditions") :]
    assert "Publish the grading rubric." in follow_up and "Open" in follow_up


def test_the_public_variant_attributes_no_score_to_a_name(content, people):
    current_policy().panel_disclosure = PanelDisclosure.ROLES_TYPES  # names withheld
    commit()
    _, data = content("rejected")
    html = _html(data)
    for reviewer in {a["alias"] for a in data["panel"]}:
        assert reviewer.startswith("Reviewer ")
    for name in (people.reviewer.name, people.officer.name, people.reviewer.email):
        assert name not in html
    _, internal = content("rejected", ReportVariant.INTERNAL)
    assert people.reviewer.name in _html(internal)


def test_the_pdf_of_a_rejected_round_is_published_with_its_appeal_information(
    client, login, workflow, people
):
    methodology.update_texts(people.admin, CONTACT)
    _, decision = workflow.decided("rejected")
    report, pdf = issue(people.officer, decision)
    text = normalised(pdf_text(pdf))
    assert "Rejected" in text and "How to appeal" in text and "Rue de la Loi 42" in text
    login(client, None)
    download = client.get(f"/reports/{report.id}/download")
    assert download.status_code == 200 and download.data == pdf
    download.close()
