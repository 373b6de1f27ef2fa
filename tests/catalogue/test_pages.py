"""The public catalogue pages: search with every filter and its counts (also combined), sort,
pagination; the listing page with every public element, the decision and the public report;
the organisation pages; accessible markup."""

from __future__ import annotations

import json

import pytest

from qa_portal.catalogue.public import PUBLIC_FIELDS
from qa_portal.core.db import commit
from qa_portal.dossiers import isced
from qa_portal.extensions import db
from qa_portal.reports import operations as reports
from qa_portal.reports.models import ReportVariant

from .html import Node, facet, parse, result_titles


def get(client, url: str, status: int = 200) -> Node:
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    return parse(response.get_data(as_text=True))


@pytest.fixture
def four(make_listing, people):
    """Four listings from two providers that differ in every filtered field."""
    return {
        "cloud": make_listing(
            "Cloud Operations",
            country="IE",
            eqf_level=6,
            isced_code="0613",
            participation="blended",
            languages_instruction=["en"],
            ects=5.0,
        ),
        "marketing": make_listing(
            "Digital Marketing",
            country="FR",
            eqf_level=5,
            isced_code="0413",
            participation="online",
            languages_instruction=["fr", "en"],
            ects=10.0,
            keywords=["marketing"],
        ),
        "leadership": make_listing(
            "Leadership Lab",
            member=people.provider_b,
            country="IE",
            eqf_level=6,
            isced_code="0413",
            participation="in_person",
            languages_instruction=["de"],
            ects=20.0,
            keywords=["leadership"],
        ),
        "security": make_listing(
            "Security Operations Centre",
            member=people.provider_b,
            outcome="approved_with_conditions",
            country="DE",
            eqf_level=7,
            isced_code="0613",
            participation="online",
            languages_instruction=["en"],
            ects=None,
            keywords=["security"],
        ),
    }


ICT, BUSINESS = isced.BROAD["06"], isced.BROAD["04"]


FILTERED = [
    ("country=IE", {"Cloud Operations", "Leadership Lab"}),
    ("provider={org_b}", {"Leadership Lab", "Security Operations Centre"}),
    ("eqf=6", {"Cloud Operations", "Leadership Lab"}),
    ("field=04", {"Digital Marketing", "Leadership Lab"}),
    ("field=0613", {"Cloud Operations", "Security Operations Centre"}),
    ("participation=online", {"Digital Marketing", "Security Operations Centre"}),
    ("language=fr", {"Digital Marketing"}),
    ("ects_min=5.1&ects_max=30", {"Digital Marketing", "Leadership Lab"}),
    ("ects_max=5", {"Cloud Operations"}),
    ("status=conditions_open", {"Security Operations Centre"}),
    ("status=valid", {"Cloud Operations", "Digital Marketing", "Leadership Lab"}),
    ("q=centre", {"Security Operations Centre"}),
    ("q=leader", {"Leadership Lab"}),  # words match as prefixes
]


