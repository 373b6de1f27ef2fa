"""Checking a learner's credential against the catalogue (issue 16, item 7).

An employer holding a learner's Open Badges 3.0 credential (``OpenBadgeCredential`` /
``AchievementCredential``) or Europass digital credential (ELM 3 JSON-LD,
``EuropeanDigitalCredential``) asks: was this microcredential quality-assured when it was
issued, and is it still? The answer, as plain data:

- **which listing** the credential's achievement is, identified — in this order — by the
  achievement's ``id`` being this catalogue's Open Badges achievement
  (``/api/v1/listings/<id>/achievement``), or by one of its identifiers (OB3
  ``otherIdentifier``, ELM ``identifier`` of the claim or of its specification) being the
  listing's catalogue page or its CTID (``ce-…``). Never by title alone: a listing with the
  same title is only offered as a hint, the credential does not identify it;
- whether the listing was **approved on the credential's issuance date**
  (``approved_on``), whether its approval is **valid today** (the catalogue's own
  ``PublicStatus``), and the **state of its conditions** (met, open, overdue, not met).

The credential's own signature is not checked, nor needed: the check is about the
achievement it names. Nothing here writes: the credential is read in memory and forgotten
(the view neither stores nor logs it).
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from qa_portal.catalogue.models import Listing, PublicStatus
from qa_portal.core.errors import InvalidInput
from qa_portal.core.urls import external_url, site_path
from qa_portal.decisions.follow_up import condition_badge
from qa_portal.decisions.models import ConditionState, Decision
from qa_portal.extensions import db

# Below Werkzeug's limit on a form field held in memory (Flask's MAX_FORM_MEMORY_SIZE,
# 500 000 bytes), so that a pasted credential too large gets this page's message, not a 413.
CREDENTIAL_MAX_BYTES = 480_000
LIMIT_TEXT = f"{CREDENTIAL_MAX_BYTES // 1000} KB"
CREDENTIAL_TYPES = ("OpenBadgeCredential", "AchievementCredential", "EuropeanDigitalCredential")
# The issuance date, by preference: the fields that name the issuance, then VC 2.0's validFrom.
DATE_FIELDS = ("issuanceDate", "issued", "awardedDate", "validFrom")
CTID = re.compile(r"(?:^|[:/])(ce-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$")
OB3 = "Open Badges 3.0 credential"
EDC = "Europass digital credential (ELM 3)"


@dataclass(frozen=True)
class Claim:
    """What a credential says about its achievement."""

    kind: str
    name: str
    identifiers: tuple[str, ...]
    issued: date
    issued_field: str


# -- reading the credential -----------------------------------------------------------------
def read_json(raw: bytes | str) -> Any:
    """The credential's JSON (a VC-JWT's payload is decoded); InvalidInput when it is too
    large, empty or not JSON."""
    if isinstance(raw, str):
        raw = raw.encode("utf-8")
    if len(raw) > CREDENTIAL_MAX_BYTES:
        raise InvalidInput(
            f"The credential is too large: at most {LIMIT_TEXT} is checked (a credential is "
            "usually a few kilobytes; one with embedded images, a few hundred)."
        )
    text = raw.decode("utf-8", errors="replace").strip().lstrip("\ufeff")
    if not text:
        raise InvalidInput("Paste the credential's JSON or choose its file.")
    if text.startswith("eyJ") and text.count(".") == 2:
        return _jwt_payload(text)
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        raise InvalidInput(
            "This is not valid JSON. Paste the whole credential, from its first { to its last }."
        ) from None


def _jwt_payload(token: str) -> Any:
    """A VC-JWT: the credential is its payload (or the payload's ``vc`` claim)."""
    body = token.split(".")[1]
    try:
        payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except (ValueError, RecursionError):
        raise InvalidInput("This looks like a signed JWT, but its payload is not JSON.") from None
    return payload.get("vc", payload) if isinstance(payload, dict) else payload


def _types(node: dict) -> set[str]:
    found = node.get("type", node.get("@type", []))
    return {found} if isinstance(found, str) else {t for t in found if isinstance(t, str)}


def _first(value: Any) -> Any:
    """The first item of a list (a JSON-LD value may be one or several)."""
    if isinstance(value, list):
        return next((v for v in value if isinstance(v, dict)), None)
    return value


def _text(value: Any) -> str:
    """A plain string, or an ELM language map's English (else first) text."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, dict):
        chosen = value.get("en", next(iter(value.values()), ""))
        return _text(chosen[0] if isinstance(chosen, list) and chosen else chosen)
    if isinstance(value, list) and value:
        return _text(value[0])
    return ""


def _identifiers(node: Any) -> list[str]:
    """A node's ``id`` and the values of its identifiers: OB3 ``otherIdentifier`` entries
    (``identifier``), ELM ``identifier`` objects (``notation``) or plain strings."""
    if not isinstance(node, dict):
        return []
    found = [node["id"]] if isinstance(node.get("id"), str) else []
    for key in ("otherIdentifier", "identifier"):
        values = node.get(key) or []
        for value in values if isinstance(values, list) else [values]:
            if isinstance(value, str):
                found.append(value)
            elif isinstance(value, dict):
                entry = value.get("identifier") or value.get("notation") or value.get("@value")
                found.extend([entry] if isinstance(entry, str) else [])
    return [v.strip() for v in found if v.strip()]


def _issued(doc: dict) -> tuple[date, str]:
    for field in DATE_FIELDS:
        value = doc.get(field)
        if value in (None, ""):
            continue
        try:
            return datetime.fromisoformat(str(value).replace("Z", "+00:00")).date(), field
        except ValueError:
            raise InvalidInput(
                f"The credential's {field} ({str(value)[:40]}) is not a date: expected an "
                "ISO 8601 date, such as 2025-03-01 or 2025-03-01T10:00:00Z."
            ) from None
    raise InvalidInput(
        "The credential has no issuance date (issuanceDate, issued, awardedDate or validFrom)."
    )


def claim_of(doc: Any) -> Claim:
    """The achievement a credential names, with its identifiers and issuance date;
    InvalidInput when the JSON is not a credential or names no achievement."""
    if not isinstance(doc, dict) or not (
        _types(doc) & set(CREDENTIAL_TYPES) or "VerifiableCredential" in _types(doc)
    ):
        raise InvalidInput(
            "This JSON is not a credential: its type is not OpenBadgeCredential, "
            "AchievementCredential or EuropeanDigitalCredential (nor VerifiableCredential)."
        )
    subject = _first(doc.get("credentialSubject"))
    if not isinstance(subject, dict):
        raise InvalidInput("The credential has no credentialSubject.")
    achievement = subject.get("achievement")
    if isinstance(achievement, dict):
        identifiers = _identifiers(achievement)
        name, kind = _text(achievement.get("name")), OB3
    else:
        claim = _first(subject.get("hasClaim"))
        if not isinstance(claim, dict):
            raise InvalidInput(
                "The credential names no achievement (no credentialSubject.achievement, "
                "nor a claim in credentialSubject.hasClaim)."
            )
        spec = _first(claim.get("specifiedBy"))
        identifiers = _identifiers(spec) + _identifiers(claim)
        name = _text((spec or {}).get("title")) or _text(claim.get("title"))
        kind = EDC
    issued, field = _issued(doc)
    return Claim(kind, name, tuple(dict.fromkeys(identifiers)), issued, field)


# -- finding the listing -----------------------------------------------------------------------
PROBE = 987654321


def _listing_at(value: str, endpoint: str) -> Listing | None:
    """The listing whose ``endpoint`` address (from PUBLIC_BASE_URL) is exactly ``value``."""
    prefix, _, suffix = external_url(endpoint, listing_id=PROBE).partition(str(PROBE))
    if not (value.startswith(prefix) and value.endswith(suffix)):
        return None
    middle = value[len(prefix) : len(value) - len(suffix)]
    if not middle.isdigit() or len(middle) > 12:
        return None
    listing = db.session.get(Listing, int(middle))
    if listing is None or external_url(endpoint, listing_id=listing.id) != value:
        return None
    return listing


def _listing_with_ctid(value: str) -> Listing | None:
    """The listing whose CTID (``ce-`` + its stored UUID) the value is or ends with
    (``urn:ctid:ce-…``, a registry address)."""
    found = CTID.search(value.lower())
    if found is None:
        return None
    try:
        key = uuid.UUID(found.group(1)[3:])
    except ValueError:
        return None
    return db.session.scalar(sa.select(Listing).where(Listing.uuid == key))


MATCHES = (
    (
        lambda v: _listing_at(v, "api.achievement"),
        "Its achievement is this catalogue's Open Badges achievement of the listing",
    ),
    (
        lambda v: _listing_at(v, "catalogue.detail"),
        "One of its identifiers is the listing's page in this catalogue",
    ),
    (_listing_with_ctid, "One of its identifiers is the listing's CTID"),
)


def find_listing(identifiers: tuple[str, ...]) -> tuple[Listing | None, str]:
    """The listing the identifiers name, and how; (None, "") when none does."""
    for finder, how in MATCHES:
        for value in identifiers:
            listing = finder(value)
            if listing is not None:
                return listing, how
    return None, ""


def same_title(name: str) -> Listing | None:
    """A listing with this title (case-insensitive): a hint only, never a match."""
    if not name:
        return None
    return db.session.execute(
        sa.select(Listing)
        .where(sa.func.lower(Listing.title) == name.lower())
        .order_by(Listing.published_at.desc())
        .limit(1)
    ).scalar()


# -- the answer ------------------------------------------------------------------------------
def approved_on(listing: Listing, day: date) -> bool:
    """Was the listing's approval in force on ``day``: within its approval period (or past
    its end while a renewal awaits its decision) — the current one, or that of an earlier
    approval of the same dossier (renewed since) — and not withdrawn or revoked before."""
    if listing.ended_at is not None and listing.ended_at.date() < day:
        return False
    if listing.valid_from <= day and (day <= listing.valid_until or listing.renewal_pending):
        return True
    earlier = db.session.execute(
        sa.select(Decision).where(
            Decision.dossier_id == listing.dossier_id,
            Decision.id != listing.decision_id,
            Decision.superseded_at.is_(None),  # not overturned on appeal
            Decision.valid_from <= day,
            Decision.valid_until >= day,
        )
    ).scalars()
    return any(d.outcome.is_approval for d in earlier)


def conditions_of(listing: Listing, status: PublicStatus, today: date) -> dict[str, Any]:
    """The approval's conditions today: ``kind`` (none, met, open, overdue, not_met), a
    sentence, and each condition with its public badge."""
    closed = status.has_ended
    conditions = listing.decision.conditions
    rows = [
        {
            "position": c.position,
            "text": c.text,
            "due": c.due_date,
            "badge": condition_badge(c, today, closed),
        }
        for c in conditions
    ]
    overdue = sum(1 for c in conditions if c.is_overdue(today))
    if not conditions:
        kind, said = "none", "The approval has no conditions."
    elif any(c.state == ConditionState.NOT_MET for c in conditions):
        kind = "not_met"
        said = "A condition was not met" + (
            "; the approval was withdrawn." if closed else "; the QA body's decision is pending."
        )
    elif overdue:
        kind = "overdue"
        said = f"{overdue} condition{'s' if overdue != 1 else ''} overdue."
    elif all(c.state == ConditionState.MET for c in conditions):
        kind, said = "met", "Every condition is met."
    else:
        kind, said = "open", "Conditions open, not yet due."
    return {"kind": kind, "summary": said, "items": rows}


def _listing_data(listing: Listing, today: date) -> dict[str, Any]:
    status = listing.public_status(today)
    return {
        "id": listing.id,
        "title": listing.title,
        "provider": listing.provider_name,
        "url": site_path("catalogue.detail", listing_id=listing.id),
        "status": status,
        "valid_from": listing.valid_from,
        "valid_until": listing.valid_until,
        "ended_at": listing.ended_at.date() if listing.ended_at else None,
        "ended_reason": listing.ended_reason,
        "decision": listing.decision.outcome.label,
        "follow_up_note": listing.follow_up_note(today),
    }


def check(doc: Any, today: date) -> dict[str, Any]:
    """Everything the page and the API say about a credential (parsed JSON); InvalidInput
    when it is not a credential."""
    claim = claim_of(doc)
    listing, how = find_listing(claim.identifiers)
    result: dict[str, Any] = {"claim": claim, "today": today, "matched_by": how}
    if listing is None:
        hint = same_title(claim.name)
        result.update(listing=None, same_title=_listing_data(hint, today) if hint else None)
        return result
    data = _listing_data(listing, today)
    status = data["status"]
    result.update(
        listing=data,
        same_title=None,
        approved_at_issuance=approved_on(listing, claim.issued),
        valid_today=not (status.has_ended or status.is_expired),
        conditions=conditions_of(listing, status, today),
    )
    return result


def check_raw(raw: bytes | str, today: date) -> dict[str, Any]:
    """``check`` of a credential as sent (text or bytes)."""
    return check(read_json(raw), today)


def as_json(result: dict[str, Any]) -> dict[str, Any]:
    """The API's answer, always the same keys (null where there is no listing): dates as
    ISO strings, the status as its value."""
    claim: Claim = result["claim"]
    listing, hint = result["listing"], result["same_title"]
    out: dict[str, Any] = {
        "credential": {
            "kind": claim.kind,
            "achievement_name": claim.name,
            "identifiers": list(claim.identifiers),
            "issued": claim.issued.isoformat(),
            "issued_field": claim.issued_field,
        },
        "checked_on": result["today"].isoformat(),
        "signature_checked": False,
        "match": listing is not None,
        "matched_by": result["matched_by"] or None,
        "same_title_listing": (
            external_url("catalogue.detail", listing_id=hint["id"]) if hint else None
        ),
        "listing": None,
        "approved_at_issuance": None,
        "valid_today": None,
        "conditions": None,
    }
    if listing is None:
        return out
    out["listing"] = {
        "id": listing["id"],
        "title": listing["title"],
        "provider": listing["provider"],
        "url": external_url("catalogue.detail", listing_id=listing["id"]),
        "status": listing["status"].value,
        "status_label": listing["status"].label,
        "valid_from": listing["valid_from"].isoformat(),
        "valid_until": listing["valid_until"].isoformat(),
        "ended_on": listing["ended_at"].isoformat() if listing["ended_at"] else None,
    }
    conditions = result["conditions"]
    out.update(
        approved_at_issuance=result["approved_at_issuance"],
        valid_today=result["valid_today"],
        conditions={
            "state": conditions["kind"],
            "summary": conditions["summary"],
            "items": [
                {"position": c["position"], "due": c["due"].isoformat(), "state": c["badge"][1]}
                for c in conditions["items"]
            ],
        },
    )
    return out
