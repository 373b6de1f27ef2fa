"""What each role's home shows: the QA admin's overview (registrations to handle, accounts
by role and status, organisations, dossiers by state, the rubric and the policy in force) and
the provider's list of dossiers with the next thing to do."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from qa_portal.accounts.models import AccountStatus, Organisation, OrgKind, Role, User, UserRole
from qa_portal.cases import queue
from qa_portal.dossiers import completeness, queries
from qa_portal.dossiers.models import Dossier, DossierState
from qa_portal.dossiers.snapshot import dossier_to_dict
from qa_portal.dossiers.workflow import next_action
from qa_portal.extensions import db
from qa_portal.reviews.policy import current_policy
from qa_portal.reviews.rubric import current_rubric

ADMIN_PENDING_SHOWN = 10


def _counts(query) -> dict:
    return dict(db.session.execute(query).all())


def admin_overview() -> dict[str, Any]:
    """The QA admin's home, read in a handful of counting queries."""
    pending_count = db.session.execute(
        sa.select(sa.func.count()).where(User.status == AccountStatus.PENDING)
    ).scalar_one()
    pending = list(
        db.session.execute(
            sa.select(User)
            .where(User.status == AccountStatus.PENDING)
            .order_by(User.created_at)
            .limit(ADMIN_PENDING_SHOWN)
            .options(selectinload(User.organisation))
        ).scalars()
    )
    roles = _counts(
        sa.select(UserRole.role, sa.func.count())
        .join(User, User.id == UserRole.user_id)
        .where(User.status == AccountStatus.ACTIVE)
        .group_by(UserRole.role)
    )
    users = _counts(sa.select(User.status, sa.func.count()).group_by(User.status))
    organisations = _counts(
        sa.select(Organisation.kind, sa.func.count())
        .where(Organisation.status == AccountStatus.ACTIVE)
        .group_by(Organisation.kind)
    )
    dossiers = _counts(sa.select(Dossier.state, sa.func.count()).group_by(Dossier.state))
    return {
        "pending": pending,
        "pending_count": pending_count,
        "roles": [(role, roles.get(role, 0)) for role in Role],
        "users": [(status, users.get(status, 0)) for status in AccountStatus],
        "organisations": [(kind, organisations.get(kind, 0)) for kind in OrgKind],
        "dossiers": [(state, dossiers[state]) for state in DossierState if dossiers.get(state)],
        "rubric": current_rubric(),
        "policy": current_policy(),
    }


def provider_home(organisation_id: int, today: date) -> dict[str, Any]:
    """The provider's dossiers, each with its next action (after a rejection: the appeal
    deadline while it runs) and the completeness errors left (drafts only), and what needs
    the provider's action across them."""
    dossiers = queries.organisation_dossiers(organisation_id)
    actions = queue.provider_actions(dossiers, today)
    appeal_until = {d.id: decision.appeal_deadline for d, decision in actions.appealable}
    rows = []
    for d in dossiers:
        findings = completeness.check(dossier_to_dict(d)) if d.is_editable else []
        hint = next_action(d.state, appeal_until.get(d.id))
        rows.append((d, hint, len(completeness.errors(findings))))
    return {"rows": rows, "actions": actions}