def test_search_filters_show_counts_narrow_and_combine(client, four, people):
    page = get(client, "/catalogue")
    assert sorted(result_titles(page)) == sorted(listing.title for listing in four.values())
    assert page.by_id("results-heading").text() == "4 microcredentials"
    assert facet(page, "provider") == {"Provider A": 2, "Provider B": 2}
    assert facet(page, "country") == {"Ireland": 2, "France": 1, "Germany": 1}
    assert facet(page, "eqf") == {"EQF level 6": 2, "EQF level 5": 1, "EQF level 7": 1}
    assert facet(page, "field") == {ICT: 2, BUSINESS: 2}
    assert facet(page, "participation") == {"Online": 2, "Blended": 1, "In person": 1}
    assert facet(page, "language") == {"English": 3, "French": 1, "German": 1}
    assert facet(page, "status") == {"Valid": 3, "Conditions open": 1}
    assert facet(page, "ects") == {
        "Up to 5 ECTS": 1,
        "More than 5, up to 10 ECTS": 1,
        "More than 10, up to 30 ECTS": 1,
    }

    for query, titles in FILTERED:
        url = "/catalogue?" + query.format(org_b=people.org_b.id)
        assert set(result_titles(get(client, url))) == titles, query

    # Combined filters; each filter's counts apply every other filter, not itself.
    page = get(client, f"/catalogue?provider={people.org_a.id}&language=en")
    assert sorted(result_titles(page)) == ["Cloud Operations", "Digital Marketing"]
    assert facet(page, "provider") == {"Provider A": 2, "Provider B": 1}
    assert facet(page, "language") == {"English": 2, "French": 1}
    assert facet(page, "country") == {"Ireland": 1, "France": 1}
    assert facet(page, "ects") == {"Up to 5 ECTS": 1, "More than 5, up to 10 ECTS": 1}
    selected = page.by_id("facet-provider").find("a", class_="selected")
    assert selected.attrs["aria-current"] == "true" and selected.text(hidden=False) == (
        "Provider A"
    )
    assert "remove this filter" in selected.text()
    # The selected choice's link removes it again; the other filter stays.
    assert "provider=" not in selected.attrs["href"] and "language=en" in selected.attrs["href"]

    page = get(client, "/catalogue?country=IE&field=04&eqf=6&participation=in_person")
    assert result_titles(page) == ["Leadership Lab"]
    page = get(client, "/catalogue?country=FR&language=de")
    assert result_titles(page) == [] and "No microcredential matches" in page.text()


def test_results_sort_by_relevance_date_or_title_and_come_in_pages(client, four):
    by_title = result_titles(get(client, "/catalogue?sort=title"))
    assert by_title == sorted(by_title, key=str.lower)
    newest_first = result_titles(get(client, "/catalogue?sort=date"))
    assert newest_first == [
        "Security Operations Centre",
        "Leadership Lab",
        "Digital Marketing",
        "Cloud Operations",
    ]
    assert result_titles(get(client, "/catalogue")) == newest_first  # no words: newest first
    # Every description mentions "operations"; two titles do, and they rank first.
    relevant = result_titles(get(client, "/catalogue?q=operations&sort=relevance"))
    assert len(relevant) == 4
    assert set(relevant[:2]) == {"Cloud Operations", "Security Operations Centre"}
    page = get(client, "/catalogue?q=security+operations")
    assert result_titles(page)[0] == "Security Operations Centre"
    # Words typed after browsing: the form's order is "best match", i.e. relevance.
    assert page.by_id("sort").find("option", selected="").attrs["value"] == ""
    browsing = get(client, "/catalogue")
    assert browsing.by_id("sort").find("option", selected="").attrs["value"] == ""
    assert (
        get(client, "/catalogue?sort=date").by_id("sort").find("option", selected="").attrs["value"]
        == "date"
    )

    first = get(client, "/catalogue?sort=title&per_page=3")
    assert result_titles(first) == ["Cloud Operations", "Digital Marketing", "Leadership Lab"]
    nav = first.find("nav", **{"aria-label": "Result pages"})
    assert "Page 1 of 2" in nav.text()
    next_link = nav.find("a", rel="next").attrs["href"]
    second = get(client, next_link)
    assert result_titles(second) == ["Security Operations Centre"]
    assert second.find("a", rel="prev") is not None and second.find("a", rel="next") is None
    past = get(client, "/catalogue?sort=title&per_page=3&page=9")
    assert result_titles(past) == [] and "4 microcredentials" in past.text()


def test_a_bad_filter_gets_a_clear_message(client):
    for query, message in [
        ("eqf=9", "EQF level must be between 1 and 8."),
        ("country=XX", "is not an ISO 3166 country code"),
        ("ects_min=10&ects_max=5", "The minimum ECTS is larger than the maximum."),
        ("page=abc", "is not a number"),
    ]:
        response = client.get(f"/catalogue?{query}")
        assert response.status_code == 400
        page = parse(response.get_data(as_text=True))
        assert message in page.find("p", role="alert").text(), query


