"""The migrations build exactly the schema the models declare, and they run both ways.

Runs on the session database: SQLite by default, PostgreSQL when DATABASE_URL points at
one (CI runs both), so each dialect's migration path is checked.
"""

from __future__ import annotations

import uuid
import warnings
from datetime import date

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from qa_portal.catalogue import search
from qa_portal.catalogue.fulltext import UNREFLECTED_WARNINGS, include_object
from qa_portal.catalogue.models import Listing
from qa_portal.catalogue.search_filters import Filters
from qa_portal.core.audit import verify_chain
from qa_portal.core.db import commit
from qa_portal.extensions import db
from qa_portal.reports.models import Report, ReportVariant
from qa_portal.reviews.defaults import DEFAULT_CRITERIA, DEFAULT_POLICY, DEFAULT_RUBRIC_NOTE


@pytest.fixture
def alembic_config(app):
    """The app's own migration set-up (migrations/, env.py), as ``flask db`` uses it."""
    migrate = app.extensions["migrate"]
    db.session.remove()  # no open transaction may hold a lock while tables are dropped
    config = migrate.migrate.get_config(migrate.directory)
    yield config
    db.session.remove()
    command.upgrade(config, "head")  # whatever happened, leave the schema for the next test


def _differences() -> list:
    """What the migrated schema lacks or has beyond the models (SQLite cannot reflect an
    index on an expression: those are left out, as migrations/env.py does)."""
    with db.engine.connect() as connection, warnings.catch_warnings():
        for message in UNREFLECTED_WARNINGS:
            warnings.filterwarnings("ignore", message=message)
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "compare_server_default": True,
                "include_object": include_object,
            },
        )
        return compare_metadata(context, db.metadata)


def _tables() -> set[str]:
    return set(sa.inspect(db.engine).get_table_names())


def _defaults() -> tuple[list[dict], list[tuple], list[tuple]]:
    """The policy rows, the rubric versions and their criteria, as stored."""
    with db.engine.connect() as connection:
        policies = [
            dict(r._mapping) for r in connection.execute(sa.text("SELECT * FROM review_policy"))
        ]
        versions = list(
            connection.execute(
                sa.text("SELECT number, note, created_by_id FROM rubric_version ORDER BY number")
            )
        )
        criteria = list(
            connection.execute(
                sa.text(
                    "SELECT c.position, c.title, c.guidance, c.weight FROM rubric_criterion c "
                    "JOIN rubric_version v ON v.id = c.rubric_id WHERE v.number = 1 "
                    "ORDER BY c.position"
                )
            )
        )
    return policies, [tuple(v) for v in versions], [tuple(c) for c in criteria]


def _has_append_only_trigger() -> bool:
    with db.engine.connect() as connection:
        return bool(
            connection.execute(
                sa.text("SELECT 1 FROM pg_trigger WHERE tgname = 'audit_entry_append_only'")
            ).first()
        )


def test_migrations_build_exactly_the_models_schema(alembic_config):
    assert _differences() == []
    # The same comparison through migrations/env.py, with its own settings (what
    # ``flask db migrate`` would generate): nothing.
    command.check(alembic_config)


def test_one_head(alembic_config):
    heads = ScriptDirectory.from_config(alembic_config).get_heads()
    assert len(heads) == 1, f"several migration heads, merge them: {heads}"


def test_downgrade_to_base_and_upgrade_to_head(alembic_config):
    model_tables = set(db.metadata.tables)
    assert model_tables <= _tables()

    command.downgrade(alembic_config, "base")
    assert _tables() <= {"alembic_version"}
    if db.engine.dialect.name == "postgresql":
        assert not _has_append_only_trigger()

    command.upgrade(alembic_config, "head")
    assert model_tables <= _tables()
    assert _differences() == []
    if db.engine.dialect.name == "postgresql":
        assert _has_append_only_trigger()


