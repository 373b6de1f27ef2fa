"""The QA body's revocation list: a W3C Bitstring Status List (v1.0) with one bit per listing.

Each listing owns a bit (``Listing.status_index``, allocated once and never reused); its
signed endorsement credentials point at it with a ``BitstringStatusListEntry``. The bit is
set when the endorsement no longer holds:

- the listing is revoked by the QA body or withdrawn by its provider;
- its approval has expired (``valid_until`` before today, unless a renewal started in time
  still awaits its decision: the catalogue's own rule, ``Listing.public_status``);
- a condition of its decision is marked not met, or is overdue (open past its due date,
  ``Condition.is_overdue``).

The list is computed from the database when asked for, so a change of state, a date passing
or a condition falling overdue shows at once, with no job. The published credential
(``BitstringStatusListCredential``, statusPurpose ``revocation``) is signed like the
endorsements; the signed document is kept in the process, keyed on the bitstring, the
issuer and the key, so that requests in between two changes are not signed again.

Expiry and overdue conditions can be cured (a renewal, a condition met or extended): their
bit is then cleared. The specification calls revocation irreversible; a copy made for
a decision that is over keeps its own ``validUntil``, and the bit is the listing's.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import threading
from datetime import date
from typing import Any

import sqlalchemy as sa

from qa_portal.catalogue.models import RENEWING_STATES, Listing, ListingState
from qa_portal.core import clock, data_integrity, keys
from qa_portal.core.urls import external_url
from qa_portal.decisions.models import Condition, ConditionState, Decision
from qa_portal.dossiers.models import Dossier
from qa_portal.extensions import db

LIST_NUMBER = 1  # the only list so far: /credentials/status/1
STATUS_PURPOSE = "revocation"
MIN_BITS = 131_072  # 16 KB: the specification's minimum size, for group privacy
VC_CONTEXT = ["https://www.w3.org/ns/credentials/v2"]

_cache: dict[tuple, dict[str, Any]] = {}
_cache_lock = threading.Lock()
_CACHE_SIZE = 8


def list_url() -> str:
    return external_url("catalogue.status_list", list_number=LIST_NUMBER)


def status_entry(listing: Listing) -> dict[str, Any] | None:
    """The ``credentialStatus`` naming ``listing``'s bit (None if it has no index)."""
    if listing.status_index is None:
        return None
    url = list_url()
    return {
        "id": f"{url}#{listing.status_index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": STATUS_PURPOSE,
        "statusListIndex": str(listing.status_index),
        "statusListCredential": url,
    }


def _renewing():
    """SQL: the listing's approval stays in force past its date (``Listing.renewal_pending``)."""
    return sa.and_(
        sa.exists().where(Dossier.id == Listing.dossier_id, Dossier.state.in_(RENEWING_STATES)),
        ~sa.exists().where(
            Decision.dossier_id == Listing.dossier_id, Decision.id > Listing.decision_id
        ),
    )


def _failed_condition(today: date):
    """SQL: a condition of the listing's decision marked not met, or open past its date."""
    return sa.exists().where(
        Condition.decision_id == Listing.decision_id,
        sa.or_(
            Condition.state == ConditionState.NOT_MET,
            sa.and_(Condition.state == ConditionState.OPEN, Condition.due_date < today),
        ),
    )


def set_indexes(today: date) -> list[int]:
    """The status indexes whose bit is set on ``today``, in order."""
    ended = sa.or_(
        Listing.state != ListingState.VALID,
        sa.and_(Listing.valid_until < today, ~_renewing()),
        _failed_condition(today),
    )
    rows = db.session.execute(
        sa.select(Listing.status_index)
        .where(Listing.status_index.is_not(None), ended)
        .order_by(Listing.status_index)
    ).scalars()
    return list(rows)


def is_set(listing: Listing, today: date) -> bool:
    """Whether ``listing``'s bit is set on ``today`` (the same rule as the list)."""
    return listing.status_index is not None and listing.status_index in set_indexes(today)


def bitstring(indexes: list[int]) -> bytes:
    """The bitstring with these bits set: index 0 is the first byte's most significant bit
    (the specification's left-most bit); at least 16 KB, in steps of 16 KB."""
    size = MIN_BITS
    while indexes and max(indexes) >= size:
        size += MIN_BITS
    bits = bytearray(size // 8)
    for index in indexes:
        bits[index // 8] |= 0x80 >> (index % 8)
    return bytes(bits)


def encode(bits: bytes) -> str:
    """``encodedList``: multibase base64url (``u``, no padding) of the GZIP of the bits
    (with no time stamp in the GZIP header, so the same list always encodes the same)."""
    compressed = gzip.compress(bits, mtime=0)
    return "u" + base64.urlsafe_b64encode(compressed).decode("ascii").rstrip("=")


def decode(encoded: str) -> bytes:
    """The bitstring of an ``encodedList`` (the inverse of ``encode``)."""
    if not encoded.startswith("u"):
        raise ValueError("encodedList must be multibase base64url (starting with 'u').")
    data = encoded[1:]
    return gzip.decompress(base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)))


def bit(bits: bytes, index: int) -> bool:
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def _unsigned(url: str, issuer: str, encoded: str, valid_from: str) -> dict[str, Any]:
    return {
        "@context": VC_CONTEXT,
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer,
        "validFrom": valid_from,
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": STATUS_PURPOSE,
            "encodedList": encoded,
        },
    }


def status_list_credential(today: date | None = None) -> dict[str, Any]:
    """The signed ``BitstringStatusListCredential`` as of ``today`` (raises
    ``keys.SigningKeysMissing`` when the QA body has no credential key)."""
    today = today or clock.today()
    key = keys.current_credential_key()
    url, issuer = list_url(), keys.issuer_did()
    encoded = encode(bitstring(set_indexes(today)))
    cache_key = (url, issuer, key.verification_method, hashlib.sha256(encoded.encode()).digest())
    with _cache_lock:
        cached = _cache.get(cache_key)
    if cached is not None:
        return cached
    now = clock.utcnow()
    document = _unsigned(url, issuer, encoded, data_integrity.xsd_datetime(now))
    signed = data_integrity.sign(document, key.private_key, key.verification_method, now)
    with _cache_lock:
        while len(_cache) >= _CACHE_SIZE:
            _cache.pop(next(iter(_cache)))
        _cache[cache_key] = signed
    return signed
