"""A visitor uses the public catalogue: searches with two filters, opens a microcredential,
downloads its Open Badges 3.0 description and its public review report, and checks the
report on the verification page. Then the same catalogue on a phone."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from qa_portal.core.db import commit
from qa_portal.extensions import db
from qa_portal.reports import operations as reports
from qa_portal.reports.models import ReportVariant
from tests.catalogue.helpers import errors

pytestmark = pytest.mark.e2e


@pytest.fixture
def catalogue(app, live_server, make_listing, people, monkeypatch):
    """Three published microcredentials, each with its rendered public report."""
    # Reports rendered here are served by the live server: one shared file store, as on
    # several production hosts.
    monkeypatch.setitem(live_server.app.config, "REPORT_DIR", app.config["REPORT_DIR"])
    listings = {
        "cloud": make_listing("Cloud-Native Operations"),
        "cyber": make_listing(
            "Cyber Security Operations",
            participation="online",
            keywords=["security", "incident response"],
        ),
        "data": make_listing(
            "Données ouvertes pour les collectivités",
            member=people.provider_b,
            country="FR",
            participation="online",
            languages_instruction=["fr"],
            languages_assessment=["fr"],
        ),
    }
    rendered = {}
    for name, listing in listings.items():
        report = reports.request_report(people.officer, listing.decision, ReportVariant.PUBLIC)
        commit()  # rendered after the commit (in-process job)
        db.session.refresh(report)
        assert report.is_ready, report.error
        rendered[name] = report
    return listings, rendered


def test_a_visitor_finds_downloads_and_verifies_a_microcredential(
    page,
    catalogue,
    screenshot,
    tmp_path,
    ob3,
):
    listings, rendered = catalogue
    cyber, report = listings["cyber"], rendered["cyber"]

    page.goto("/catalogue")
    expect(page.get_by_role("heading", name="Approved microcredentials")).to_be_visible()
    expect(page.locator("#results-heading")).to_have_text("3 microcredentials")

    # Two filters, each chosen from the counts the page offers, then words.
    participation = page.locator("#facet-participation")
    expect(participation.get_by_role("listitem").filter(has_text="Online")).to_contain_text("2")
    participation.get_by_role("link", name="Online").click()
    expect(page.locator("#results-heading")).to_have_text("2 microcredentials")
    country = page.locator("#facet-country")
    expect(country.get_by_role("listitem").filter(has_text="Ireland")).to_contain_text("1")
    country.get_by_role("link", name="Ireland").click()
    expect(page.locator("#results-heading")).to_have_text("1 microcredential")
    results = page.locator("#results h3")
    expect(results).to_have_count(1)
    expect(results).to_contain_text("Cyber Security Operations")
    expect(country.get_by_role("link", name="Ireland")).to_have_attribute("aria-current", "true")
    page.get_by_label("Search the catalogue").fill("incident")
    page.get_by_role("button", name="Search").click()  # the filters stay
    expect(page.locator("#results-heading")).to_have_text("1 microcredential for “incident”")
    expect(results).to_contain_text("Cyber Security Operations")
    expect(page.locator("#facet-participation a.selected")).to_contain_text("Online")
    screenshot(page, "search-with-two-filters")

    # The listing: its decision, its report and its exports.
    results.get_by_role("link", name="Cyber Security Operations").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cyber Security Operations")
    decision = page.locator(f"#decision-{cyber.decision_id}")
    expect(decision).to_contain_text("Approved")
    expect(decision).to_contain_text(report.code)
    screenshot(page, "listing")

    with page.expect_download() as badge_download:
        page.get_by_role("link", name="Open Badges 3.0 (JSON)").click()
    badge_path = tmp_path / badge_download.value.suggested_filename
    badge_download.value.save_as(badge_path)
    achievement = json.loads(badge_path.read_text(encoding="utf-8"))
    assert errors(ob3("Achievement"), achievement) == []
    assert achievement["name"] == "Cyber Security Operations"
    assert achievement["achievementType"] == "MicroCredential"
    assert report.code in achievement["endorsement"][0]["credentialSubject"]["endorsementComment"]

    with page.expect_download() as pdf_download:
        decision.get_by_role("link", name="Public review report").click()
    pdf_path = tmp_path / "report.pdf"
    pdf_download.value.save_as(pdf_path)
    assert pdf_path.read_bytes().startswith(b"%PDF")

    # Anyone can check that the downloaded PDF is the genuine report.
    decision.get_by_role("link", name=report.code).click()
    expect(page).to_have_url(f"{page.url.split('/verify/')[0]}/verify/{report.code}")
    page.get_by_label("PDF file").set_input_files(str(pdf_path))
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("status")).to_contain_text("Genuine.")
    screenshot(page, "report-verified")

    # Another report's PDF is not this one.
    page.get_by_label("PDF file").set_input_files(
        {"name": "other.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.7 other"}
    )
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("alert")).to_contain_text("Not the genuine report.")


PHONE = {
    "viewport": {"width": 375, "height": 740},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}


def overflow(page) -> int:
    return page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


def test_the_catalogue_fits_a_phone(make_context, catalogue, screenshot):
    listings, _ = catalogue
    page = make_context(**PHONE).new_page()
    page.goto("/catalogue")
    assert overflow(page) <= 0
    skip = page.get_by_role("link", name="Skip the filters: 3 results")
    expect(skip).to_be_visible()
    skip.tap()
    expect(page.locator("#results h3").first).to_be_in_viewport()
    screenshot(page, "phone-results", full_page=False)
    page.locator("#results").get_by_role("link", name=listings["data"].title).tap()
    expect(page.get_by_role("heading", level=1)).to_have_text(listings["data"].title)
    assert overflow(page) <= 0
    screenshot(page, "phone-listing")
