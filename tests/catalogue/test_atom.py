"""The Atom feed of new approvals: a valid Atom 1.0 document, newest approval first, with
every title escaped (or cleaned) so the feed always parses."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime, timedelta

from qa_portal.catalogue import operations as catalogue
from qa_portal.core.db import commit

ATOM = "{http://www.w3.org/2005/Atom}"
TOMBSTONE = "{http://purl.org/atompub/tombstones/1.0}"


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


def entries(client) -> list[ET.Element]:
    return feed(client).findall(f"{ATOM}entry")


def tombstones(root: ET.Element) -> list[dict[str, str]]:
    """The feed's RFC 6721 deleted entries, in order."""
    return [
        {
            "ref": g.get("ref"),
            "when": g.get("when"),
            "comment": g.findtext(f"{TOMBSTONE}comment"),
            "href": g.find(f"{ATOM}link").get("href"),
        }
        for g in root.findall(f"{TOMBSTONE}deleted-entry")
    ]


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
    announced = {e.findtext(f"{ATOM}title"): e.findtext(f"{ATOM}id") for e in entries(client)}
    catalogue.withdraw_listing(people.provider_a, withdrawn, "")
    catalogue.revoke_listing(people.officer, revoked, "Fraudulent assessment.")
    commit()
    root = feed(client)
    assert entry_titles(root) == [kept.title]
    # RFC 6721: each ended approval is a tombstone naming the entry that announced it
    gone = tombstones(root)
    assert [g["ref"] for g in gone] == [announced["Revoked One"], announced["Withdrawn One"]]
    assert "revoked: Fraudulent assessment." in gone[0]["comment"]
    assert "withdrawn by its provider." in gone[1]["comment"]
    assert gone[0]["href"].endswith(f"/catalogue/{revoked.id}")
    assert timestamp(root, "updated") >= datetime.fromisoformat(gone[0]["when"])
    travel(6 * 366)
    root = feed(client)
    assert entry_titles(root) == []
    gone = tombstones(root)
    assert gone[0]["ref"] == announced["Still Approved"]  # expired last: newest tombstone
    assert gone[0]["when"].startswith((kept.valid_until + timedelta(days=1)).isoformat())
    assert "expired after" in gone[0]["comment"]
    assert {g["ref"] for g in gone} == set(announced.values())
    for name in ("id", "title", "updated"):  # still a valid feed, without entries
        assert root.findtext(f"{ATOM}{name}")
