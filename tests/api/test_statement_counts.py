"""Public pages cost a fixed, small number of SQL statements, whatever the number of listings
shown: at most 5 for an anonymous visitor, the same with 3 listings as with 30 (no N+1)."""

from __future__ import annotations

from qa_portal.core.db import commit
from qa_portal.extensions import db
from tests.builders import copy_listing

from .helpers import count_statements

MAX_STATEMENTS = 5
PAGES = [
    "/catalogue?per_page=100",
    "/catalogue?q=cloud&per_page=100",
    "/catalogue?q=cloud+native&eqf=6&country=IE&participation=blended&language=en&ects_min=1"
    "&ects_max=10&field=06&sort=title&per_page=100",
    "/catalogue?status=valid&provider={org}&per_page=100",
    "/catalogue/{listing}",
    "/catalogue/providers/{org}",
    "/api/v1/listings?per_page=100",
    "/api/v1/listings?q=cloud&per_page=100",
    "/api/v1/listings?q=operations&language=en&sort=title&per_page=100",
    "/api/v1/listings/{listing}",
    "/api/v1/organisations",
    "/api/v1/organisations/{org}",
]


def _counts(client, listing, org) -> dict[str, int]:
    counts = {}
    for page in PAGES:
        url = page.format(listing=listing.id, org=org.id)
        with count_statements() as statements:
            response = client.get(url)
        assert response.status_code == 200, url
        counts[page] = len(statements)
        assert len(statements) <= MAX_STATEMENTS, f"{url}: {len(statements)}\n{statements}"
    return counts


def test_public_pages_cost_the_same_few_statements_for_3_and_for_30_listings(
    catalogue, people, client
):
    listings = catalogue(3)
    org = people.org_a
    client.get("/catalogue")  # the QA body's name is cached after the first page
    few = _counts(client, listings[0], org)
    listings += [copy_listing(listings[0], n) for n in range(3, 30)]
    commit()
    db.session.expire_all()
    many = _counts(client, listings[0], org)
    shown = client.get("/api/v1/listings?per_page=100").get_json()
    assert shown["total"] == 30 and len(shown["items"]) == 30
    assert many == few


def test_the_qa_body_name_is_read_once_and_again_after_it_changes(people, client, make_org):
    """The name in every page's header is cached, and a change shows on the next page."""
    body = people.officer.organisation
    assert body.name in client.get("/catalogue").get_data(as_text=True)
    with count_statements() as statements:
        client.get("/catalogue")
    assert not any("FROM organisation" in s for s in statements.sql), statements

    body.name = "Renamed Agency"
    commit()
    assert "Renamed Agency" in client.get("/catalogue").get_data(as_text=True)


def test_a_name_read_in_a_transaction_that_rolls_back_is_not_kept(people, client, app):
    from qa_portal.accounts.branding import qa_body_name

    body = people.officer.organisation
    client.get("/catalogue")
    body.name = "Uncommitted Agency"
    db.session.flush()
    assert qa_body_name(app) == "Uncommitted Agency"
    db.session.rollback()
    assert "Uncommitted Agency" not in client.get("/catalogue").get_data(as_text=True)
    assert body.name in client.get("/catalogue").get_data(as_text=True)


def test_a_configured_name_needs_no_query(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "QA_BODY_NAME", "Configured Agency")
    with count_statements() as statements:
        page = client.get("/catalogue").get_data(as_text=True)
    assert "Configured Agency" in page
    assert not any("FROM organisation" in s for s in statements.sql), statements
