"""A provider writes a dossier in the browser, fixes what the live checklist reports and
submits it: the main journey of a provider member, on the real app with CSRF on."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from qa_portal.dossiers.models import Dossier, DossierState
from qa_portal.extensions import db
from tests.helpers import pdf_bytes

pytestmark = pytest.mark.e2e

OUTCOMES = [
    ("Analyse the carbon footprint of a regional supply chain from shipment data.", "skills"),
    ("Design a procurement policy that meets the EU due-diligence rules.", "skills"),
    (
        "Justify sourcing decisions to a board, weighing cost and emissions.",
        "responsibility_autonomy",
    ),
]


def checklist_item(page, code: str):
    return page.locator(f"#checklist li[data-code='{code}']")


def upload(page, kind: str, name: str, title: str) -> None:
    files = page.locator("#files")
    files.get_by_label("Type of evidence").select_option(kind)
    files.get_by_label("PDF file").set_input_files(
        {"name": name, "mimeType": "application/pdf", "buffer": pdf_bytes(title)}
    )
    files.get_by_role("button", name="Upload").click()
    expect(page.locator(".flash-success")).to_contain_text(f"{name} uploaded")


def test_provider_writes_fixes_and_submits_a_dossier(page, people, sign_in, screenshot):
    sign_in(page, people.provider_a)
    expect(page.get_by_role("heading", name="Dossiers of Provider A")).to_be_visible()

    # A new draft, from its title.
    page.get_by_role("link", name="New dossier").click()
    page.get_by_label("Title of the microcredential").fill("Sustainable Supply Chains")
    page.get_by_role("button", name="Create the draft").click()
    expect(page.locator(".flash-success")).to_contain_text("Draft created")
    dossier_id = int(re.search(r"/dossiers/(\d+)/edit", page.url).group(1))
    checklist = page.locator("#checklist")
    expect(checklist).to_contain_text("errors to fix before submitting")
    expect(checklist_item(page, "no_outcomes")).to_be_visible()
    screenshot(page, "new-draft")

    # The sections.
    page.get_by_label("Summary").fill("Measure and cut the emissions of a supply chain.")
    page.get_by_label("Full description").fill("Eight weeks of case work with real data.")
    page.get_by_label("Programme web page").fill("https://provider-a.example/supply")
    page.get_by_label("Country of the issuer").select_option("IE")
    page.get_by_label("Languages of instruction").fill("en, ga")
    page.get_by_label("Languages of assessment").fill("en")
    page.get_by_label("EQF level").select_option("6")
    page.get_by_label("Notional workload (hours)").fill("125")
    page.get_by_label("ECTS credits").fill("5")
    page.get_by_label("Duration (weeks)").fill("8")
    page.get_by_label("Form of participation").select_option("blended")
    page.get_by_label("Pacing").select_option("scheduled")
    page.get_by_label("Internal quality assurance").fill(
        "Approved by the Faculty Quality Committee; reviewed every year."
    )
    page.get_by_label("External decision requested").select_option("approval")
    page.get_by_label("Target audience").fill("Procurement officers.")
    page.get_by_label("Cost").fill("EUR 600")

    # Three learning outcomes, instantly (no reload); a stray one in the middle is removed
    # again and the rows after it renumber.
    add_outcome = page.get_by_role("button", name="Add a learning outcome")
    for _ in range(4):
        add_outcome.click()
    outcome_rows = page.locator("#outcomes .repeat-row")
    expect(outcome_rows).to_have_count(4)
    outcome_rows.nth(1).get_by_label("Statement").fill("Understand logistics.")
    page.get_by_role("button", name="Remove LO2").click()
    expect(outcome_rows).to_have_count(3)
    statements = page.locator("#outcomes textarea[name$='-statement']")
    assert statements.evaluate_all("all => all.map(e => e.value)") == ["", "", ""]
    expect(page.locator("[data-row-add='outcomes']")).to_be_focused()
    for i, (statement, domain) in enumerate(OUTCOMES):
        row = page.locator(f"#outcomes-{i}")
        expect(row.get_by_role("heading")).to_have_text(f"LO{i + 1}")
        row.get_by_label("Statement").fill(statement)
        row.get_by_label("EQF domain").select_option(domain)
        row.get_by_label("Framework", exact=True).fill("ESCO")
        row.get_by_label("Item code").fill(f"S4.{i + 1}")

    # Two assessment components: weights 60 + 30, and LO3 assessed by neither.
    add_assessment = page.get_by_role("button", name="Add an assessment component")
    add_assessment.click()
    add_assessment.click()
    first, second = page.locator("#assessments-0"), page.locator("#assessments-1")
    first.get_by_label("Method").select_option("project")
    first.get_by_label("Weight (%)").fill("60")
    first.get_by_label("Supervision and identity verification").select_option("identity_checked")
    first.get_by_label("Description", exact=True).fill("Footprint study of a real chain.")
    first.get_by_label("LO1", exact=True).check()
    first.get_by_label("LO2", exact=True).check()
    second.get_by_label("Method").select_option("oral_exam")
    second.get_by_label("Weight (%)").fill("30")
    second.get_by_label("Supervision and identity verification").select_option("online_proctored")
    second.get_by_label("LO2", exact=True).check()
    expect(second.get_by_label("LO3", exact=True)).not_to_be_checked()

    # A prerequisite.
    page.get_by_role("button", name="Add a prerequisite").click()
    prerequisite = page.locator("#prerequisites-0")
    prerequisite.get_by_label("Kind").select_option("work_experience")
    prerequisite.get_by_label("Description").fill("One year in purchasing or logistics.")

    # The live checklist reports what is wrong before anything is saved.
    expect(checklist_item(page, "weights_not_100")).to_contain_text("add up to 90 %")
    expect(checklist_item(page, "outcome_not_assessed")).to_contain_text("LO3 is not assessed")
    expect(checklist_item(page, "no_outcomes")).to_have_count(0)
    expect(checklist_item(page, "missing_country")).to_have_count(0)
    expect(page.locator("[data-save-state]")).to_have_text("Unsaved changes")
    # Its links lead to the row concerned, whatever was removed before.
    checklist_item(page, "outcome_not_assessed").get_by_role("link").click()
    expect(page.locator("#outcomes-2")).to_be_in_viewport()
    expect(page.locator("#outcomes-2").get_by_label("Statement")).to_have_value(OUTCOMES[2][0])

    page.get_by_role("button", name="Save draft").click()
    expect(page.locator(".flash-success")).to_have_text("Saved.")
    expect(page.locator("#outcomes .repeat-row")).to_have_count(3)
    expect(page.locator("#outcomes-2").get_by_label("Statement")).to_have_value(OUTCOMES[2][0])

    # One evidence file: the curriculum. The assessment sample is still missing.
    upload(page, "curriculum", "curriculum.pdf", "Curriculum")
    expect(checklist_item(page, "missing_evidence_curriculum")).to_have_count(0)
    expect(checklist_item(page, "missing_evidence_assessment_sample")).to_be_visible()
    expect(checklist_item(page, "weights_not_100")).to_be_visible()
    expect(checklist_item(page, "outcome_not_assessed")).to_be_visible()
    expect(page.locator("#checklist li.level-error")).to_have_count(3)
    # The checklist stays in view beside the part of the form being edited.
    page.locator("#assessments-1").scroll_into_view_if_needed()
    expect(checklist).to_be_in_viewport()
    screenshot(page, "checklist-errors", full_page=False)

    # Submitting is refused while errors remain.
    page.get_by_role("link", name="Submit…").click()
    expect(page.get_by_text("Fix the errors in the checklist before submitting.")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("Submit version"))).to_have_count(0)
    page.get_by_role("link", name="Back to editing").click()

    # Fix them: the assessment sample, the weights, LO3 ticked; the checklist turns complete.
    upload(page, "assessment_sample", "oral-exam-brief.pdf", "Assessment sample")
    expect(checklist_item(page, "missing_evidence_assessment_sample")).to_have_count(0)
    page.locator("#assessments-1").get_by_label("Weight (%)").fill("40")
    expect(checklist_item(page, "weights_not_100")).to_have_count(0)
    expect(checklist_item(page, "outcome_not_assessed")).to_be_visible()
    page.locator("#assessments-1").get_by_label("LO3", exact=True).check()
    expect(checklist).to_contain_text("Complete: ready to submit")
    expect(page.locator("#checklist li.level-error")).to_have_count(0)
    expect(checklist).to_be_in_viewport()
    screenshot(page, "checklist-complete", full_page=False)
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator(".flash-success")).to_have_text("Saved.")
    expect(checklist).to_contain_text("Complete: ready to submit")

    # Submit, and land on the frozen version.
    page.get_by_role("link", name="Submit…").click()
    page.get_by_role("button", name="Submit version 1").click()
    expect(page.locator(".flash-success")).to_contain_text("Submitted as version 1")
    expect(page).to_have_url(re.compile(rf"/dossiers/{dossier_id}/versions/1$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Sustainable Supply Chains")
    expect(page.locator(".page-head")).to_contain_text("version 1")
    expect(page.locator(".page-head")).to_contain_text("Submitted")
    expect(page.locator("#sec-outcomes")).to_contain_text(OUTCOMES[2][0])
    screenshot(page, "submitted-version")

    # What the browser did is what the database holds.
    db.session.rollback()  # a new transaction: it reads what the browser's requests wrote
    dossier = db.session.get(Dossier, dossier_id)
    assert dossier.state is DossierState.SUBMITTED
    assert [o.statement for o in dossier.outcomes] == [s for s, _ in OUTCOMES]
    assert [a.weight for a in dossier.assessments] == [60, 40]
    assert [[o.statement for o in a.outcomes] for a in dossier.assessments] == [
        [OUTCOMES[0][0], OUTCOMES[1][0]],
        [OUTCOMES[1][0], OUTCOMES[2][0]],
    ]
    assert [p.description for p in dossier.prerequisites] == [
        "One year in purchasing or logistics."
    ]
    assert sorted(f.kind.value for f in dossier.current_files) == [
        "assessment_sample",
        "curriculum",
    ]
    assert dossier.latest_version.number == 1