def test_the_migrations_insert_the_review_policy_and_rubric_version_1(alembic_config):
    """Migration 0007 inserts the default policy and rubric version 1 (the eight criteria,
    weight 1), so reading them never has to create them. Its downgrade leaves them (an
    edited policy survives a step back and forth), and upgrading again adds nothing."""
    command.downgrade(alembic_config, "0006")
    command.upgrade(alembic_config, "head")
    policies, versions, criteria = _defaults()
    assert len(policies) == 1
    assert {name: policies[0][name] for name in DEFAULT_POLICY} == DEFAULT_POLICY
    assert versions == [(1, DEFAULT_RUBRIC_NOTE, None)]
    expected = [(i, t, g, 1.0) for i, (t, g) in enumerate(DEFAULT_CRITERIA, start=1)]
    assert [(p, t, g, float(w)) for p, t, g, w in criteria] == expected

    with db.engine.begin() as connection:
        connection.execute(sa.text("UPDATE review_policy SET appeal_days = 45"))
    command.downgrade(alembic_config, "0006")
    assert _defaults()[0][0]["appeal_days"] == 45
    command.upgrade(alembic_config, "head")
    policies, versions, after = _defaults()
    assert len(policies) == 1 and policies[0]["appeal_days"] == 45
    assert versions == [(1, DEFAULT_RUBRIC_NOTE, None)] and after == criteria


def test_audit_migration_keeps_the_trail_both_ways(alembic_config, people, make_dossier):
    """Stepping back over the audit migration and forward again keeps every entry intact."""
    make_dossier(people.provider_a, submit=True)
    before = db.session.execute(sa.text("SELECT count(*) FROM audit_entry")).scalar()
    assert before >= 5  # create, save, two files, submit
    db.session.remove()

    command.downgrade(alembic_config, "0001")
    command.upgrade(alembic_config, "head")

    assert db.session.execute(sa.text("SELECT count(*) FROM audit_entry")).scalar() == before
    report = verify_chain()
    assert report.intact and report.checked == before


def _stored_uuids(table: str) -> dict[int, uuid.UUID]:
    with db.engine.connect() as connection:
        rows = connection.execute(sa.text(f"SELECT id, uuid FROM {table}"))  # noqa: S608
        return {row_id: uuid.UUID(str(value)) for row_id, value in rows}


def test_the_identifiers_migration_gives_existing_rows_distinct_uuids(
    alembic_config, people, make_listing
):
    """Migration 0020 gives every existing listing, organisation and report its UUID: each
    listing the one of the CTID published for it before (derived then from its address under
    PUBLIC_BASE_URL), the others fresh ones. The listing table keeps its search index."""
    listings = [make_listing("Tidal Energy"), make_listing("Data", member=people.provider_b)]
    for revision in (1, 2):
        db.session.add(
            Report(
                dossier_id=listings[0].dossier_id,
                decision_id=listings[0].decision_id,
                variant=ReportVariant.PUBLIC,
                revision=revision,
                number="QA-2026-0001",
                code=f"CODE-{revision}",
            )
        )
    commit()
    listing_ids = [listing.id for listing in listings]
    db.session.remove()

    command.downgrade(alembic_config, "0019")
    assert "uuid" not in {c["name"] for c in sa.inspect(db.engine).get_columns("listing")}
    command.upgrade(alembic_config, "head")

    given = {table: _stored_uuids(table) for table in ("organisation", "review_report")}
    given["listing"] = _stored_uuids("listing")
    assert len(given["review_report"]) == 2 and len(given["organisation"]) >= 3
    everything = [u for table in given.values() for u in table.values()]
    assert len(set(everything)) == len(everything)  # distinct, in each table and across
    assert sorted(given["listing"]) == sorted(listing_ids)
    for listing_id, value in given["listing"].items():
        assert value == uuid.uuid5(uuid.NAMESPACE_URL, f"http://qa.test/catalogue/{listing_id}")

    with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as connection:
        connection.execute(
            sa.text(
                "UPDATE organisation SET uuid = NULL WHERE id = (SELECT min(id) FROM organisation)"
            )
        )
    # The full-text search still follows the listings (SQLite's triggers were kept).
    listing = db.session.get(Listing, listing_ids[1])
    listing.title = "Zymurgy for Brewers"
    commit()
    found = search.search(Filters(q="zymurgy"), date.today()).items
    assert [(f.id, f.uuid) for f in found] == [(listing.id, given["listing"][listing.id])]