# -- the listing page ---------------------------------------------------------------------
def expected_texts(data: dict) -> dict[str, list[str]]:
    """What the page must show for each public field of the (complete) demo dossier."""
    return {
        "title": [data["title"]],
        "summary": [data["summary"]],
        "description": [data["description"]],
        "web_page": [data["web_page"]],
        "partners": data["partners"],
        "country": ["Ireland"],
        "region": [data["region"]],
        "languages_instruction": ["Languages of instruction English"],
        "languages_assessment": ["Languages of assessment English"],
        "isced_code": [f"{data['isced_code']} {data['isced_name']}"],
        "keywords": [", ".join(data["keywords"])],
        "eqf_level": [f"EQF level {data['eqf_level']}"],
        "level_not_applicable": [f"EQF level {data['eqf_level']}"],
        "national_level": [data["national_level"]],
        "qf_ehea_cycle": ["QF-EHEA first cycle"],
        "workload_hours": [f"{data['workload_hours']} hours"],
        "ects": ["5 ECTS"],
        "duration_weeks": [f"{data['duration_weeks']} weeks"],
        "participation": ["Blended"],
        "pacing": ["scheduled"],
        "recognition_arrangements": [data["recognition_arrangements"]],
        "internal_qa": [data["internal_qa"]],
        "target_audience": [data["target_audience"]],
        "cost": [data["cost"]],
        "grading_scheme": [data["grading_scheme"]],
        "issuance": ["Issued as Both"],
        "issuance_standards": ["Open badges 3", "Europass edc"],
    }


def test_the_listing_page_shows_every_public_element_and_the_decision(client, make_listing, people):
    listing = make_listing("Cloud-Native Operations", outcome="approved_with_conditions")
    data = listing.public
    page = get(client, f"/catalogue/{listing.id}")
    text = page.by_id("main").text()
    expected = expected_texts(data)
    assert set(expected) == set(PUBLIC_FIELDS)  # a new public field needs a place on the page
    for name, snippets in expected.items():
        for snippet in snippets:
            assert snippet in text, (name, snippet)
    for outcome in data["outcomes"]:
        assert outcome["statement"] in text
    assert "ESCO S1.2.3" in text
    for assessment in data["assessments"]:
        assert assessment["description"] in text and assessment["pass_criteria"] in text
    assert "Programming in one general-purpose language and use of git." in text
    assert "MSc Cloud Computing (University of Northbridge): 5 credits" in text
    assert data["reference"] in text

    decision = listing.decision
    box = page.by_id(f"decision-{decision.id}").text()
    assert f"Approved with conditions on {decision.decided_at:%d %b %Y} by Quality Agency" in box
    assert f"{decision.valid_from:%d %b %Y} – {decision.valid_until:%d %b %Y}" in box
    assert "Publish the assessment rubric." in box and "Open" in box
    assert "Valid, conditions open" in text

    exports = {a.text(): a.attrs["href"] for a in page.find_all("a") if a.attrs.get("download")}
    assert exports == {
        "Open Badges 3.0 (JSON)": f"/api/v1/listings/{listing.id}/achievement",
        "CTDL (JSON-LD)": f"/api/v1/listings/{listing.id}/ctdl",
    }
    assert "Public review report" not in text  # none rendered yet
    assert client.get("/catalogue/999999").status_code == 404


def test_the_public_report_is_linked_once_rendered(client, make_listing, people):
    listing = make_listing("Reported One")
    report = reports.request_report(people.officer, listing.decision, ReportVariant.PUBLIC)
    commit()  # rendered after the commit
    db.session.refresh(report)
    assert report.is_ready, report.error
    page = get(client, f"/catalogue/{listing.id}")
    links = {a.attrs["href"] for a in page.find_all("a")}
    assert f"/reports/{report.id}/download" in links
    assert f"/verify/{report.code}" in links
    with client.get(f"/reports/{report.id}/download") as download:  # anyone may download
        assert download.status_code == 200 and download.data.startswith(b"%PDF")
    achievement = client.get(f"/api/v1/listings/{listing.id}/achievement").get_json()
    comment = achievement["endorsement"][0]["credentialSubject"]["endorsementComment"]
    assert f"/reports/{report.id}/download" in comment and report.code in comment


