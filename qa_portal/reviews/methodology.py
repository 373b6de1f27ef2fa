"""The published methodology's own words and the publication policy (ESG 2.2, 2.6, 2.7).

The agency's prose — the introduction to its review policy, its appeals and complaints
procedures — and its contact details for the reports (address, e-mail, phone) are stored one
row per key (``MethodologyText``, defaults inserted by migration 0016) and edited by the QA
admin; every change is audited with its date. Reading never writes: a key without a row
reads as its default.

Which outcomes are published: the public report of an approval is published with its
catalogue listing; the policy's ``published_outcomes`` lists the other reviewed outcomes
whose public report is published as soon as it is issued (default: all of them, as ESG 2.6
asks). A desk rejection is not a review — no panel, no report — so there is nothing to
publish for it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from qa_portal.accounts.models import Role, User
from qa_portal.core import audit
from qa_portal.core.errors import InvalidInput, NotPermitted
from qa_portal.core.models import utcnow
from qa_portal.extensions import db
from qa_portal.reviews.models import MethodologyText, ReviewPolicy
from qa_portal.reviews.policy import current_policy


@dataclass(frozen=True)
class TextSpec:
    key: str
    label: str
    default: str
    max_length: int
    multiline: bool = True


TEXTS: tuple[TextSpec, ...] = (
    TextSpec(
        "introduction",
        "Introduction to the review policy",
        "We review microcredentials against published criteria, with panels of independent "
        "experts, in a procedure that is the same for every provider. Each review ends with "
        "a decision taken on the panel's findings and a report that we publish, whatever "
        "its outcome.",
        5000,
    ),
    TextSpec(
        "appeals",
        "Appeals procedure",
        "A provider may appeal against a decision within the appeal period stated in the "
        "decision and its report. The appeal gives its grounds in writing, through the "
        "portal. It is decided by people who had no part in the decision appealed against. "
        "An appeal that is upheld leads to a new decision; the report of the original "
        "decision then says that it was superseded.",
        5000,
    ),
    TextSpec(
        "complaints",
        "Complaints procedure",
        "Anyone may complain about the conduct of a review or about our process, separately "
        "from an appeal against a decision. Complaints are handled by a member of the "
        "agency who is not the subject of the complaint, within a stated period, and their "
        "outcome is recorded. Write to us at the address below.",
        5000,
    ),
    TextSpec("address", "Postal address", "", 500),
    TextSpec("email", "E-mail address", "", 200, multiline=False),
    TextSpec("phone", "Telephone", "", 50, multiline=False),
)
TEXT_KEYS = tuple(t.key for t in TEXTS)
_SPEC = {t.key: t for t in TEXTS}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

# The reviewed outcomes that are not approvals (their value, their label), in the order
# of decisions.models.Outcome. Spelled out here: reviews sits below decisions.
PUBLISHABLE = (("revise_and_resubmit", "Revise and resubmit"), ("rejected", "Rejected"))


@dataclass(frozen=True)
class Text:
    key: str
    label: str
    body: str
    updated_at: datetime | None  # None: the default, never edited nor inserted
    multiline: bool


def _rows() -> dict[str, MethodologyText]:
    return {r.key: r for r in db.session.execute(sa.select(MethodologyText)).scalars()}


def texts() -> dict[str, Text]:
    """Every text by key, the stored one or else its default (reads only)."""
    rows = _rows()
    result = {}
    for spec in TEXTS:
        row = rows.get(spec.key)
        result[spec.key] = Text(
            spec.key,
            spec.label,
            row.body if row is not None else spec.default,
            row.updated_at if row is not None else None,
            spec.multiline,
        )
    return result


def text_of(key: str) -> str:
    return texts()[key].body


def update_texts(actor: User, values: dict[str, Any]) -> list[str]:
    """QA admin rewrites the methodology's texts or the agency's contact details; each text
    that changed is audited with its old and new wording. Returns the keys that changed."""
    if not actor.has_role(Role.QA_ADMIN):
        raise NotPermitted("Only QA admins edit the published methodology.")
    cleaned = {}
    for key, value in values.items():
        spec = _SPEC.get(key)
        if spec is None or value is None:
            continue
        text = str(value).strip()
        if len(text) > spec.max_length:
            raise InvalidInput(f"{spec.label} is limited to {spec.max_length} characters.")
        if key == "email" and text and not EMAIL.match(text):
            raise InvalidInput("Give a valid e-mail address, such as qa@agency.example.")
        cleaned[key] = text
    rows = _rows()
    changed = []
    for key, text in cleaned.items():
        row = rows.get(key)
        old = row.body if row is not None else _SPEC[key].default
        if old == text:
            continue
        if row is None:
            row = MethodologyText(key=key)
            db.session.add(row)
        row.body, row.updated_at, row.updated_by = text, utcnow(), actor
        db.session.flush()
        audit.record(actor, "methodology.update", row, key=key, old=old, new=text)
        changed.append(key)
    return changed


def published_outcomes(policy: ReviewPolicy | None = None) -> set[str]:
    """The non-approval outcomes whose public report is published when issued."""
    policy = policy or current_policy()
    return {v for v in (policy.published_outcomes or "").split(",") if v}


def update_published_outcomes(actor: User, outcomes: list[str]) -> ReviewPolicy:
    """QA admin chooses which reviewed outcomes besides approvals are published (audited)."""
    if not actor.has_role(Role.QA_ADMIN):
        raise NotPermitted("Only QA admins change the publication policy.")
    allowed = [value for value, _ in PUBLISHABLE]
    unknown = [o for o in outcomes if o not in allowed]
    if unknown:
        raise InvalidInput(f"Not an outcome that can be published: {', '.join(unknown)}.")
    policy = current_policy()
    value = ",".join(o for o in allowed if o in outcomes)
    if policy.published_outcomes != value:
        audit.record(
            actor,
            "policy.update",
            policy,
            changes={"published_outcomes": [policy.published_outcomes, value]},
        )
        policy.published_outcomes = value
        policy.updated_at = utcnow()
    return policy


def history(limit: int = 20) -> list[dict[str, Any]]:
    """The latest changes of the texts (from the audit trail): key, date, who."""
    rows = db.session.execute(
        sa.select(audit.AuditEntry)
        .where(audit.AuditEntry.action == "methodology.update")
        .order_by(audit.AuditEntry.id.desc())
        .limit(limit)
    ).scalars()
    result = []
    for entry in rows:
        key = json.loads(entry.data or "{}").get("key")
        label = _SPEC[key].label if key in _SPEC else key
        result.append({"label": label, "at": entry.created_at, "by": entry.actor_label})
    return result
