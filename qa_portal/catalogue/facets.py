"""The filter counts beside the catalogue's results: for each filter, the values available
and how many listings each would give (each filter's counts ignore that filter itself, so
the choices stay visible), in one statement."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from qa_portal.accounts.models import Organisation
from qa_portal.catalogue.models import Listing, ListingLanguage, PublicStatus
from qa_portal.catalogue.search_conditions import conditions, status_expression
from qa_portal.catalogue.search_filters import Filters
from qa_portal.extensions import db

FACETS = ("status", "provider", "country", "eqf", "field", "participation", "language")


def facet_counts(f: Filters, today: date) -> dict[str, list[tuple[str, str, int]]]:
    """For each filter, the values available and how many listings each would give."""
    status = status_expression(today)
    branches = []

    def branch(name: str, value, label, *extra_where, join=None):
        source = Listing.__table__ if join is None else Listing.__table__.join(*join)
        query = (
            sa.select(
                sa.literal(name).label("facet"),
                sa.cast(value, sa.String).label("value"),
                sa.cast(label, sa.String).label("label"),
                sa.func.count().label("n"),
            )
            .select_from(source)
            .where(*conditions(f, today, skip=name), *extra_where)
            .group_by(value, label)
        )
        branches.append(query)

    branch("status", status, status)
    # Providers: counted from the index by id (a subquery), named from the organisation.
    by_provider = (
        sa.select(Listing.organisation_id.label("id"), sa.func.count().label("n"))
        .where(*conditions(f, today, skip="provider"))
        .group_by(Listing.organisation_id)
        .subquery("by_provider")
    )
    branches.append(
        sa.select(
            sa.literal("provider").label("facet"),
            sa.cast(by_provider.c.id, sa.String).label("value"),
            sa.cast(Organisation.name, sa.String).label("label"),
            by_provider.c.n,
        ).join_from(by_provider, Organisation, Organisation.id == by_provider.c.id)
    )
    branch("country", Listing.country, Listing.country, Listing.country != "")
    branch("eqf", Listing.eqf_level, Listing.eqf_level, Listing.eqf_level.is_not(None))
    branch("field", Listing.isced_broad, Listing.isced_broad, Listing.isced_broad != "")
    branch(
        "participation", Listing.participation, Listing.participation, Listing.participation != ""
    )
    branch(
        "language",
        ListingLanguage.code,
        ListingLanguage.code,
        join=(ListingLanguage.__table__, ListingLanguage.listing_id == Listing.id),
    )
    rows = db.session.execute(sa.union_all(*branches)).all()
    result: dict[str, list[tuple[str, str, int]]] = {name: [] for name in FACETS}
    for facet, value, label, n in rows:
        result[facet].append((value, label, n))
    for name in result:
        result[name].sort(key=lambda item: (-item[2], item[1]))
    if not f.status:  # withdrawn and revoked listings only appear when asked for
        result["status"] = [
            v
            for v in result["status"]
            if v[0] in (PublicStatus.VALID, PublicStatus.CONDITIONS_OPEN, PublicStatus.EXPIRED)
        ]
    return result
