"""The Atom feed of new approvals: a valid Atom 1.0 document, newest approval first, with
every title escaped (or cleaned) so the feed always parses."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime

from qa_portal.catalogue import operations as catalogue
from qa_portal.core.db import commit

ATOM = "{http://www.w3.org/2005/Atom}"


def feed(client) -> ET.Element:
    response = client.get("/catalogue/feed.atom")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    root = ET.fromstring(response.data)  # noqa: S314 - our own feed, parsed in a test
    assert root.tag == f"{ATOM}feed"
    return root


def timestamp(element: ET.Element, name: str) -> datetime:
    text = element.findtext(f"{ATOM}{name}")
    assert text and text.endswith("Z"), (name, text)  # RFC 3339 with its time zone
    return datetime.fromisoformat(text)


def entry_titles(root: ET.Element) -> list[str]:
    return [e.findtext(f"{ATOM}title") for e in root.findall(f"{ATOM}entry")]


def test_the_feed_is_atom_with_the_newest_approval_first(client, make_listing, people):
    first = make_listing("R&D <Basics> for \"Engineers\" & 'Managers'")
    second = make_listing("Second Approval", member=people.provider_b)
    third = make_listing("Third\x0b Approval\x1f")  # control characters XML cannot carry

    root = feed(client)
    for name in ("id", "title", "updated"):
        assert root.findtext(f"{ATOM}{name}"), name
    timestamp(root, "updated")
    assert root.find(f"{ATOM}author/{ATOM}name").text == "Quality Agency"
    assert root.find(f"{ATOM}link[@rel='self']").get("href") == "http://qa.test/catalogue/feed.atom"

    entries = root.findall(f"{ATOM}entry")
    assert entry_titles(root) == [
        "Third Approval",
        "Second Approval",
        "R&D <Basics> for \"Engineers\" & 'Managers'",
    ]
    ids = []
    for entry, listing in zip(entries, [third, second, first], strict=True):
        for name in ("id", "title", "updated"):
            assert entry.findtext(f"{ATOM}{name}"), name
        timestamp(entry, "updated")
        timestamp(entry, "published")
        link = entry.find(f"{ATOM}link[@rel='alternate']").get("href")
        assert link == f"http://qa.test/catalogue/{listing.id}"
        assert listing.provider_name in entry.findtext(f"{ATOM}summary")
        ids.append(entry.findtext(f"{ATOM}id"))
    assert len(set(ids)) == 3
    published = [timestamp(e, "published") for e in entries]
    assert published == sorted(published, reverse=True)
    raw = client.get("/catalogue/feed.atom").get_data(as_text=True)
    assert "R&amp;D &lt;Basics&gt;" in raw


def test_withdrawn_revoked_and_expired_listings_leave_the_feed(
    client, make_listing, people, travel
):
    kept = make_listing("Still Approved", member=people.provider_b)
    withdrawn = make_listing("Withdrawn One")
    revoked = make_listing("Revoked One")
    catalogue.withdraw_listing(people.provider_a, withdrawn, "")
    catalogue.revoke_listing(people.officer, revoked, "Fraudulent assessment.")
    commit()
    assert entry_titles(feed(client)) == [kept.title]
    travel(6 * 366)
    root = feed(client)
    assert entry_titles(root) == []
    for name in ("id", "title", "updated"):  # still a valid, empty feed
        assert root.findtext(f"{ATOM}{name}")
