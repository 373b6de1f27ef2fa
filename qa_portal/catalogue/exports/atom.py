"""The Atom 1.0 feed of the newest approvals, without the characters XML 1.0 cannot
carry.

Its ids are ``urn:uuid:`` URNs made from stored identifiers only, never from an address: the
feed's from the QA body organisation's UUID, each entry's from the listing's UUID and the
decision it announces (a renewal published on the same listing is a new approval, so a new
entry). A reader keeps its entries when the portal moves to another domain; the links in
them come from ``PUBLIC_BASE_URL``.

An approval that ends (the provider withdraws the listing, the QA body revokes it, or it
expires) leaves the feed as an RFC 6721 tombstone, ``<at:deleted-entry>``, naming the id of
the entry that announced it, when it ended, and why: a reader that harvested the entry
learns that it no longer holds instead of seeing it vanish."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from xml.sax.saxutils import escape, quoteattr

from qa_portal.catalogue.exports.common import zulu
from qa_portal.catalogue.models import Listing, PublicStatus
from qa_portal.core.urls import external_url

# Characters XML 1.0 cannot carry at all (not even escaped): most C0 controls and the
# non-characters; a title pasted with one of them must not break the whole feed.
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


# The feed's id when no QA body organisation exists yet (a fresh installation).
_NO_QA_BODY = uuid.uuid5(uuid.NAMESPACE_URL, "urn:qa-portal:catalogue")


def _xml(value: str) -> str:
    return escape(_NOT_XML.sub("", value or ""))


def feed_id(qa_body_uuid: uuid.UUID | None) -> str:
    """The feed's permanent id: a name-based UUID under the QA body's stored UUID."""
    return f"urn:uuid:{uuid.uuid5(qa_body_uuid or _NO_QA_BODY, 'catalogue/feed.atom')}"


def entry_id(listing: Listing) -> str:
    """The permanent id of the entry announcing the listing's current approval."""
    return f"urn:uuid:{uuid.uuid5(listing.uuid, f'decision/{listing.decision_id}')}"


TOMBSTONES = "http://purl.org/atompub/tombstones/1.0"


@dataclass(frozen=True)
class Ended:
    """An approval that left the catalogue: its listing, when and why."""

    listing: Listing
    when: datetime
    why: str


def ended(listing: Listing, today: date) -> Ended:
    """When and why ``listing``'s approval ended (withdrawn, revoked, or expired: the day
    after its last valid day)."""
    status = listing.public_status(today)
    if status == PublicStatus.EXPIRED or listing.ended_at is None:
        when = datetime.combine(listing.valid_until + timedelta(days=1), time())
        return Ended(listing, when, f"The approval expired after {listing.valid_until:%d %B %Y}.")
    verb = "withdrawn by its provider" if status == PublicStatus.WITHDRAWN else "revoked"
    reason = f": {listing.ended_reason}" if listing.ended_reason else "."
    return Ended(listing, listing.ended_at, f"The listing was {verb}{reason}")


def _tombstone(gone: Ended) -> list[str]:
    url = external_url("catalogue.detail", listing_id=gone.listing.id)
    return [
        f'<at:deleted-entry ref="{entry_id(gone.listing)}" when="{zulu(gone.when)}">',
        f'<link rel="alternate" type="text/html" href={quoteattr(url)}/>',
        f"<at:comment>{_xml(gone.listing.title)}: {_xml(gone.why)}</at:comment>",
        "</at:deleted-entry>",
    ]


def atom_feed(
    listings: list[Listing],
    qa_body_name: str,
    today: date,
    qa_body_uuid: uuid.UUID | None = None,
    gone: list[Ended] = (),
) -> str:
    """Atom 1.0 feed of the newest approvals (``listings`` newest first), then the
    tombstones of the approvals that ended (``gone``). One entry per approval: a renewal
    published on the same listing is a new entry."""
    feed_url = external_url("catalogue.feed")
    updated = max(
        [listing.updated_at for listing in listings] + [g.when for g in gone],
        default=datetime(2000, 1, 1),
    )
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>',
        f'<feed xmlns="http://www.w3.org/2005/Atom" xmlns:at="{TOMBSTONES}" xml:lang="en">',
        f"<title>{_xml(qa_body_name)}: newly approved microcredentials</title>",
        f'<link rel="self" type="application/atom+xml" href={quoteattr(feed_url)}/>',
        f'<link rel="alternate" type="text/html" '
        f"href={quoteattr(external_url('catalogue.index'))}/>",
        f"<id>{feed_id(qa_body_uuid)}</id>",
        f"<updated>{zulu(updated)}</updated>",
        f"<author><name>{_xml(qa_body_name)}</name></author>",
    ]
    for listing in listings:
        url = external_url("catalogue.detail", listing_id=listing.id)
        decision = listing.decision
        status = listing.public_status(today)
        conditions = ""
        if status == PublicStatus.CONDITIONS_OPEN:
            note = listing.follow_up_note(today)  # not met, or overdue: said in the feed too
            conditions = f" (conditions open{'; ' + note.lower() if note else ''})"
        summary = (
            f"{listing.provider_name}: {decision.outcome.label.lower()} on "
            f"{decision.decided_at:%d %B %Y}, valid until {listing.valid_until:%d %B %Y}"
            f"{conditions}. "
            f"{listing.summary}"
        ).strip()
        parts += [
            "<entry>",
            f"<title>{_xml(listing.title)}</title>",
            f'<link rel="alternate" type="text/html" href={quoteattr(url)}/>',
            f"<id>{entry_id(listing)}</id>",
            f"<published>{zulu(decision.decided_at)}</published>",
            f"<updated>{zulu(listing.updated_at)}</updated>",
            f"<author><name>{_xml(listing.provider_name)}</name></author>",
            f"<summary>{_xml(summary)}</summary>",
            "</entry>",
        ]
    for tombstone in gone:
        parts += _tombstone(tombstone)
    parts.append("</feed>")
    return "\n".join(parts)
