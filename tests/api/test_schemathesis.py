"""Schemathesis runs every operation of the OpenAPI document against the app, in process
(WSGI, no network), with valid and invalid inputs: no answer may be a server error, and every
answer must be documented (status code, content type, headers) and match its JSON schema.

Schemathesis leaves out the operation that serves the document itself (GET /openapi.json);
test_openapi.py validates that one.

The catalogue is seeded before each operation's run (the harness empties the database after
every test): the first run publishes listings through the real workflow and keeps a copy of
the rows, later runs put the rows back, which takes milliseconds.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import schemathesis
import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from qa_portal.catalogue import operations as catalogue_ops
from qa_portal.core.db import commit
from qa_portal.extensions import db, limiter
from tests.harness import empty_all_tables

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
_ROWS: list[tuple[sa.Table, list[dict]]] = []


def _build_catalogue(request) -> None:
    """A few listings in every public state, through the real workflow where it matters."""
    people = request.getfixturevalue("people")
    make = request.getfixturevalue("catalogue")
    published = request.getfixturevalue("published")
    listings = make(5)
    in_90_days = date.today() + timedelta(days=90)
    with_conditions = published(
        "approved_with_conditions",
        conditions=[{"text": "Publish the assessment rubric.", "due_date": in_90_days}],
    )
    catalogue_ops.withdraw_listing(people.provider_a, listings[1], "No longer offered.")
    catalogue_ops.revoke_listing(people.officer, listings[2], "Assessment not as approved.")
    listings[3].valid_from, listings[3].valid_until = date(2020, 1, 1), date(2021, 1, 1)
    commit()
    assert with_conditions.id


def _dump() -> list[tuple[sa.Table, list[dict]]]:
    with db.engine.connect() as conn:
        return [
            (table, [dict(row._mapping) for row in conn.execute(table.select())])
            for table in db.metadata.sorted_tables
        ]


def _restore(rows) -> None:
    """The dumped rows in place of the reset database's (the default review policy and
    rubric are among them)."""
    empty_all_tables()
    with db.engine.begin() as conn:
        for table, values in rows:
            if values:
                conn.execute(table.insert(), values)


@pytest.fixture
def seeded(request):
    if _ROWS:
        _restore(_ROWS)
    else:
        _build_catalogue(request)
        _ROWS.extend(_dump())


@pytest.fixture
def api_schema(app, seeded):
    # The shared test app runs without the rate limit, so the run never meets a 429 (the
    # limit itself is tested with an app of its own in test_errors.py).
    assert not limiter.enabled
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    schema.config.generation.update(
        modes=[schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE],
        max_examples=30,
        deterministic=True,
    )
    return schema


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=30,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_openapi_document(case, app):
    with app.app_context():  # each request in its own context, as in production
        case.call_and_validate(checks=CHECKS)


def test_every_published_object_conforms(api_schema, app):
    """The generated ids rarely name a seeded object: every listing (valid, with conditions,
    withdrawn, revoked, expired) and organisation is checked explicitly, and each status."""
    from qa_portal.accounts.models import Organisation
    from qa_portal.catalogue.models import Listing, PublicStatus

    listing_ids = db.session.execute(sa.select(Listing.id)).scalars().all()
    org_ids = db.session.execute(sa.select(Organisation.id)).scalars().all()
    assert len(listing_ids) == 6
    cases = [
        api_schema[path]["GET"].Case(path_parameters={"listing_id": listing_id})
        for listing_id in listing_ids
        for path in ("/listings/{listing_id}", "/listings/{listing_id}/achievement")
    ]
    cases += [
        api_schema["/listings/{listing_id}/ctdl"]["GET"].Case(path_parameters={"listing_id": i})
        for i in listing_ids
    ]
    cases += [
        api_schema["/organisations/{org_id}"]["GET"].Case(path_parameters={"org_id": i})
        for i in org_ids
    ]
    cases += [
        api_schema["/listings"]["GET"].Case(query={"status": status.value, "per_page": 100})
        for status in PublicStatus
    ]
    cases.append(api_schema["/organisations"]["GET"].Case(query={"per_page": 1, "page": 2}))
    statuses = []
    for case in cases:
        with app.app_context():
            response = case.call_and_validate(checks=CHECKS)
        statuses.append(response.status_code)
    assert statuses.count(200) == len(listing_ids) * 3 + 1 + len(PublicStatus) + 1
