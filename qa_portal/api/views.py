"""The public JSON API, version 1: listings (search, filters, pagination), listing detail,
organisations, and the Open Badges 3.0 and CTDL exports. Read-only, rate limited, CORS open,
described by the OpenAPI 3.1 document at ``/api/v1/openapi.json``.

Every error is JSON ``{"error": ..., "message": ...}`` (the app's error handlers answer JSON
under ``/api/``): 400 names the bad parameter, 404 an unknown id, 405 a wrong method, 429 the
rate limit (with ``Retry-After``).
"""

from __future__ import annotations

import math
import time

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, jsonify, request
from sqlalchemy.orm import joinedload

from qa_portal.accounts.models import AccountStatus, Organisation, OrgKind
from qa_portal.accounts.queries import qa_body
from qa_portal.api import openapi
from qa_portal.catalogue import credential_check, search, search_filters
from qa_portal.catalogue.exports import ctdl as ctdl_export  # the view below is named `ctdl`
from qa_portal.catalogue.exports import listing_json, ob3
from qa_portal.catalogue.models import Listing, ListingState
from qa_portal.core import clock
from qa_portal.core.urls import external_url
from qa_portal.decisions.models import Decision
from qa_portal.extensions import csrf, db, limiter
from qa_portal.reports.models import Report, ReportStatus, ReportVariant

DEFAULT_RATE_LIMIT = "300 per minute"

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def _rate_limit() -> str:
    return current_app.config.get("API_RATE_LIMIT") or DEFAULT_RATE_LIMIT


# One budget per visitor for the whole API (not one per address of it).
limiter.shared_limit(_rate_limit, scope="api")(bp)


@bp.after_request
def _public_headers(response):
    response.headers["Access-Control-Allow-Origin"] = "*"
    if response.status_code == 429:
        response.headers["Cache-Control"] = "no-store"
        response.headers["Retry-After"] = str(_retry_after())
    else:
        response.headers.setdefault("Cache-Control", "public, max-age=60")
    return response


def _retry_after() -> int:
    """Seconds until the visitor's window of the API rate limit resets (at least 1)."""
    current = limiter.current_limit
    if current is None:
        return 60
    return max(1, math.ceil(current.reset_at - time.time()))


def _listing_or_404(listing_id: int, *options) -> Listing:
    listing = db.session.execute(
        sa.select(Listing).where(Listing.id == listing_id).options(*options)
    ).scalar()
    if listing is None:
        abort(404)
    return listing


def _qa_body() -> dict:
    body = qa_body()
    return {
        "name": body.name if body else "QA Portal",
        "url": (body.website if body and body.website else external_url("cases.index")),
        "ctid": body.ctid if body else None,
    }


def _page_numbers(args) -> tuple[int, int]:
    """``page`` and ``per_page`` of a list (InvalidInput, 400, names the bad one)."""
    filters = search_filters.parse({k: args.get(k) for k in ("page", "per_page")})
    return filters.page, filters.per_page


def _page_links(endpoint: str, page: int, pages: int, args: dict) -> dict:
    def link(number: int) -> str:
        values = dict(args)
        values.pop("page", None)
        if number > 1:
            values["page"] = number
        return external_url(endpoint, **values)

    links = {"self": link(page), "first": link(1), "last": link(pages)}
    if page < pages:
        links["next"] = link(page + 1)
    if page > 1:
        links["prev"] = link(min(page - 1, pages))
    return links


@bp.get("/openapi.json")
def openapi_document():
    return jsonify(openapi.document())


@bp.get("/listings")
def listings():
    filters = search_filters.parse(request.args)
    day = clock.today()
    page = search.search(filters, day)
    return jsonify(
        items=[listing_json.listing_summary(listing, day) for listing in page.items],
        total=page.total,
        total_exact=page.total_exact,
        page=filters.page,
        per_page=filters.per_page,
        pages=page.pages,
        sort=filters.effective_sort,
        links=_page_links("api.listings", filters.page, page.pages, filters.args()),
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
    item = _listing_or_404(
        listing_id, joinedload(Listing.decision).selectinload(Decision.conditions)
    )
    return jsonify(listing_json.listing_detail(item, clock.today(), _public_report(item)))


@bp.get("/listings/<int:listing_id>/achievement")
def achievement(listing_id: int):
    item = _listing_or_404(listing_id)
    response = jsonify(ob3.achievement(item, _qa_body()["name"]))
    response.mimetype = "application/ld+json"
    return response


@bp.get("/listings/<int:listing_id>/endorsement")
def endorsement(listing_id: int):
    """The QA body's signed endorsement of an approved listing, on its own (for a badge
    platform to embed); 404 once the listing is withdrawn or revoked (copies already made
    are answered by the status list), 409 when the portal has no credential key."""
    item = _listing_or_404(listing_id)
    if item.state != ListingState.VALID:
        abort(404)
    response = jsonify(ob3.endorsement(item, _qa_body()["name"]))
    response.mimetype = "application/vc+ld+json"
    return response


@bp.get("/listings/<int:listing_id>/ctdl")
def ctdl(listing_id: int):
    item = _listing_or_404(listing_id)
    response = jsonify(ctdl_export.ctdl(item, _qa_body()))
    response.mimetype = "application/ld+json"
    return response


def _organisation_json(org: Organisation, count: int) -> dict:
    return {
        "id": org.id,
        "ctid": org.ctid,
        "name": org.name,
        "country": (org.country or "").upper() or None,
        "website": org.website or None,
        "listings": count,
        "links": {
            "self": external_url("api.organisation", org_id=org.id),
            "html": external_url("catalogue.provider", org_id=org.id),
            "listings": external_url("api.listings", provider=org.id),
        },
    }


def _listed_organisations():
    """Active providers with at least one valid listing, and how many they have."""
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
    page, per_page = _page_numbers(request.args)
    total = sa.func.count().over().label("total")
    rows = db.session.execute(
        _listed_organisations()
        .add_columns(total)
        .order_by(sa.func.lower(Organisation.name), Organisation.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    if rows:
        count = rows[0].total
    else:  # past the end (or none at all): still report the total
        count = db.session.execute(
            sa.select(sa.func.count()).select_from(_listed_organisations().subquery())
        ).scalar_one()
    pages = max(1, -(-count // per_page))
    args = {"per_page": per_page} if per_page != search_filters.DEFAULT_PER_PAGE else {}
    return jsonify(
        items=[_organisation_json(org, n) for org, n, _ in rows],
        total=count,
        page=page,
        per_page=per_page,
        pages=pages,
        links=_page_links("api.organisations", page, pages, args),
    )


@bp.get("/organisations/<int:org_id>")
def organisation(org_id: int):
    row = db.session.execute(_listed_organisations().where(Organisation.id == org_id)).first()
    if row is None:
        abort(404)
    return jsonify(_organisation_json(*row))


@bp.post("/credential-check")
@limiter.limit("20 per minute")
@csrf.exempt  # no session, no change: a third party's JSON body carries no form token
def check_credential():
    """The credential checker of ``/verify/credential`` for machines: the credential as the
    body, the answer as JSON (400 with a message when it is not a credential). Read in
    memory, never stored."""
    # the body as read (and cached) by the request checks; MAX_CONTENT_LENGTH bounds it
    raw = request.get_data()[: credential_check.CREDENTIAL_MAX_BYTES + 1]
    result = credential_check.check_raw(raw, clock.today())
    response = jsonify(credential_check.as_json(result))
    response.headers["Cache-Control"] = "no-store"
    return response
