"""Pages of the API: totals, and first / prev / next / last links that a client can follow
to collect every item exactly once."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from qa_portal.core.db import commit
from tests.builders import copy_listing


def _follow(client, url: str, direction: str = "next") -> list[dict]:
    pages = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.get_json()
        page = response.get_json()
        pages.append(page)
        assert len(pages) <= 50, "the links go round in circles"
        url = page["links"].get(direction)
    return pages


def _query(url: str) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def test_following_next_collects_every_listing_exactly_once(catalogue, client):
    listings = catalogue(8)
    expected = {listing.id for listing in listings}

    for sort in ("date", "title"):
        pages = _follow(client, f"/api/v1/listings?per_page=3&sort={sort}")
        ids = [item["id"] for page in pages for item in page["items"]]
        assert sorted(ids) == sorted(expected) and len(ids) == len(set(ids)) == 8
        assert [len(page["items"]) for page in pages] == [3, 3, 2]
        for number, page in enumerate(pages, start=1):
            assert (page["total"], page["pages"], page["page"], page["per_page"]) == (
                8,
                3,
                number,
                3,
            )
            assert page["sort"] == sort
            query = _query(page["links"]["self"])
            assert query["sort"] == sort and query["per_page"] == "3"
            assert query.get("page", "1") == str(number)
            assert _query(page["links"]["first"]).get("page") is None
            assert _query(page["links"]["last"])["page"] == "3"
        assert "prev" not in pages[0]["links"] and "next" not in pages[-1]["links"]
        if sort == "title":
            titles = [item["title"] for page in pages for item in page["items"]]
            assert titles == sorted(titles, key=str.lower)

        # …and prev, from the last page back to the first, gives the same items reversed.
        backwards = _follow(client, pages[0]["links"]["last"], "prev")
        assert [p["page"] for p in backwards] == [3, 2, 1]
        assert [i["id"] for p in reversed(backwards) for i in p["items"]] == ids


def test_links_keep_the_search_and_filters(catalogue, client):
    catalogue(6)  # copies 1…5 have EQF levels 5, 6, 7, 8, 4; the original 6
    pages = _follow(client, "/api/v1/listings?q=cloud&eqf=6&per_page=1")
    assert [p["total"] for p in pages] == [2, 2]
    for page in pages:
        for link in page["links"].values():
            assert _query(link)["q"] == "cloud" and _query(link)["eqf"] == "6"
        assert all(item["eqf_level"] == 6 for item in page["items"])


def test_per_page_default_and_bounds(catalogue, client):
    catalogue(3)
    default = client.get("/api/v1/listings").get_json()
    assert default["per_page"] == 20 and default["pages"] == 1
    assert set(default["links"]) == {"self", "first", "last"}
    assert "per_page" not in default["links"]["self"]  # the default is not repeated
    assert client.get("/api/v1/listings?per_page=100").get_json()["per_page"] == 100
    assert client.get("/api/v1/listings?per_page=1").get_json()["pages"] == 3
    for bad in ("0", "101", "-5", "ten"):
        assert client.get(f"/api/v1/listings?per_page={bad}").status_code == 400


def test_a_page_past_the_end_is_empty_but_reports_the_total(catalogue, client):
    catalogue(3)
    page = client.get("/api/v1/listings?per_page=2&page=9").get_json()
    assert page["items"] == [] and page["total"] == 3 and page["pages"] == 2 and page["page"] == 9
    assert "next" not in page["links"]
    assert _query(page["links"]["prev"])["page"] == "2"  # back to the last real page
    assert _query(page["links"]["last"])["page"] == "2"


def test_an_empty_catalogue_has_one_empty_page(client):
    page = client.get("/api/v1/listings").get_json()
    assert (page["items"], page["total"], page["pages"], page["page"]) == ([], 0, 1, 1)
    assert page["links"]["first"] == page["links"]["last"] == page["links"]["self"]


def test_organisations_are_paginated_by_name(catalogue, make_org, client):
    [first] = catalogue(1)
    names = ["Zeta Academy", "alpha College", "Mu Institute", "Beta Platform"]
    for n, name in enumerate(names, start=1):
        copy_listing(first, n, organisation=make_org(name))
    commit()
    pages = _follow(client, "/api/v1/organisations?per_page=2")
    got = [org["name"] for page in pages for org in page["items"]]
    assert got == ["alpha College", "Beta Platform", "Mu Institute", "Provider A", "Zeta Academy"]
    assert [page["total"] for page in pages] == [5, 5, 5]
    assert all(org["listings"] == 1 for page in pages for org in page["items"])
    provider_a = pages[1]["items"][1]
    listed = client.get(provider_a["links"]["listings"]).get_json()
    assert [item["id"] for item in listed["items"]] == [first.id]
