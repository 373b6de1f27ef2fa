"""The public JSON API, version 1: listings (search, filters, pagination), listing detail,
organisations, and the Open Badges 3.0 and CTDL exports. Read-only, rate limited, CORS open.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, jsonify, request, url_for

from qa_portal.accounts.models import AccountStatus, Organisation, OrgKind
from qa_portal.catalogue import exports, search
from qa_portal.catalogue.models import Listing, ListingState
from qa_portal.core.urls import external_url
from qa_portal.extensions import db, limiter
from qa_portal.reports.models import Report, ReportStatus, ReportVariant
from qa_portal.reviews.operations import today

bp = Blueprint("api", __name__, url_prefix="/api/v1")
limiter.limit("300 per minute")(bp)


@bp.after_request
def _public_headers(response):
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers.setdefault("Cache-Control", "public, max-age=60")
    return response


def _listing_or_404(listing_id: int) -> Listing:
    listing = db.session.get(Listing, listing_id)
    if listing is None:
        abort(404)
    return listing


def _qa_body() -> dict:
    from qa_portal.accounts.queries import qa_body

    body = qa_body()
    return {
        "name": body.name if body else "QA Portal",
        "url": (body.website if body and body.website else external_url("core.index")),
    }


@bp.get("/listings")
def listings():
    filters = search.parse(request.args)
    page = search.search(filters, today())
    args = filters.args()
    links = {
        "self": url_for("api.listings", _external=True, **args),
        "first": url_for("api.listings", _external=True, **filters.args(page=1)),
    }
    if page.has_next:
        links["next"] = url_for(
            "api.listings", _external=True, **filters.args(page=filters.page + 1)
        )
    if page.has_prev:
        links["prev"] = url_for(
            "api.listings", _external=True, **filters.args(page=filters.page - 1)
        )
    links["last"] = url_for("api.listings", _external=True, **filters.args(page=page.pages))
    day = today()
    return jsonify(
        items=[exports.listing_summary(listing, day) for listing in page.items],
        total=page.total,
        page=filters.page,
        per_page=filters.per_page,
        pages=page.pages,
        sort=filters.effective_sort,
        links=links,
    )


def _public_report(listing: Listing) -> Report | None:
    return db.session.execute(
        sa.select(Report)
        .where(
            Report.decision_id == listing.decision_id,
            Report.variant == ReportVariant.PUBLIC,
            Report.status == ReportStatus.READY,
        )
        .order_by(Report.revision.desc())
        .limit(1)
    ).scalar()


@bp.get("/listings/<int:listing_id>")
def listing(listing_id: int):
    item = _listing_or_404(listing_id)
    return jsonify(exports.listing_detail(item, today(), _public_report(item)))


@bp.get("/listings/<int:listing_id>/achievement")
def achievement(listing_id: int):
    item = _listing_or_404(listing_id)
    response = jsonify(exports.achievement(item, _qa_body()["name"]))
    response.mimetype = "application/ld+json"
    return response


@bp.get("/listings/<int:listing_id>/ctdl")
def ctdl(listing_id: int):
    item = _listing_or_404(listing_id)
    response = jsonify(exports.ctdl(item, _qa_body()))
    response.mimetype = "application/ld+json"
    return response


def _organisation_json(org: Organisation, count: int) -> dict:
    return {
        "id": org.id,
        "name": org.name,
        "country": org.country,
        "website": org.website,
        "listings": count,
        "links": {
            "self": external_url("api.organisation", org_id=org.id),
            "html": external_url("catalogue.provider", org_id=org.id),
            "listings": external_url("api.listings", provider=org.id),
        },
    }


def _listed_organisations():
    counts = (
        sa.select(Listing.organisation_id, sa.func.count().label("n"))
        .where(Listing.state == ListingState.VALID)
        .group_by(Listing.organisation_id)
        .subquery()
    )
    return (
        sa.select(Organisation, counts.c.n)
        .join(counts, counts.c.organisation_id == Organisation.id)
        .where(Organisation.kind == OrgKind.PROVIDER, Organisation.status == AccountStatus.ACTIVE)
    )


@bp.get("/organisations")
def organisations():
    rows = db.session.execute(_listed_organisations().order_by(Organisation.name)).all()
    return jsonify(items=[_organisation_json(org, n) for org, n in rows], total=len(rows))


@bp.get("/organisations/<int:org_id>")
def organisation(org_id: int):
    row = db.session.execute(_listed_organisations().where(Organisation.id == org_id)).first()
    if row is None:
        abort(404)
    return jsonify(_organisation_json(*row))
