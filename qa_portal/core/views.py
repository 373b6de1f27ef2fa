"""Health check for load balancers and monitoring."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify
from sqlalchemy.exc import SQLAlchemyError

from qa_portal.core.db import rollback_quietly
from qa_portal.extensions import db

bp = Blueprint("core", __name__)


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
