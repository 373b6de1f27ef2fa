"""Home page (each role lands on what needs their action), the QA admin's dashboard,
health check."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import selectinload

from qa_portal.accounts.models import AccountStatus, Organisation, OrgKind, Role, User, UserRole
from qa_portal.core.db import commit, rollback_quietly
from qa_portal.core.permissions import roles_required
from qa_portal.dossiers.models import Dossier, DossierState
from qa_portal.extensions import db
from qa_portal.reviews.operations import current_policy
from qa_portal.reviews.rubric import current_rubric

bp = Blueprint("core", __name__)


HOME_BY_ROLE = (
    (Role.PROVIDER, "dossiers.dashboard"),
    (Role.QA_OFFICER, "dossiers.queue"),
    (Role.QA_ADMIN, "core.admin_dashboard"),
    (Role.REVIEWER, "reviews.dashboard"),
)

ADMIN_PENDING_SHOWN = 10


@bp.get("/")
def index():
    """Signed-in people land on what needs their action (their first role in this order)."""
    if current_user.is_authenticated:
        for role, endpoint in HOME_BY_ROLE:
            if current_user.has_role(role):
                return redirect(url_for(endpoint))
    return render_template("core/index.html")


@bp.get("/admin/")
@roles_required(Role.QA_ADMIN)
def admin_dashboard():
    """The QA admin's home: registrations to handle, accounts, rubric version and policy."""
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
    roles = dict(
        db.session.execute(
            sa.select(UserRole.role, sa.func.count())
            .join(User, User.id == UserRole.user_id)
            .where(User.status == AccountStatus.ACTIVE)
            .group_by(UserRole.role)
        ).all()
    )
    users = dict(
        db.session.execute(sa.select(User.status, sa.func.count()).group_by(User.status)).all()
    )
    organisations = dict(
        db.session.execute(
            sa.select(Organisation.kind, sa.func.count())
            .where(Organisation.status == AccountStatus.ACTIVE)
            .group_by(Organisation.kind)
        ).all()
    )
    dossiers = dict(
        db.session.execute(sa.select(Dossier.state, sa.func.count()).group_by(Dossier.state)).all()
    )
    rubric = current_rubric()
    policy = current_policy()
    commit()  # version 1 of the rubric and the policy row exist from the first visit on
    return render_template(
        "core/admin_dashboard.html",
        pending=pending,
        pending_count=pending_count,
        roles=[(role, roles.get(role, 0)) for role in Role],
        users=[(status, users.get(status, 0)) for status in AccountStatus],
        organisations=[(kind, organisations.get(kind, 0)) for kind in OrgKind],
        dossiers=[(state, dossiers[state]) for state in DossierState if dossiers.get(state)],
        rubric=rubric,
        policy=policy,
    )


@bp.get("/healthz")
def healthz():
    """For load balancers and monitoring: 200 only when the database answers a query."""
    try:
        db.session.execute(sa.text("SELECT 1")).scalar_one()
    except SQLAlchemyError:
        current_app.logger.warning("health check: database unavailable", exc_info=True)
        rollback_quietly()
        response = jsonify(status="error", message="database unavailable")
        response.status_code = 503
    else:
        response = jsonify(status="ok")
    response.headers["Cache-Control"] = "no-store"
    return response
