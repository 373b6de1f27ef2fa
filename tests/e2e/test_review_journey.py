"""The whole review of one dossier in the browser, each person in their own browser:

the provider submits → the QA officer takes it up and invites two reviewers from the
suggestions → both reviewers accept (declaring no conflict) and score, diverging on one
criterion → the officer writes the moderation note and approves with a condition → the
provider reads the anonymised decision and uploads evidence for the condition → the officer
marks the condition met. A screenshot of each step goes to artifacts/screenshots/.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from qa_portal.accounts.models import Role
from qa_portal.core import clock
from qa_portal.core.db import commit
from qa_portal.decisions.models import ConditionState
from qa_portal.decisions.operations import latest_decision
from qa_portal.dossiers.models import Dossier, DossierState
from qa_portal.extensions import db
from qa_portal.reviews.models import ReviewerProfile
from tests.helpers import pdf_bytes

pytestmark = pytest.mark.e2e

TITLE = "Cloud-Native Operations"
CONDITION = "Publish the grading scheme on the programme page."


@pytest.fixture
def experts(make_user, people):
    """Two reviewers whose expertise matches the dossier (ISCED 0613), one who does not."""
    made = []
    for name, email, codes in [
        ("Riina Tamm", "riina@uni-tartu.example", ["0613"]),
        ("Marco Rossi", "marco@polimi.example", ["0613", "0541"]),
        ("Hanna Schulz", "hanna@hs-example.example", ["0413"]),
    ]:
        user = make_user(Role.REVIEWER, email=email, name=name)
        db.session.add(ReviewerProfile(user=user, isced_codes=codes, keywords=["DevOps"]))
        made.append(user)
    commit()
    return made


def open_as(make_context, sign_in, user):
    page = make_context().new_page()
    sign_in(page, user)
    return page


def score(page, criterion: int, value: int) -> None:
    row = page.locator(f"#criterion-{criterion}")
    row.get_by_role("radio", name=re.compile(rf"^{value} ")).check()
    row.get_by_label(f"Comment on criterion {criterion}").fill(f"Reasons for {value}.")


def write_review(page, assignment_link: str, divergent_score: int) -> None:
    page.get_by_role("link", name="My reviews").click()
    page.locator("section", has_text="Reviews to write").get_by_role(
        "link", name=assignment_link
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    for criterion in range(1, 9):
        score(page, criterion, divergent_score if criterion == 2 else 3)
    page.get_by_label("Overall recommendation").select_option("approve_with_conditions")
    page.get_by_label("Comments to the provider").fill(
        "Clear outcomes; publish how the capstone is graded."
    )
    page.get_by_label("Confidential comments to the QA body").fill("No concerns.")


def test_a_dossier_from_submission_to_a_met_condition(
    make_context, people, experts, make_dossier, sign_in, screenshot
):
    riina, marco, hanna = experts
    dossier = make_dossier(people.provider_a, title=TITLE)

    # -- the provider submits ------------------------------------------------------------
    provider = open_as(make_context, sign_in, people.provider_a)
    provider.get_by_role("link", name=TITLE).click()
    provider.get_by_role("link", name="Submit…").click()
    provider.get_by_role("button", name="Submit version 1").click()
    expect(provider.locator(".flash-success")).to_contain_text("Submitted as version 1")
    screenshot(provider, "provider-submitted")

    # -- the officer takes it up and builds the panel from the suggestions ----------------
    officer = open_as(make_context, sign_in, people.officer)
    expect(officer.get_by_role("heading", name="Work queue")).to_be_visible()
    take_up = officer.locator("[data-need=take_up]")
    expect(take_up.locator(".tile-count")).to_have_text("1")
    take_up.get_by_role("link").click()
    expect(officer.locator(f"tr[data-dossier='{dossier.id}']")).to_contain_text("to take up")
    screenshot(officer, "officer-queue")
    officer.get_by_role("link", name=TITLE).click()
    officer.get_by_role("button", name="Take up for screening").click()
    expect(officer.locator(".flash-success")).to_contain_text("You are the case officer")
    officer.get_by_role("link", name="Build the panel").click()
    suggested = officer.locator("section", has_text="Suggested reviewers").locator("tbody tr")
    # ranked by expertise: both 0613 experts before the management professor
    expect(suggested.nth(2)).to_contain_text("Hanna Schulz")
    screenshot(officer, "officer-suggestions")
    for expert in (riina, marco):
        officer.locator("tbody tr", has_text=expert.name).get_by_role(
            "button", name="Invite"
        ).click()
        expect(officer.locator(".flash-success")).to_contain_text(f"{expert.name} is invited")
    excluded = officer.locator("section", has_text="Excluded")
    expect(excluded).to_contain_text("Riina Tamm")
    expect(excluded).to_contain_text("Already on this round's panel (invited)")
    screenshot(officer, "officer-invited")

    # -- both reviewers accept, declaring no conflict --------------------------------------
    reviewers = {}
    for expert in (riina, marco):
        page = open_as(make_context, sign_in, expert)
        expect(page.get_by_role("heading", name="My reviews")).to_be_visible()
        page.get_by_role("link", name=re.compile(TITLE)).click()
        page.get_by_label(re.compile("I declare that I have no conflict of interest")).check()
        page.get_by_role("button", name="Accept the invitation").click()
        expect(page.locator(".flash-success")).to_contain_text("you are on the panel")
        reviewers[expert.name] = page
    screenshot(reviewers["Marco Rossi"], "reviewer-accepted")

    # -- the officer opens the review -----------------------------------------------------
    officer.get_by_role("link", name="Back to the dossier").click()
    expect(officer.locator("#panel")).to_contain_text("2 of 2 reviewers accepted")
    officer.get_by_role("button", name="Open the review").click()
    expect(officer.locator(".flash-success")).to_contain_text("The review is open")

    # -- both score, two points apart on criterion 2 ----------------------------------------
    for name, divergent in (("Riina Tamm", 2), ("Marco Rossi", 4)):
        page = reviewers[name]
        write_review(page, re.compile(TITLE), divergent)
        screenshot(page, f"review-{name.split()[0].lower()}")
        page.get_by_role("button", name="Submit the review").click()
        expect(page.locator(".flash-success")).to_contain_text("Your review is submitted")
    # the second reviewer now reads the first one's review
    expect(reviewers["Marco Rossi"].locator("#other-reviews")).to_contain_text("Reviewer 1")

    # -- the officer moderates and decides ------------------------------------------------
    officer.get_by_role("link", name="Work queue").click()
    decide = officer.locator("[data-need=decide]")
    expect(decide.locator(".tile-count")).to_have_text("1")
    decide.get_by_role("link").click()
    officer.get_by_role("link", name=TITLE).click()
    scores = officer.locator("#scores")
    expect(scores.locator("tr.divergent")).to_have_count(1)
    expect(scores.locator("tr.divergent")).to_contain_text("2. ")
    officer.get_by_label("Moderation note on criterion 2").fill(
        "Reviewer 1 weighed the missing grading rubric heavily; the condition addresses it."
    )
    officer.get_by_role("button", name="Save note").click()
    expect(officer.locator(".flash-success")).to_contain_text("Moderation note saved")
    screenshot(officer, "officer-moderated")
    officer.get_by_role("link", name="Decide…").click()
    officer.get_by_label("Decision").select_option("approved_with_conditions")
    officer.get_by_label("Rationale").fill(
        "The microcredential meets the standards; the grading scheme must be published."
    )
    officer.get_by_label("Condition 1").fill(CONDITION)
    due = clock.today() + timedelta(days=60)
    officer.get_by_label("Due").fill(due.isoformat())
    screenshot(officer, "officer-decision-form")
    officer.get_by_role("button", name="Record the decision").click()
    expect(officer.locator(".flash-success")).to_contain_text(
        "Decision recorded: approved with conditions"
    )

    # -- the provider reads the anonymised decision and answers the condition --------------
    provider.goto("/")
    todo = provider.locator("#needs-action")
    expect(todo.locator("[data-kind=condition]")).to_contain_text(CONDITION)
    expect(todo.locator("[data-kind=condition]")).to_contain_text(f"Due on {due:%d %b %Y}")
    screenshot(provider, "provider-needs-action")
    # (approved with conditions is also open to appeal: the condition's item links the page)
    todo.locator("[data-kind=condition]").get_by_role("link", name=TITLE).click()
    expect(provider.locator("#decision")).to_contain_text("Decision: Approved with conditions")
    reviews = provider.locator("#scores")
    expect(reviews).to_contain_text("Reviewer 1")
    expect(reviews).to_contain_text("Reviewer 2")
    expect(reviews).to_contain_text("Clear outcomes; publish how the capstone is graded.")
    body = provider.content()
    for expert in experts:
        assert expert.name not in body and expert.email not in body
    assert "No concerns." not in body  # confidential comments stay with the QA body
    assert people.officer.name not in body
    screenshot(provider, "provider-decision")
    condition = provider.locator("#conditions")
    condition.get_by_label("How the condition is met").fill(
        "The grading scheme is published under 'Assessment' on the programme page."
    )
    condition.get_by_label("Evidence (PDF)").set_input_files(
        {"name": "grading-scheme.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes()}
    )
    condition.get_by_role("button", name="Submit the evidence").click()
    expect(provider.locator(".flash-success")).to_contain_text("Evidence for condition 1")
    expect(provider.locator("#conditions")).to_contain_text("grading-scheme.pdf")
    screenshot(provider, "provider-evidence")

    # -- the officer verifies it ------------------------------------------------------------
    officer.get_by_role("link", name="Work queue").click()
    evidence = officer.locator("[data-need=evidence]")
    expect(evidence.locator(".tile-count")).to_have_text("1")
    evidence.get_by_role("link").click()
    expect(officer.locator(f"tr[data-dossier='{dossier.id}']")).to_contain_text(
        "evidence to verify (1)"
    )
    officer.get_by_role("link", name=TITLE).click()
    officer.locator("#conditions").get_by_role("button", name="Mark as met").click()
    expect(officer.locator(".flash-success")).to_contain_text("Condition 1 marked met")
    expect(officer.locator("#conditions")).to_contain_text("conditions met")
    screenshot(officer, "officer-condition-met")

    # What the browsers did is what the database holds.
    db.session.rollback()  # a new transaction: it reads what the browser's requests wrote
    dossier = db.session.get(Dossier, dossier.id)
    assert dossier.state is DossierState.APPROVED_WITH_CONDITIONS
    [round_] = dossier.rounds
    assert [a.reviewer.name for a in round_.assignments] == ["Riina Tamm", "Marco Rossi"]
    assert [note.criterion.position for note in round_.moderation_notes] == [2]
    [condition] = latest_decision(dossier).conditions
    assert condition.state is ConditionState.MET
    assert [f.original_name for f in condition.files] == ["grading-scheme.pdf"]
