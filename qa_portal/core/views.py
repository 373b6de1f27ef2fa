"""Home page, health check and the pages every role shares."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from qa_portal.accounts.models import Role
from qa_portal.core.db import rollback_quietly
from qa_portal.extensions import db

bp = Blueprint("core", __name__)


@bp.get("/")
def index():
    if current_user.is_authenticated:
        if current_user.has_role(Role.PROVIDER):
            return redirect(url_for("dossiers.dashboard"))
        if current_user.has_role(Role.QA_OFFICER):
            return redirect(url_for("dossiers.dashboard"))
        if current_user.has_role(Role.QA_ADMIN):
            return redirect(url_for("admin.users"))
    return render_template("core/index.html")


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
