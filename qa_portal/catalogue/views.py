"""Public catalogue pages, and the publish / withdraw / revoke actions."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, Response, abort, render_template, request, stream_with_context, url_for
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload

from qa_portal.accounts.models import AccountStatus, Organisation, OrgKind, Role
from qa_portal.catalogue import exports, operations, search
from qa_portal.catalogue.models import Listing, ListingState
from qa_portal.core.db import commit
from qa_portal.core.errors import InvalidInput
from qa_portal.core.permissions import roles_required
from qa_portal.core.responses import done
from qa_portal.decisions.models import Decision
from qa_portal.dossiers import isced, queries
from qa_portal.extensions import db
from qa_portal.reports.models import Report, ReportStatus, ReportVariant
from qa_portal.reviews.operations import today

bp = Blueprint("catalogue", __name__)


def _listing_or_404(listing_id: int) -> Listing:
    listing = db.session.get(Listing, listing_id)
    if listing is None:
        abort(404)
    return listing


@bp.get("/catalogue")
def index():
    try:
        filters = search.parse(request.args)
        error = None
    except InvalidInput as exc:
        filters, error = search.Filters(q=(request.args.get("q") or "")[:200]), exc.message
    page = search.search(filters, today(), facets=True)
    status = 400 if error else 200
    return render_template(
        "catalogue/index.html",
        page=page,
        f=filters,
        error=error,
        isced=isced,
        current_day=today(),
    ), status


@bp.get("/catalogue/<int:listing_id>")
def detail(listing_id: int):
    listing = db.session.execute(
        sa.select(Listing)
        .where(Listing.id == listing_id)
        .options(joinedload(Listing.decision).selectinload(Decision.conditions))
    ).scalar()
    if listing is None:
        abort(404)
    report = db.session.execute(
        sa.select(Report)
        .where(
            Report.decision_id == listing.decision_id,
            Report.variant == ReportVariant.PUBLIC,
            Report.status == ReportStatus.READY,
        )
        .order_by(Report.revision.desc())
        .limit(1)
    ).scalar()
    return render_template(
        "catalogue/detail.html",
        listing=listing,
        data=listing.public,
        status=listing.public_status(today()),
        report=report,
        decision=listing.decision,
    )


@bp.get("/catalogue/providers/<int:org_id>")
def provider(org_id: int):
    org = db.session.get(Organisation, org_id)
    if org is None or org.kind != OrgKind.PROVIDER or org.status != AccountStatus.ACTIVE:
        abort(404)
    filters = search.Filters(provider=org.id, per_page=100)
    page = search.search(filters, today())
    if page.total == 0:
        abort(404)  # organisations appear once they have a published microcredential
    return render_template("catalogue/provider.html", org=org, page=page, current_day=today())


@bp.get("/catalogue.csv")
def csv():
    try:
        filters = search.parse(request.args)
    except InvalidInput as exc:
        abort(400, exc.message)
    day = today()
    query = (
        sa.select(Listing)
        .where(*search.conditions(filters, day))
        .order_by(*search.ordering(filters))
    )
    rows = db.session.execute(query.execution_options(yield_per=500)).scalars()
    response = Response(stream_with_context(exports.csv_rows(rows, day)), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="catalogue.csv"'
    return response


@bp.get("/catalogue/feed.atom")
def feed():
    listings = (
        db.session.execute(
            sa.select(Listing)
            .where(Listing.state == ListingState.VALID)
            .order_by(Listing.published_at.desc())
            .limit(50)
        )
        .scalars()
        .all()
    )
    from qa_portal.accounts.queries import qa_body

    body = qa_body()
    xml = exports.atom_feed(listings, body.name if body else "QA Portal", today())
    return Response(xml, mimetype="application/atom+xml")


@bp.post("/dossiers/<int:dossier_id>/publish")
@roles_required(Role.QA_OFFICER)
def publish(dossier_id: int):
    dossier = queries.dossier_for(current_user, dossier_id)
    if dossier is None:
        abort(404)
    listing = operations.publish_listing(current_user, dossier)
    commit()
    return done(
        "Published in the catalogue.",
        url_for("catalogue.detail", listing_id=listing.id),
        listing_id=listing.id,
    )


@bp.post("/catalogue/<int:listing_id>/withdraw")
@login_required
def withdraw(listing_id: int):
    listing = _listing_or_404(listing_id)
    if not listing.dossier.is_member(current_user):
        abort(403)
    operations.withdraw_listing(current_user, listing, request.form.get("reason", ""))
    commit()
    return done(
        "The microcredential is withdrawn from the catalogue.",
        url_for("catalogue.detail", listing_id=listing.id),
        state=listing.state.value,
    )


@bp.post("/catalogue/<int:listing_id>/revoke")
@roles_required(Role.QA_OFFICER)
def revoke(listing_id: int):
    listing = _listing_or_404(listing_id)
    operations.revoke_listing(current_user, listing, request.form.get("reason", ""))
    commit()
    return done(
        "The listing is revoked.",
        url_for("catalogue.detail", listing_id=listing.id),
        state=listing.state.value,
    )
