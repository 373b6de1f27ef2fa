"""Public catalogue pages (search with filter counts, detail, organisation pages), the CSV
download and the Atom feed, and the publish / withdraw / revoke actions."""

from __future__ import annotations

from dataclasses import replace

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    jsonify,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload

from qa_portal.accounts.models import AccountStatus, Organisation, OrgKind, Role
from qa_portal.accounts.queries import qa_body
from qa_portal.catalogue import (
    operations,
    search,
    search_conditions,
    search_filters,
    status_list,
)
from qa_portal.catalogue import queries as catalogue_queries
from qa_portal.catalogue.exports import atom, tabular
from qa_portal.catalogue.models import Listing
from qa_portal.core import clock
from qa_portal.core.db import commit
from qa_portal.core.errors import InvalidInput
from qa_portal.core.permissions import roles_required
from qa_portal.core.responses import done
from qa_portal.decisions.models import Decision
from qa_portal.dossiers import isced, queries
from qa_portal.extensions import db
from qa_portal.reports.models import ReportVariant
from qa_portal.reports.operations import latest_ready
from qa_portal.reviews.models import ReviewRound

bp = Blueprint("catalogue", __name__)


def _listing_or_404(listing_id: int) -> Listing:
    listing = db.session.get(Listing, listing_id)
    if listing is None:
        abort(404)
    return listing


@bp.get("/credentials/status/<int:list_number>", endpoint="status_list")
def status_list_credential(list_number: int):
    """The QA body's signed revocation list (W3C Bitstring Status List), computed from the
    listings now; a conditional GET with its ETag answers 304."""
    if list_number != status_list.LIST_NUMBER:
        abort(404)
    response = jsonify(status_list.status_list_credential())
    response.mimetype = "application/vc+ld+json"
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = "public, max-age=60"
    response.add_etag()
    return response.make_conditional(request)


@bp.get("/catalogue")
def index():
    try:
        filters = search_filters.parse(request.args)
        error = None
    except InvalidInput as exc:
        filters, error = search_filters.Filters(q=(request.args.get("q") or "")[:200]), exc.message
    page = search.search(filters, clock.today(), facets=True)
    status = 400 if error else 200
    return render_template(
        "catalogue/index.html",
        page=page,
        f=filters,
        error=error,
        isced=isced,
        ects_ranges=ects_counts(filters, clock.today()),
        current_day=clock.today(),
    ), status


# ECTS ranges offered as filter choices: (minimum, maximum, label); both ends inclusive,
# credits have one decimal.
ECTS_RANGES = (
    (None, 5.0, "Up to 5 ECTS"),
    (5.1, 10.0, "More than 5, up to 10 ECTS"),
    (10.1, 30.0, "More than 10, up to 30 ECTS"),
    (30.1, None, "More than 30 ECTS"),
)


def ects_counts(
    filters: search_filters.Filters, day
) -> list[tuple[float | None, float | None, str, int]]:
    """How many listings each ECTS range would give with the other filters (one query)."""
    base = replace(filters, ects_min=None, ects_max=None)
    whens = []
    for i, (low, high, _label) in enumerate(ECTS_RANGES):
        bounds = []
        if low is not None:
            bounds.append(Listing.ects >= low)
        if high is not None:
            bounds.append(Listing.ects <= high)
        whens.append((sa.and_(*bounds), i))
    ranged = (
        sa.select(sa.case(*whens, else_=-1).label("bucket"))
        .where(*search_conditions.conditions(base, day), Listing.ects.is_not(None))
        .subquery()
    )
    counts = dict(
        db.session.execute(
            sa.select(ranged.c.bucket, sa.func.count()).group_by(ranged.c.bucket)
        ).all()
    )
    return [
        (low, high, label, counts.get(i, 0))
        for i, (low, high, label) in enumerate(ECTS_RANGES)
        if counts.get(i, 0)
    ]


@bp.get("/catalogue/<int:listing_id>")
def detail(listing_id: int):
    listing = db.session.execute(
        sa.select(Listing)
        .where(Listing.id == listing_id)
        .options(
            joinedload(Listing.decision).selectinload(Decision.conditions),
            # the rubric version the decision applied: the page links its methodology
            joinedload(Listing.decision).joinedload(Decision.round).joinedload(ReviewRound.rubric),
        )
    ).scalar()
    if listing is None:
        abort(404)
    report = latest_ready(listing.decision, ReportVariant.PUBLIC)
    roles = []
    if current_user.is_authenticated and listing.dossier.is_member(current_user):
        roles.append("provider")
    if current_user.is_authenticated and current_user.has_role(Role.QA_OFFICER):
        roles.append("qa_officer")
    return render_template(
        "catalogue/detail.html",
        listing=listing,
        actions={t.action for t in operations.LISTING_MACHINE.available(listing.state, roles)},
        data=listing.public,
        status=listing.public_status(clock.today()),
        report=report,
        decision=listing.decision,
        current_day=clock.today(),
    )


@bp.get("/catalogue/providers/<int:org_id>")
def provider(org_id: int):
    org = db.session.get(Organisation, org_id)
    if org is None or org.kind != OrgKind.PROVIDER or org.status != AccountStatus.ACTIVE:
        abort(404)
    try:
        number = search_filters.parse({"page": request.args.get("page", "")}).page
    except InvalidInput as exc:
        abort(400, exc.message)
    filters = search_filters.Filters(provider=org.id, sort="title", page=number)
    page = search.search(filters, clock.today())
    if page.total == 0:
        abort(404)  # organisations appear once they have a published microcredential
    return render_template(
        "catalogue/provider.html", org=org, page=page, f=filters, current_day=clock.today()
    )


@bp.get("/catalogue.csv")
def csv():
    try:
        filters = search_filters.parse(request.args)
    except InvalidInput as exc:
        abort(400, exc.message)
    day = clock.today()
    matches = search.ranked(filters, day)
    query = matches.select(Listing).order_by(*matches.order_by())

    def rows():
        # Streamed in batches (a server-side cursor on PostgreSQL), closed even when the
        # download is cut short.
        result = db.session.execute(query.execution_options(yield_per=500))
        try:
            yield from tabular.csv_rows(result.scalars(), day)
        finally:
            result.close()

    response = Response(stream_with_context(rows()), content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="catalogue-{day.isoformat()}.csv"'
    )
    return response


@bp.get("/catalogue/feed.atom")
def feed():
    """The 50 newest approvals still standing, and the 50 latest to end (withdrawn, revoked
    or expired) as tombstones."""
    day = clock.today()
    listings = (
        db.session.execute(
            sa.select(Listing)
            .join(Decision, Decision.id == Listing.decision_id)
            .where(
                sa.or_(
                    search_conditions.status_condition("valid", day),
                    search_conditions.status_condition("conditions_open", day),
                )
            )
            .order_by(Decision.decided_at.desc(), Decision.id.desc())
            .limit(catalogue_queries.FEED_SIZE)
        )
        .scalars()
        .all()
    )
    body = qa_body()
    xml = atom.atom_feed(
        listings,
        body.name if body else "QA Portal",
        day,
        body.uuid if body else None,
        gone=[atom.ended(listing, day) for listing in catalogue_queries.ended_approvals(day)],
    )
    return Response(xml, content_type="application/atom+xml; charset=utf-8")


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
