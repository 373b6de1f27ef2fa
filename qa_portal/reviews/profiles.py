"""Reviewer profiles: expertise, bio and affiliations (read by the conflict-of-interest check)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from qa_portal.accounts.models import Organisation, Role, User
from qa_portal.core import audit
from qa_portal.core.errors import InvalidInput, NotPermitted
from qa_portal.core.models import utcnow
from qa_portal.dossiers import isced
from qa_portal.extensions import db
from qa_portal.reviews.conflicts import normalised, same_name
from qa_portal.reviews.models import (
    ReviewerAffiliation,
    ReviewerProfile,
)


def profile_of(user: User) -> ReviewerProfile:
    """The reviewer's profile; an empty one, not saved, if they never saved theirs (reading
    a profile never writes it)."""
    profile = db.session.execute(
        sa.select(ReviewerProfile).where(ReviewerProfile.user_id == user.id)
    ).scalar()
    if profile is None:
        profile = ReviewerProfile(user_id=user.id, bio="", isced_codes=[], keywords=[])
    return profile


def ensure_profile(user: User) -> ReviewerProfile:
    """The reviewer's stored profile, created empty if they have none yet (for saving)."""
    profile = profile_of(user)
    if profile.id is None:
        db.session.add(profile)
        db.session.flush()
    return profile


def save_reviewer_profile(
    actor: User,
    reviewer: User,
    *,
    bio: str,
    isced_codes: list[str],
    keywords: list[str],
    affiliations: list[dict[str, Any]],
) -> ReviewerProfile:
    """Expertise (ISCED-F fields, keywords), bio and affiliations with dates."""
    if actor.id != reviewer.id and not actor.has_role(Role.QA_ADMIN, Role.QA_OFFICER):
        raise NotPermitted("Only the reviewer or QA staff may change this profile.")
    for code in isced_codes:
        if code not in isced.DETAILED:
            raise InvalidInput(f"“{code}” is not an ISCED-F 2013 detailed field.")
    profile = ensure_profile(reviewer)
    profile.bio = bio.strip()
    profile.isced_codes = list(dict.fromkeys(isced_codes))
    profile.keywords = list(dict.fromkeys(k.strip() for k in keywords if k.strip()))
    rows = []
    for row in affiliations:
        name = (row.get("organisation_name") or "").strip()
        if not name:
            continue
        start, end = row.get("start_date"), row.get("end_date")
        if start is None:
            raise InvalidInput(f"Give the start date of the affiliation with {name}.")
        if end is not None and end < start:
            raise InvalidInput(f"The affiliation with {name} ends before it starts.")
        rows.append(
            ReviewerAffiliation(
                organisation_name=name,
                organisation_id=row.get("organisation_id") or _organisation_link(profile, name),
                role=(row.get("role") or "").strip(),
                start_date=start,
                end_date=end,
            )
        )
    profile.affiliations = rows
    profile.updated_at = utcnow()
    db.session.flush()
    audit.record(
        actor,
        "reviewer.profile",
        ("user_account", reviewer.id),
        isced=profile.isced_codes,
        keywords=profile.keywords,
        affiliations=[(a.organisation_name, str(a.start_date), str(a.end_date)) for a in rows],
    )
    return profile


def _organisation_link(profile: ReviewerProfile, name: str) -> int | None:
    """The organisation an affiliation row names: the link it had before (the organisation
    may have been renamed since), else the registered organisation of that name. A stable
    link keeps the conflict rule working when an organisation changes its name."""
    for previous in profile.affiliations:
        if previous.organisation_id and same_name(previous.organisation_name, name):
            return previous.organisation_id
    wanted = normalised(name)
    for org_id, org_name in db.session.execute(sa.select(Organisation.id, Organisation.name)):
        if normalised(org_name) == wanted:
            return org_id
    return None
