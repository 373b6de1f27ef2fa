"""The public register of reviews (ESG 2.6): every published review report, newest first,
searchable by provider, outcome and date of the decision.

A report is in the register when it is public (``reports.operations.is_public``): the
outcome is one the policy publishes when the report is issued (revise and resubmit,
rejected: by default), or an approval whose microcredential is in the catalogue. Each
decision appears once, with its latest rendered public revision. Desk rejections have no
review and no report, so they are not in it. The catalogue itself still lists approved
microcredentials only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

import sqlalchemy as sa
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy.orm import contains_eager
from wtforms import DateField, Form, SelectField, StringField
from wtforms.validators import Length, Optional, ValidationError

from qa_portal.accounts.models import Organisation
from qa_portal.catalogue.models import Listing, ListingState
from qa_portal.core.forms import choices, strip_filter
from qa_portal.core.pagination import paginate
from qa_portal.decisions.models import Decision, Outcome
from qa_portal.dossiers.models import Dossier
from qa_portal.extensions import db
from qa_portal.reports.models import Report, ReportStatus, ReportVariant
from qa_portal.reports.operations import REVIEWED
from qa_portal.reviews import methodology

PER_PAGE = 25
OUTCOME_CHOICES = choices([("", "Any outcome")] + [(o.value, o.label) for o in REVIEWED])


class RegisterSearchForm(Form):
    """The register's search (GET parameters; no CSRF: it changes nothing)."""

    provider = StringField(
        "Provider", validators=[Optional(), Length(max=200)], filters=[strip_filter]
    )
    outcome = SelectField("Outcome", choices=OUTCOME_CHOICES, default="", validate_choice=True)
    date_from = DateField(
        "Decided from",
        validators=[Optional()],
        description="A date such as 2026-01-31.",
    )
    date_to = DateField("Decided until", validators=[Optional()])

    def validate_date_to(self, field) -> None:
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError("The end date comes before the start date.")


@dataclass
class Entry:
    report: Report
    decision: Decision
    title: str
    provider: str
    listing_id: int | None
    listing_state: ListingState | None = None

    @property
    def revoked(self) -> bool:
        """The approval no longer stands: its listing was revoked (or the approval withdrawn)."""
        return self.listing_state == ListingState.REVOKED


def _latest_public_revisions():
    """Per decision, the latest rendered revision of its public report."""
    return (
        sa.select(Report.decision_id, sa.func.max(Report.revision).label("revision"))
        .where(Report.variant == ReportVariant.PUBLIC, Report.status == ReportStatus.READY)
        .group_by(Report.decision_id)
        .subquery()
    )


def published_condition(published: set[str]):
    """The SQL twin of ``reports.operations.is_public`` for a public report's decision."""
    negative = [o for o in REVIEWED if not o.is_approval and o.value in published]
    listed = sa.exists().where(Listing.dossier_id == Decision.dossier_id)
    return sa.or_(
        Decision.outcome.in_(negative) if negative else sa.false(),
        sa.and_(Decision.outcome.in_([o for o in REVIEWED if o.is_approval]), listed),
    )


def search(form: RegisterSearchForm, page: int | None = None) -> Pagination:
    """One page of the register for a validated ``form``: a Pagination of ``Entry``."""
    latest = _latest_public_revisions()
    query = (
        sa.select(Report)
        .join(
            latest,
            sa.and_(
                latest.c.decision_id == Report.decision_id, latest.c.revision == Report.revision
            ),
        )
        .join(Decision, Decision.id == Report.decision_id)
        .join(Dossier, Dossier.id == Report.dossier_id)
        .join(Organisation, Organisation.id == Dossier.organisation_id)
        .where(
            Report.variant == ReportVariant.PUBLIC,
            Report.status == ReportStatus.READY,
            published_condition(methodology.published_outcomes()),
        )
        .order_by(Decision.decided_at.desc(), Decision.id.desc())
        .options(
            contains_eager(Report.decision),
            contains_eager(Report.dossier).contains_eager(Dossier.organisation),
        )
    )
    if form.provider.data:
        words = form.provider.data.replace("\\", "").replace("%", "").replace("_", " ")
        query = query.where(Organisation.name.ilike(f"%{words.strip()}%"))
    if form.outcome.data:
        query = query.where(Decision.outcome == Outcome(form.outcome.data))
    if form.date_from.data:
        query = query.where(Decision.decided_at >= datetime.combine(form.date_from.data, time()))
    if form.date_to.data:
        end = datetime.combine(form.date_to.data + timedelta(days=1), time())
        query = query.where(Decision.decided_at < end)
    result = paginate(query, PER_PAGE, page)
    listings = _listings({report.dossier_id for report in result.items})
    none = (None, None)
    result.items = [
        Entry(
            report,
            report.decision,
            report.dossier.title,
            report.dossier.organisation.name,
            *(
                listings.get(report.dossier_id, none)
                if report.decision.outcome.is_approval
                else none
            ),
        )
        for report in result.items
    ]
    return result


def _listings(dossier_ids: set[int]) -> dict[int, tuple[int, ListingState]]:
    """Each dossier's listing: its id and state."""
    if not dossier_ids:
        return {}
    rows = db.session.execute(
        sa.select(Listing.dossier_id, Listing.id, Listing.state).where(
            Listing.dossier_id.in_(dossier_ids)
        )
    )
    return {dossier_id: (listing_id, state) for dossier_id, listing_id, state in rows}