def test_only_web_addresses_become_links(client, make_listing):
    listing = make_listing("Cloud-Native Operations")
    data = dict(listing.public, web_page="javascript:alert(1)")
    data["outcomes"][0]["framework_url"] = "javascript:alert(2)"
    listing.public_json = json.dumps(data)
    commit()
    page = get(client, f"/catalogue/{listing.id}")
    assert not [a for a in page.find_all("a") if "javascript" in a.attrs.get("href", "")]
    assert "javascript:alert(1)" in page.text()  # shown as text
    achievement = client.get(f"/api/v1/listings/{listing.id}/achievement").get_json()
    assert achievement["alignment"][0]["targetUrl"] == f"http://qa.test/catalogue/{listing.id}#LO1"
    ctdl = client.get(f"/api/v1/listings/{listing.id}/ctdl").get_json()
    assert ctdl["ceterms:subjectWebpage"] == f"http://qa.test/catalogue/{listing.id}"


# -- organisation pages -------------------------------------------------------------------
def test_an_organisation_page_lists_its_approved_microcredentials(
    client, make_listing, people, qa_body, make_org
):
    cloud = make_listing("Cloud Operations")
    make_listing("Digital Marketing")
    make_listing("Leadership Lab", member=people.provider_b)
    page = get(client, f"/catalogue/providers/{people.org_a.id}")
    assert page.find("h1").text() == "Provider A"
    assert sorted(result_titles_on(page)) == ["Cloud Operations", "Digital Marketing"]
    assert "2 approved microcredentials" in page.text()
    assert page.find("a", href=f"/catalogue/{cloud.id}") is not None
    detail = get(client, f"/catalogue/{cloud.id}")
    assert detail.find("a", href=f"/catalogue/providers/{people.org_a.id}") is not None
    for org_id in (qa_body.id, make_org("No Listings Yet").id, 999999):
        assert client.get(f"/catalogue/providers/{org_id}").status_code == 404


def result_titles_on(page: Node) -> list[str]:
    return [h.find("a").text() for h in page.find("ul", class_="results").find_all("h3")]


# -- accessible markup --------------------------------------------------------------------
def test_pages_have_landmarks_headings_and_labelled_fields(client, login, make_listing, people):
    listing = make_listing("Cloud-Native Operations")
    for which, url in {
        "index": "/catalogue?sort=title",
        "detail": f"/catalogue/{listing.id}",
        "provider": f"/catalogue/providers/{people.org_a.id}",
    }.items():
        login(client, people.provider_a)  # the detail page then has the withdrawal form too
        check_landmarks(get(client, url), which)


def check_landmarks(page: Node, which: str) -> None:
    html = page.find("html")
    assert html.attrs["lang"] == "en"
    assert page.find("meta", name="viewport") is not None  # fits a phone's width
    assert len(page.find_all("main")) == 1 and len(page.find_all("h1")) == 1
    assert page.find("nav", **{"aria-label": "Main"}) is not None
    labels = {label.attrs.get("for") for label in page.find_all("label")}
    for field in page.find_all("input") + page.find_all("select"):
        if field.attrs.get("type") in ("hidden", "submit"):
            continue
        assert field.attrs.get("id") in labels or field.attrs.get("aria-label"), field.attrs
    headings = [int(n.tag[1]) for n in page.iter() if n.tag in ("h1", "h2", "h3", "h4")]
    assert headings[0] == 1
    assert all(b - a <= 1 for a, b in zip(headings, headings[1:], strict=False))  # no jumps
    if which == "index":
        assert page.find("form", role="search") is not None
        assert page.find("aside", **{"aria-label": "Filters"}) is not None
