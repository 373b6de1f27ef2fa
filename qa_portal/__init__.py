"""qa_portal: external quality-assurance review of microcredentials."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

# The tables, blueprints, commands, signal receivers and jobs of every package. Importing
# them registers them (SQLAlchemy metadata, Celery's task registry, blinker's receivers).
import qa_portal.models  # noqa: F401  (every table on the metadata)
from qa_portal.accounts import auth
from qa_portal.accounts.cli import orgs_cli, users_cli
from qa_portal.accounts.views import admin_bp
from qa_portal.accounts.views import bp as accounts_bp
from qa_portal.api.views import bp as api_bp
from qa_portal.cases import reminders  # noqa: F401  (the reminders job)
from qa_portal.cases.cli import reminders_cli
from qa_portal.cases.views import bp as cases_bp
from qa_portal.catalogue import receivers as catalogue_receivers  # noqa: F401
from qa_portal.catalogue.credential_views import bp as credentials_bp
from qa_portal.catalogue.publication_views import bp as publication_bp
from qa_portal.catalogue.views import bp as catalogue_bp
from qa_portal.config import (
    ensure_audit_key,
    ensure_public_base_url,
    ensure_secret_key,
    ensure_shared_rate_limits,
    load_config,
    service_timeouts,
)
from qa_portal.core import audit_jobs  # noqa: F401  (the audit checkpoint job)
from qa_portal.core.backup.cli import backup_cli
from qa_portal.core.cli import audit_cli, jobs_cli, keys_cli, mail_cli
from qa_portal.core.errors import register_error_handlers
from qa_portal.core.file_sweep import files_cli
from qa_portal.core.headers import init_security_headers
from qa_portal.core.jobs import init_celery
from qa_portal.core.request_checks import register_request_checks
from qa_portal.core.security_log import init_security_log
from qa_portal.core.templating import init_templating
from qa_portal.core.views import bp as core_bp
from qa_portal.decisions.appeals_views import bp as appeals_bp
from qa_portal.decisions.appeals_views import public_bp as accountability_bp
from qa_portal.decisions.committee_views import bp as committee_bp
from qa_portal.decisions.complaint_views import bp as complaints_bp
from qa_portal.decisions.factual_views import bp as factual_bp
from qa_portal.decisions.follow_up_views import bp as follow_up_bp
from qa_portal.decisions.views import bp as decisions_bp
from qa_portal.demo import demo_command
from qa_portal.dossiers.views import bp as dossiers_bp
from qa_portal.extensions import csrf, db, limiter, login_manager, migrate
from qa_portal.notifications.views import bp as inbox_bp
from qa_portal.reports import jobs as report_jobs  # noqa: F401  (the rendering job)
from qa_portal.reports import receivers as report_receivers  # noqa: F401
from qa_portal.reports.cli import reports_cli
from qa_portal.reports.views import bp as reports_bp
from qa_portal.reviews import receivers as review_receivers  # noqa: F401
from qa_portal.reviews.findings_views import bp as findings_bp
from qa_portal.reviews.panel_views import bp as panel_rules_bp
from qa_portal.reviews.panel_views import visit_bp as site_visits_bp
from qa_portal.reviews.views import bp as reviews_bp
from qa_portal.reviews.views import panel_bp, rubric_bp

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class IdConverter(IntegerConverter):
    """``<int:…>`` in a URL names a database row: a number past the 32-bit ids matches no
    route (a 404) instead of overflowing the database driver (a 500)."""

    def __init__(self, map, fixed_digits=0, min=None, max=2**31 - 1, signed=False):
        super().__init__(map, fixed_digits, min, max, signed)


def create_app(config: dict | None = None) -> Flask:
    """Build the application: configuration, extensions, blueprints, CLI, error handlers."""
    instance_path = os.environ.get("QA_PORTAL_INSTANCE") or str(PROJECT_ROOT / "instance")
    app = Flask(
        __name__,
        instance_path=instance_path,
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder="static",
    )
    app.url_map.converters["int"] = IdConverter
    app.config.update(load_config(app.instance_path))
    app.config.from_pyfile("config.py", silent=True)
    if config:
        app.config.update(config)
    ensure_secret_key(app.config, app.instance_path)
    ensure_audit_key(app.config, app.instance_path)
    service_timeouts(app.config)
    ensure_public_base_url(app.config)
    ensure_shared_rate_limits(app.config)
    if app.config.get("TRUSTED_PROXIES"):
        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    register_request_checks(app)  # before CSRFProtect's check, which it must precede
    _init_extensions(app)
    _register_blueprints(app)
    _register_cli(app)

    register_error_handlers(app)
    init_security_headers(app)
    init_security_log(app)
    init_templating(app)
    return app


def _init_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = "Please sign in to continue."
    login_manager.login_message_category = "info"
    init_celery(app)

    login_manager.user_loader(auth.load_user)


def _register_blueprints(app: Flask) -> None:
    app.register_blueprint(core_bp)
    app.register_blueprint(cases_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(dossiers_bp)
    app.register_blueprint(decisions_bp)
    app.register_blueprint(inbox_bp)
    app.register_blueprint(panel_rules_bp)
    app.register_blueprint(site_visits_bp)
    app.register_blueprint(findings_bp)
    app.register_blueprint(factual_bp)
    app.register_blueprint(committee_bp)
    app.register_blueprint(publication_bp)
    app.register_blueprint(complaints_bp)
    app.register_blueprint(appeals_bp)
    app.register_blueprint(accountability_bp)
    app.register_blueprint(follow_up_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(catalogue_bp)
    app.register_blueprint(credentials_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(reviews_bp)
    app.register_blueprint(panel_bp)
    app.register_blueprint(rubric_bp)


def _register_cli(app: Flask) -> None:
    app.cli.add_command(users_cli)
    app.cli.add_command(orgs_cli)
    app.cli.add_command(audit_cli)
    app.cli.add_command(mail_cli)
    app.cli.add_command(files_cli)
    app.cli.add_command(jobs_cli)
    app.cli.add_command(keys_cli)
    app.cli.add_command(demo_command)
    app.cli.add_command(reminders_cli)
    app.cli.add_command(reports_cli)
    app.cli.add_command(backup_cli)
