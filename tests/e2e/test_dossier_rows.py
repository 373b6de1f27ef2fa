"""Repeating rows (outcomes, assessment components) without JavaScript: every add and
remove button round-trips to the server, nothing typed is lost, and the result saves."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from qa_portal.dossiers.models import Dossier
from qa_portal.extensions import db

pytestmark = pytest.mark.e2e


def test_rows_are_added_and_removed_without_javascript(
    make_context, people, make_dossier, sign_in, screenshot
):
    dossier = make_dossier(people.provider_a, complete=False, files=False, title="Data Ethics")
    page = make_context(java_script_enabled=False).new_page()
    sign_in(page, people.provider_a)
    page.goto(f"/dossiers/{dossier.id}/edit")
    expect(page.locator("#outcomes .repeat-row")).to_have_count(0)

    page.get_by_role("button", name="Add a learning outcome").click()
    page.locator("#outcomes-0").get_by_label("Statement").fill("Explain the GDPR to a team.")
    page.get_by_role("button", name="Add a learning outcome").click()
    expect(page.locator("#outcomes .repeat-row")).to_have_count(2)
    expect(page.locator("#outcomes-0").get_by_label("Statement")).to_have_value(
        "Explain the GDPR to a team."
    )
    page.locator("#outcomes-1").get_by_label("Statement").fill("Audit a model for bias.")
    page.locator("#outcomes-1").get_by_label("EQF domain").select_option("skills")

    page.get_by_role("button", name="Add an assessment component").click()
    assessment = page.locator("#assessments-0")
    expect(assessment.get_by_role("checkbox")).to_have_count(2)
    assessment.get_by_label("Method").select_option("portfolio")
    assessment.get_by_label("Weight (%)").fill("100")
    assessment.get_by_label("LO2", exact=True).check()

    # Remove LO1: the other outcome becomes LO1 and stays ticked in the assessment.
    page.get_by_role("button", name="Remove LO1").click()
    rows = page.locator("#outcomes .repeat-row")
    expect(rows).to_have_count(1)
    expect(page.locator("#outcomes-0").get_by_role("heading")).to_have_text("LO1")
    expect(page.locator("#outcomes-0").get_by_label("Statement")).to_have_value(
        "Audit a model for bias."
    )
    expect(assessment.get_by_role("checkbox")).to_have_count(1)
    expect(assessment.get_by_label("LO1", exact=True)).to_be_checked()
    expect(assessment.get_by_label("Weight (%)")).to_have_value("100")
    # The checklist follows each round trip.
    expect(page.locator("#checklist li[data-code='outcome_not_assessed']")).to_have_count(0)
    expect(page.locator("#checklist li[data-code='weights_not_100']")).to_have_count(0)
    screenshot(page, "after-remove")

    page.get_by_role("button", name="Save draft").click()
    expect(page.locator(".flash-success")).to_have_text("Saved.")

    db.session.rollback()  # a new transaction: it reads what the browser's requests wrote
    saved = db.session.get(Dossier, dossier.id)
    assert [o.statement for o in saved.outcomes] == ["Audit a model for bias."]
    assert [a.weight for a in saved.assessments] == [100]
    assert [o.statement for o in saved.assessments[0].outcomes] == ["Audit a model for bias."]
