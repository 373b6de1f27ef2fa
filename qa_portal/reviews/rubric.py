"""The published rubric: versioned edits of the eight default criteria (product spec section
4, ``reviews/defaults.py``; version 1 inserted by migration 0007)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from qa_portal.accounts.models import Role, User
from qa_portal.core import audit
from qa_portal.core.errors import InvalidInput, NotPermitted, StaleObject
from qa_portal.extensions import db
from qa_portal.reviews.defaults import MissingDefaults
from qa_portal.reviews.models import RubricCriterion, RubricVersion

SCORE_LABELS = {1: "Does not meet", 2: "Partially meets", 3: "Meets", 4: "Exceeds"}


def current_rubric() -> RubricVersion:
    """The latest rubric version. Only reads: migration 0007 inserts version 1 with the
    default criteria, and versions are only ever added."""
    rubric = db.session.execute(
        sa.select(RubricVersion).order_by(RubricVersion.number.desc()).limit(1)
    ).scalar()
    if rubric is None:
        raise MissingDefaults(
            "The rubric is missing from the database; bring it up to date with "
            "'flask db upgrade' (migration 0007 inserts rubric version 1)."
        )
    return rubric


def revise_rubric(
    actor: User, criteria: list[dict[str, Any]], note: str, *, based_on: Any = None
) -> RubricVersion:
    """Save the QA admin's edit as a new rubric version; open rounds keep theirs.

    ``based_on`` is the version number the edit started from: an edit of a version that
    another admin has replaced meanwhile is refused instead of silently undoing theirs."""
    if not actor.has_role(Role.QA_ADMIN):
        raise NotPermitted("Only QA admins may edit the rubric.")
    cleaned = []
    for row in criteria:
        title = (row.get("title") or "").strip()
        guidance = (row.get("guidance") or "").strip()
        if not title and not guidance:
            continue
        if not title:
            raise InvalidInput("Every criterion needs a title.")
        try:
            weight = float(row.get("weight") if row.get("weight") not in (None, "") else 1)
        except (TypeError, ValueError):
            raise InvalidInput(f"The weight of “{title}” is not a number.") from None
        weight = round(weight, 2)  # stored with two decimals: 0.001 would become 0
        if not 0 < weight <= 10:
            raise InvalidInput(f"The weight of “{title}” must be between 0 and 10.")
        cleaned.append((title, guidance, weight))
    if not cleaned:
        raise InvalidInput("A rubric needs at least one criterion.")
    if not (note or "").strip():
        raise InvalidInput("Say what changed in this rubric version.")
    previous = current_rubric()
    if based_on not in (None, "") and str(based_on) != str(previous.number):
        raise StaleObject(
            f"Another QA admin saved rubric version {previous.number} after you opened this "
            "page; reload it to see their version, then make your changes again."
        )
    rubric = RubricVersion(number=previous.number + 1, created_by=actor, note=note.strip())
    for position, (title, guidance, weight) in enumerate(cleaned, start=1):
        rubric.criteria.append(
            RubricCriterion(position=position, title=title, guidance=guidance, weight=weight)
        )
    db.session.add(rubric)
    try:
        db.session.flush()
    except sa.exc.IntegrityError:  # another admin saved the same version number just now
        raise StaleObject(
            "Another QA admin saved a rubric version at the same moment; reload the page."
        ) from None
    audit.record(
        actor,
        "rubric.revise",
        rubric,
        number=rubric.number,
        note=rubric.note,
        criteria=[c[0] for c in cleaned],
    )
    return rubric
