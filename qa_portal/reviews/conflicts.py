"""Conflicts of interest and panel suggestions.

A reviewer who is a member of the provider, whose e-mail domain is the provider's domain, or
who declared an affiliation with the provider in the last three years cannot be invited --
checked on every invitation, whatever the form sent. Suggestions rank the others by expertise
match and current load.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from qa_portal.accounts.models import AccountStatus, Role, User, UserRole
from qa_portal.core import clock
from qa_portal.dossiers import isced
from qa_portal.dossiers.models import Dossier
from qa_portal.extensions import db
from qa_portal.reviews.models import (
    AssignmentState,
    ReviewAssignment,
    ReviewerProfile,
    ReviewRound,
)

AFFILIATION_YEARS = 3


def normalised(s: str | None) -> str:
    return re.sub(r"[^a-z0-9]+", " ", (s or "").lower()).strip()


def same_name(a: str | None, b: str | None) -> bool:
    return bool(normalised(a)) and normalised(a) == normalised(b)


def _domain_matches(email_domain: str, org_domain: str | None) -> bool:
    if not org_domain:
        return False
    org_domain = org_domain.lower()
    return email_domain == org_domain or email_domain.endswith("." + org_domain)


_UNLOADED: Any = object()


def conflict_reasons(
    reviewer: User,
    dossier: Dossier,
    on: date | None = None,
    *,
    profile: ReviewerProfile | None = _UNLOADED,
) -> list[str]:
    """Why ``reviewer`` may not review ``dossier``: the three rules, each with its reason.

    ``profile`` may be passed when the caller has already loaded it (None: no profile)."""
    on = on or clock.today()
    org = dossier.organisation
    reasons = []
    if reviewer.organisation_id == org.id:
        reasons.append(f"Member of the provider organisation ({org.name}).")
    if _domain_matches(reviewer.email_domain, org.domain):
        reasons.append(f"E-mail address in the provider's domain ({org.domain}).")
    if profile is _UNLOADED:
        profile = db.session.execute(
            sa.select(ReviewerProfile).where(ReviewerProfile.user_id == reviewer.id)
        ).scalar()
    if profile is not None:
        limit = (
            on.replace(year=on.year - AFFILIATION_YEARS)
            if not (on.month == 2 and on.day == 29)
            else on - timedelta(days=365 * AFFILIATION_YEARS)
        )
        for affiliation in profile.affiliations:
            linked = affiliation.organisation_id == org.id or same_name(
                affiliation.organisation_name, org.name
            )
            recent = affiliation.end_date is None or affiliation.end_date >= limit
            if linked and recent:
                until = (
                    "ongoing"
                    if affiliation.end_date is None
                    else f"until {affiliation.end_date:%d %b %Y}"
                )
                reasons.append(
                    f"Declared affiliation with {org.name} in the last {AFFILIATION_YEARS} "
                    f"years ({affiliation.role or 'affiliated'}, {until})."
                )
    return reasons


def open_load(reviewer_ids: list[int]) -> dict[int, int]:
    """Open assignments (invited or accepted) per reviewer."""
    if not reviewer_ids:
        return {}
    rows = db.session.execute(
        sa.select(ReviewAssignment.reviewer_id, sa.func.count())
        .where(
            ReviewAssignment.reviewer_id.in_(reviewer_ids),
            ReviewAssignment.state.in_([AssignmentState.INVITED, AssignmentState.ACCEPTED]),
        )
        .group_by(ReviewAssignment.reviewer_id)
    ).all()
    return dict(rows)


@dataclass
class Candidate:
    reviewer: User
    match: int
    load: int
    matched: list[str] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z][a-z0-9+#]{2,}", text.lower())}


def suggest_reviewers(
    dossier: Dossier, round_: ReviewRound | None = None
) -> tuple[list[Candidate], list[Candidate]]:
    """Candidates ranked by expertise match then load, and the excluded with their reasons."""
    reviewers = list(
        db.session.execute(
            sa.select(User)
            .join(UserRole)
            .where(UserRole.role == Role.REVIEWER, User.status == AccountStatus.ACTIVE)
            .order_by(User.name)
        ).scalars()
    )
    loads = open_load([r.id for r in reviewers])
    profiles = {
        p.user_id: p
        for p in db.session.execute(
            sa.select(ReviewerProfile)
            .join(UserRole, UserRole.user_id == ReviewerProfile.user_id)
            .where(UserRole.role == Role.REVIEWER)
            .options(selectinload(ReviewerProfile.affiliations))
        ).scalars()
    }
    on_panel = {}
    if round_ is not None:
        on_panel = {a.reviewer_id: a for a in round_.assignments}
    snapshot = dossier.latest_version.snapshot if dossier.latest_version else {}
    code = snapshot.get("isced_code") or dossier.isced_code
    keywords = {k.lower() for k in (snapshot.get("keywords") or dossier.keywords or [])}
    title_words = _words(snapshot.get("title") or dossier.title)
    candidates, excluded = [], []
    for reviewer in reviewers:
        profile = profiles.get(reviewer.id)
        matched, score = [], 0
        if profile is not None:
            if code and code in profile.isced_codes:
                score += 3
                matched.append(f"field {code} {isced.name_of(code)}")
            elif code and any(c[:2] == code[:2] for c in profile.isced_codes):
                score += 1
                matched.append(f"broad field {isced.BROAD.get(code[:2], code[:2])}")
            for keyword in profile.keywords:
                k = keyword.lower()
                if k in keywords or _words(k) & title_words:
                    score += 1
                    matched.append(keyword)
        candidate = Candidate(reviewer, score, loads.get(reviewer.id, 0), matched)
        reasons = conflict_reasons(reviewer, dossier, profile=profile)
        if reviewer.id in on_panel:
            state = on_panel[reviewer.id].state
            reasons.append(f"Already on this round's panel ({state.value}).")
        if reasons:
            candidate.excluded = reasons
            excluded.append(candidate)
        else:
            candidates.append(candidate)
    candidates.sort(key=lambda c: (-c.match, c.load, c.reviewer.name))
    return candidates, excluded
