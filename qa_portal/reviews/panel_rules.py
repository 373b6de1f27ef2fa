"""Panel composition (ESG 2.4): the review policy's required members per member type and
chair; each reviewer's member types (on their profile); each panel member's role (chair,
member, secretary); and the officer's justified exception.

A requirement counts the panel's accepted (or reviewed) members: a member counts once for
each of their member types; the secretary keeps the record and may review like any member,
but counts towards no member type (nor as the chair). A secretary is a reviewer assignment
like the others (invited, accepted, counted in the policy's reviewers per dossier); one who
does not score leaves the round open after the other reviews are in, and the officer closes
it (``rounds.close_round``). ``check_composition`` refuses to open
the review while a requirement is unmet, naming each one, unless the officer recorded a
justified exception for the round (audited; the internal report shows it).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from qa_portal.accounts.models import Role, User
from qa_portal.core import audit
from qa_portal.core.errors import InvalidInput, NotPermitted, TransitionNotAllowed
from qa_portal.core.models import utcnow
from qa_portal.dossiers.locks import lock_dossier
from qa_portal.extensions import db
from qa_portal.reviews.models import (
    AssignmentState,
    PanelException,
    ReviewAssignment,
    ReviewerProfile,
    ReviewPolicy,
    ReviewRound,
)
from qa_portal.reviews.panel_enums import PanelDisclosure, PanelRole
from qa_portal.reviews.policy import current_policy
from qa_portal.reviews.profiles import ensure_profile, profile_of

ROLE_ORDER = {PanelRole.CHAIR: 0, PanelRole.MEMBER: 1, PanelRole.SECRETARY: 2}


def panel_members(round_: ReviewRound) -> list[ReviewAssignment]:
    """The round's panel: accepted or reviewed assignments, chair first."""
    members = [
        a
        for a in round_.assignments
        if a.state in (AssignmentState.ACCEPTED, AssignmentState.SUBMITTED)
    ]
    return sorted(members, key=lambda a: (ROLE_ORDER[a.panel_role], a.reviewer.name, a.id))


def member_types_of(user: User, policy: ReviewPolicy | None = None) -> list[str]:
    """The reviewer's member types (keys) that the policy still lists, in its order."""
    policy = policy or current_policy()
    chosen = set(profile_of(user).member_types or [])
    return [t["key"] for t in policy.member_types if t["key"] in chosen]


def member_type_labels_of(users: list[User]) -> dict[int, list[str]]:
    """{user id: their member types' labels} for many reviewers, in one query."""
    policy = current_policy()
    ids = [u.id for u in users]
    chosen = dict(
        db.session.execute(
            sa.select(ReviewerProfile.user_id, ReviewerProfile.member_types).where(
                ReviewerProfile.user_id.in_(ids)
            )
        ).all()
    )
    return {
        user_id: [
            t["label"] for t in policy.member_types if t["key"] in (chosen.get(user_id) or [])
        ]
        for user_id in ids
    }


def type_labels(keys: list[str], policy: ReviewPolicy | None = None) -> list[str]:
    policy = policy or current_policy()
    labels = {t["key"]: t["label"] for t in policy.member_types}
    return [labels[k] for k in keys if k in labels]


def panel_requirements(round_: ReviewRound) -> list[dict[str, Any]]:
    """Each requirement of the policy with what the panel has: [{"key", "label",
    "required", "present", "met"}] (member types first, then the chair)."""
    policy = current_policy()
    members = panel_members(round_)
    counted = [a for a in members if a.panel_role != PanelRole.SECRETARY]
    types = {a.id: set(member_types_of(a.reviewer, policy)) for a in counted}
    counts = policy.required_counts
    found = []
    for t in policy.member_types:
        required = counts.get(t["key"], 0)
        if not required:
            continue
        present = sum(1 for a in counted if t["key"] in types[a.id])
        found.append(
            {
                "key": t["key"],
                "label": f"{t['label']} members",
                "noun": t["label"].lower(),
                "required": required,
                "present": present,
                "met": present >= required,
            }
        )
    if policy.panel_chair_required:
        present = sum(1 for a in counted if a.panel_role == PanelRole.CHAIR)
        found.append(
            {
                "key": "chair",
                "label": "Chair",
                "noun": "chair",
                "required": 1,
                "present": present,
                "met": present >= 1,
            }
        )
    return found


def unmet_requirements(round_: ReviewRound) -> list[dict[str, Any]]:
    return [r for r in panel_requirements(round_) if not r["met"]]


def unmet_message(unmet: list[dict[str, Any]]) -> str:
    """ "The panel needs 1 student member and a chair." """
    parts = []
    for r in unmet:
        if r["key"] == "chair":
            parts.append("a chair")
        else:
            missing = r["required"] - r["present"]
            parts.append(f"{missing} {r['noun']} member{'s' if missing > 1 else ''}")
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return f"The panel needs {listed}."


def current_exception(round_: ReviewRound) -> PanelException | None:
    """The latest exception recorded for the round, if any."""
    return db.session.execute(
        sa.select(PanelException)
        .where(PanelException.round_id == round_.id)
        .order_by(PanelException.recorded_at.desc(), PanelException.id.desc())
        .limit(1)
    ).scalar()


