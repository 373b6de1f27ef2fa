"""Fixtures for the public API: listings published through the real workflow, cheap copies
of them for catalogues of any size, and a counter of SQL statements."""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
import sqlalchemy as sa

from qa_portal.catalogue.models import Listing, ListingLanguage
from qa_portal.core.db import commit
from qa_portal.dossiers.models import Dossier, DossierState
from qa_portal.extensions import db

from ..catalogue.conftest import published  # noqa: F401
from ..workflow.conftest import full_scores, panel, workflow  # noqa: F401

# Variations given to copies, so that filters, facets and sorting have something to do.
COUNTRIES = ("IE", "DE", "FR", "PT", "FI")
PARTICIPATION = ("online", "in_person", "blended")
LANGUAGES = (("en",), ("de", "en"), ("fr",), ("pt", "en"), ("fi", "sv"))


def copy_listing(original: Listing, n: int, organisation=None, **changes) -> Listing:
    """A new listing like ``original`` (same decision), on a new bare dossier of the same
    provider (or of ``organisation``): only the catalogue reads it, and publishing 30 through
    the workflow would take a minute."""
    org_id = organisation.id if organisation else original.organisation_id
    dossier = Dossier(
        organisation_id=org_id,
        state=DossierState.APPROVED,
        title=changes.get("title") or f"{original.title} {n}",
    )
    db.session.add(dossier)
    db.session.flush()
    data = dict(original.public)
    languages = list(changes.pop("languages", LANGUAGES[n % len(LANGUAGES)]))
    values = {
        "title": f"{original.title} {n}",
        "country": COUNTRIES[n % len(COUNTRIES)],
        "eqf_level": 4 + n % 5,
        "participation": PARTICIPATION[n % len(PARTICIPATION)],
        "ects": float(1 + n % 10),
    } | changes
    data.update(
        title=values["title"],
        country=values["country"],
        eqf_level=values["eqf_level"],
        participation=values["participation"],
        ects=values["ects"],
        languages_instruction=languages,
        reference=dossier.reference,
    )
    listing = Listing(
        dossier_id=dossier.id,
        organisation_id=org_id,
        decision_id=original.decision_id,
        state=original.state,
        conditions=original.conditions,
        published_at=original.published_at - timedelta(minutes=n),
        published_by_id=original.published_by_id,
        valid_from=original.valid_from,
        valid_until=original.valid_until,
        summary=original.summary,
        description=original.description,
        outcomes_text=original.outcomes_text,
        keywords_text=original.keywords_text,
        provider_name=organisation.name if organisation else original.provider_name,
        isced_code=original.isced_code,
        isced_broad=original.isced_broad,
        languages=" ".join(languages),
        language_rows=[ListingLanguage(code=code) for code in languages],
        workload_hours=original.workload_hours,
        public_json=json.dumps(data, ensure_ascii=False, sort_keys=True),
        **{k: values[k] for k in ("title", "country", "eqf_level", "participation", "ects")},
    )
    db.session.add(listing)
    db.session.flush()
    return listing


@pytest.fixture
def catalogue(published):  # noqa: F811 - the imported fixture
    """``catalogue(n)``: ``n`` listings of provider A, the first published through the real
    workflow, the others copies of it; returns them newest first."""

    def make(n: int, **published_kwargs) -> list[Listing]:
        first = published(**published_kwargs)
        listings = [first] + [copy_listing(first, i) for i in range(1, n)]
        commit()
        return listings

    return make


@dataclass
class Statements:
    sql: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.sql)

    def __str__(self) -> str:
        return "\n".join(f"{i}. {s[:300]}" for i, s in enumerate(self.sql, 1))


@contextlib.contextmanager
def count_statements():
    """Every SQL statement the application sends while the block runs."""
    seen = Statements()

    def listener(conn, cursor, statement, parameters, context, executemany):
        seen.sql.append(" ".join(statement.split()))

    engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)
