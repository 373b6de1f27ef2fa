"""One dossier through the whole ESG procedure in the browser, each person in their own browser:

with every review in (the decision pending), the case officer schedules an online site visit
and records it as held → writes the panel's findings (judgement per criterion, summary,
strengths, a recommendation, proposed outcome "reject") → sends the draft report → the
provider points out one error of fact and adds a statement → the officer does not accept the
point, says why, and closes the check → proposes "rejected" to the Accreditation Committee →
two members vote "agree" and one records the decision from the votes → an anonymous visitor
finds the dossier in the register of reviews as "Rejected", downloads its public PDF, and
does not find it in the catalogue (approvals only). The public report carries the site
visit's summary, the findings, the provider's statement and the deciding body.
A screenshot of each step goes to artifacts/screenshots/.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from qa_portal.accounts.models import Role
from qa_portal.core import clock
from qa_portal.core.db import commit
from qa_portal.decisions.operations import latest_decision
from qa_portal.dossiers.models import Dossier
from qa_portal.extensions import db
from qa_portal.reports import data as report_data
from qa_portal.reports.models import Report, ReportVariant
from qa_portal.reviews.panel_enums import SiteVisitPolicy
from qa_portal.reviews.policy import current_policy

pytestmark = pytest.mark.e2e

TITLE = "Applied Data Stewardship"
COMMITTEE = "Accreditation Committee"
VISIT_SUMMARY = "The panel met the programme team and two learners online."
SUMMARY = "The assessment does not show that the learning outcomes are achieved."
STATEMENT = "We are revising the assessment and will apply again."


def open_as(make_context, sign_in, user):
    page = make_context().new_page()
    sign_in(page, user)
    return page


def flashed(page, text: str) -> None:
    expect(page.locator(".flash-success")).to_contain_text(text)


@pytest.fixture
def pending_dossier(workflow, make_user, people):
    """The policy (optional visit, 14-day factual check, committee of quorum 2), two committee
    members, and a dossier of provider A with every review in, officer = people.officer."""
    policy = current_policy()
    policy.site_visit = SiteVisitPolicy.OPTIONAL
    policy.factual_accuracy_days = 14
    policy.decision_body = "committee"
    policy.committee_name = COMMITTEE
    policy.committee_quorum = 2
    members = [make_user(Role.COMMITTEE, name=f"Member {n}") for n in ("One", "Two")]
    dossier = workflow.case(submit=True, title=TITLE).to("reviewed").dossier
    assert dossier.case_officer_id == people.officer.id
    commit()
    return dossier, members


def test_a_dossier_through_the_esg_procedure_to_a_published_rejection(
    make_context, live_server, monkeypatch, people, pending_dossier, sign_in, screenshot
):
    # The harness turns the reports of a decision off (tests/harness.py); this journey
    # publishes one, so the live server queues and renders them (jobs run inline).
    monkeypatch.setitem(live_server.app.config, "REPORTS_ON_DECISION", True)
    dossier, members = pending_dossier
    case_url = f"/dossiers/{dossier.id}"

    # -- the officer schedules an online site visit and records it as held ----------------
    officer = open_as(make_context, sign_in, people.officer)
    officer.goto(case_url)
    officer.locator("#site-visit").get_by_role("link", name="Schedule the site visit").click()
    officer.get_by_label("Mode").select_option("online")
    officer.get_by_label("Date and time").fill(f"{clock.today().isoformat()}T10:00")
    officer.get_by_label("Place or meeting link").fill("https://meet.example/esg-visit")
    officer.get_by_label("Participants").fill("The panel; the programme lead; two learners.")
    screenshot(officer, "officer-visit-schedule")
    officer.get_by_role("button", name="Schedule the visit").click()
    flashed(officer, "The site visit is scheduled")
    officer.get_by_role("link", name="Manage the site visit").click()
    officer.get_by_label("Written minutes").fill("Minutes: introductions, assessment.")
    officer.get_by_label("Summary for the report").fill(VISIT_SUMMARY)
    officer.get_by_role("button", name="Record the visit as held").click()
    flashed(officer, "The site visit is recorded as held")
    expect(officer.locator("#site-visit")).to_contain_text(VISIT_SUMMARY)
    screenshot(officer, "officer-visit-held")

    # -- the officer writes the panel's findings -------------------------------------------
    officer.get_by_role("link", name="Write the findings").click()
    rows = officer.locator("#findings-form [id^=criterion-]")
    for n in range(1, rows.count() + 1):
        row = officer.locator(f"#criterion-{n}")
        row.get_by_role("radio", name=re.compile(r"^2 ")).check()
        row.get_by_label(f"Findings on criterion {n}").fill(f"Partly met: finding {n}.")
    officer.get_by_label("Summary and overall judgement").fill(SUMMARY)
    officer.get_by_label("Strengths").fill("A clear programme page.")
    officer.get_by_label("Recommendation 1").fill("Align the assessment with the outcomes.")
    officer.get_by_label("Proposed outcome").select_option("reject")
    screenshot(officer, "officer-findings")
    officer.get_by_role("button", name="Save the findings").click()
    flashed(officer, "The panel's findings are saved.")

    # -- … and sends the draft report (the button asks to confirm) --------------------------
    officer.once("dialog", lambda dialog: dialog.accept())
    officer.get_by_role("button", name="Send the draft report to the provider").click()
    flashed(officer, "The draft report is sent")
    screenshot(officer, "officer-draft-sent")

    # -- the provider points out an error of fact and adds a statement ----------------------
    provider = open_as(make_context, sign_in, people.provider_a)
    provider.goto(f"{case_url}/draft-report")
    expect(provider.get_by_role("heading", level=1)).to_contain_text("DRAFT")
    provider.get_by_label("Point 1: where in the report").fill("Criterion 3")
    provider.get_by_label("Point 1: the error of fact, and what is correct").fill(
        "The workload is 150 hours, not 120."
    )
    provider.get_by_label("Your statement for the final report (optional)").fill(STATEMENT)
    screenshot(provider, "provider-comments")
    provider.get_by_role("button", name="Send the comments").click()
    flashed(provider, "your comments on the draft report are sent")
    expect(provider.locator("#comments")).to_contain_text(STATEMENT)

    # -- the officer answers the point and closes the check --------------------------------
    officer.goto(f"{case_url}/factual-accuracy")
    point = officer.locator("#point-1")
    point.get_by_label("Not accepted", exact=True).check()
    point.get_by_label("Point 1: what was corrected, or why it is not accepted").fill(
        "The dossier as submitted states 120 hours."
    )
    point.get_by_role("button", name="Save the answer").click()
    flashed(officer, "Point 1 answered.")
    screenshot(officer, "officer-answered")
    officer.get_by_role("button", name="Close the factual-accuracy check").click()
    flashed(officer, "The factual-accuracy check is closed")

    # -- the officer proposes the rejection to the committee -------------------------------
    officer.get_by_role("link", name="Propose a decision…").click()
    expect(officer.get_by_role("heading", level=1)).to_contain_text("Propose a decision")
    officer.get_by_label("Decision").select_option("rejected")
    officer.get_by_label("Rationale").fill("The assessment does not evidence the outcomes.")
    screenshot(officer, "officer-proposal")
    officer.get_by_role("button", name="Propose to the committee").click()
    flashed(officer, "Proposal sent to the committee")

    # -- two members agree; the second records the decision from the votes ----------------
    for member in members:
        page = open_as(make_context, sign_in, member)
        page.goto("/committee/")
        page.get_by_role("link", name=TITLE).first.click()
        expect(page.get_by_role("heading", level=1)).to_contain_text(TITLE)
        page.get_by_label("Agree", exact=True).check()
        page.get_by_role("button", name="Cast my vote").click()
        flashed(page, "Your vote is recorded.")
    expect(page.locator("#votes")).to_contain_text("2 agree")
    screenshot(page, "committee-votes")
    page.locator("#record").get_by_role("button", name="Record the decision").click()
    flashed(page, "The committee's decision is recorded")
    screenshot(page, "committee-decided")

    # -- an anonymous visitor finds the published rejection --------------------------------
    visitor = make_context().new_page()
    visitor.goto("/reports")
    visitor.get_by_label("Provider").fill("Provider A")
    visitor.get_by_label("Outcome").select_option("rejected")
    visitor.get_by_role("button", name="Search").click()
    row = visitor.locator("tbody tr", has_text=TITLE)
    expect(row).to_contain_text("Rejected")
    screenshot(visitor, "visitor-register")
    href = row.get_by_role("link", name=re.compile("^PDF")).get_attribute("href")
    pdf = visitor.request.get(href)
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF")
    visitor.goto("/catalogue")
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Approved microcredentials")
    expect(visitor.locator("main")).not_to_contain_text(TITLE)
    screenshot(visitor, "visitor-catalogue")

    # The public report holds what the browsers wrote.
    db.session.commit()  # a new transaction: it reads what the browser's requests wrote
    decision = latest_decision(db.session.get(Dossier, dossier.id))
    report = (
        db.session.execute(
            sa.select(Report)
            .where(Report.decision_id == decision.id, Report.variant == ReportVariant.PUBLIC)
            .order_by(Report.revision.desc())
        )
        .scalars()
        .first()
    )
    content = report_data.build(report)
    assert content["site_visit"]["summary"] == VISIT_SUMMARY
    assert content["findings"]["summary"] == SUMMARY
    assert content["findings"]["criteria"][0]["text"] == "Partly met: finding 1."
    assert content["factual_accuracy"]["statement"] == STATEMENT
    assert content["deciding_body"]["name"] == COMMITTEE
    assert content["deciding_body"]["kind"] == "committee"