def check_composition(round_: ReviewRound) -> None:
    """Refuse to open the review while a composition requirement is unmet (each named),
    unless the officer recorded a justified exception for the round."""
    unmet = unmet_requirements(round_)
    if unmet and current_exception(round_) is None:
        raise TransitionNotAllowed(
            unmet_message(unmet) + " Complete the panel, or record a justified exception to "
            "open the review anyway."
        )


def _require_officer(actor: User) -> None:
    if not actor.has_role(Role.QA_OFFICER):
        raise NotPermitted("Only QA officers may do this.")


def set_panel_role(actor: User, assignment: ReviewAssignment, role: str) -> ReviewAssignment:
    """The officer makes a panel member chair, member or secretary (secretary only when the
    policy uses one); at most one chair per round; not once the round is decided."""
    _require_officer(actor)
    try:
        wanted = PanelRole(role)
    except ValueError:
        raise InvalidInput("Choose chair, member or secretary.") from None
    round_ = assignment.round
    lock_dossier(round_.dossier)
    if round_.decided_at is not None:
        raise TransitionNotAllowed("This round is decided; its panel no longer changes.")
    if assignment.has_ended:
        raise TransitionNotAllowed(
            f"The assignment of {assignment.alias} is {assignment.state.value}; it has no "
            "role on the panel."
        )
    if wanted == PanelRole.SECRETARY and not current_policy().panel_secretary_used:
        raise InvalidInput("The review policy does not use a panel secretary.")
    if wanted == PanelRole.CHAIR:
        chair = next(
            (
                a
                for a in round_.assignments
                if a.id != assignment.id and a.panel_role == PanelRole.CHAIR and not a.has_ended
            ),
            None,
        )
        if chair is not None:
            raise TransitionNotAllowed(
                f"{chair.alias} is the chair of this panel; make them a member first."
            )
    old = assignment.panel_role
    if old == wanted:
        return assignment
    assignment.panel_role = wanted
    db.session.flush()
    audit.record(
        actor,
        "review_assignment.panel_role",
        assignment,
        from_role=old.value,
        to_role=wanted.value,
        round=round_.number,
    )
    return assignment


def record_composition_exception(
    actor: User, round_: ReviewRound, justification: str
) -> PanelException:
    """The officer records why the review may open although the panel does not meet the
    policy's composition rules (a justification is required; audited)."""
    _require_officer(actor)
    text = (justification or "").strip()
    if not text:
        raise InvalidInput("Say why the review may open with this panel.")
    lock_dossier(round_.dossier)
    if round_.opened_at is not None:
        raise TransitionNotAllowed("The review of this round is already open.")
    unmet = unmet_requirements(round_)
    if not unmet:
        raise TransitionNotAllowed("The panel meets every requirement; no exception is needed.")
    exception = PanelException(
        round=round_,
        justification=text,
        unmet=[r["key"] for r in unmet],
        recorded_by_id=actor.id,
        recorded_at=utcnow(),
    )
    db.session.add(exception)
    db.session.flush()
    audit.record(
        actor,
        "panel.exception",
        exception,
        round=round_.number,
        dossier=round_.dossier_id,
        unmet=unmet_message(unmet),
        justification=text,
    )
    return exception


def save_member_types(actor: User, reviewer: User, keys: list[str]) -> list[str]:
    """The member types a reviewer counts as (keys of the policy's types; audited)."""
    if actor.id != reviewer.id and not actor.has_role(Role.QA_ADMIN, Role.QA_OFFICER):
        raise NotPermitted("Only the reviewer or QA staff may change this profile.")
    policy = current_policy()
    known = [t["key"] for t in policy.member_types]
    for key in keys:
        if key not in known:
            raise InvalidInput(f"“{key}” is not a member type of the review policy.")
    chosen = [k for k in known if k in set(keys)]
    profile = ensure_profile(reviewer)
    if list(profile.member_types or []) != chosen:
        old = list(profile.member_types or [])
        profile.member_types = chosen
        profile.updated_at = utcnow()
        db.session.flush()
        audit.record(
            actor, "reviewer.member_types", ("user_account", reviewer.id), old=old, new=chosen
        )
    return chosen


def rules_as_opened(round_: ReviewRound) -> list[dict[str, Any]]:
    """The requirements and how the panel meets them, as the round's report will state
    them (kept on the round when its review opens)."""
    return [
        {k: r[k] for k in ("label", "required", "present", "met")}
        for r in panel_requirements(round_)
    ]


def report_panel(round_: ReviewRound, internal: bool) -> dict[str, Any]:
    """The panel as the report shows it: each member's name (None in the public report when
    the policy withholds names), role and member types; the requirements; and, in the
    internal report only, the exception. No score or comment is attributed to anyone."""
    policy = current_policy()
    named = internal or policy.panel_disclosure == PanelDisclosure.NAMES_ROLES_TYPES
    members = [
        {
            "name": a.reviewer.name if named else None,
            "role": a.panel_role.label,
            "types": type_labels(member_types_of(a.reviewer, policy), policy),
        }
        for a in panel_members(round_)
    ]
    exception = current_exception(round_) if internal else None
    return {
        "members": members,
        "names_withheld": not named,
        # the rules the round opened under (none recorded for rounds opened before 0019)
        "requirements": round_.composition_rules or [],
        "exception": {
            "justification": exception.justification,
            "recorded_at": exception.recorded_at,
        }
        if exception
        else None,
    }
