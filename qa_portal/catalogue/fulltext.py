"""Full-text search structures that live outside the ORM, created by the migration.

SQLite: an FTS5 table over the listing's public text (external content, no copy of the
text), kept in sync by triggers. PostgreSQL: a generated ``tsvector`` column, indexed with
the filter columns in one GIN index. Both are left out of the models-versus-migrations
comparison (``include_object``).
"""

from __future__ import annotations

# ruff: noqa: S608 - fixed DDL built from constant column names, no input

FTS_COLUMNS = ("title", "summary", "description", "outcomes_text", "keywords_text", "provider_name")

_cols = ", ".join(FTS_COLUMNS)
_new = ", ".join(f"new.{c}" for c in FTS_COLUMNS)
_old = ", ".join(f"old.{c}" for c in FTS_COLUMNS)

SQLITE_UP = [
    f"CREATE VIRTUAL TABLE listing_fts USING fts5({_cols}, content='listing', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 2', prefix='3 4')",
    f"CREATE TRIGGER listing_fts_insert AFTER INSERT ON listing BEGIN "
    f"INSERT INTO listing_fts(rowid, {_cols}) VALUES (new.id, {_new}); END",
    f"CREATE TRIGGER listing_fts_delete AFTER DELETE ON listing BEGIN "
    f"INSERT INTO listing_fts(listing_fts, rowid, {_cols}) VALUES ('delete', old.id, {_old}); "
    "END",
    f"CREATE TRIGGER listing_fts_update AFTER UPDATE ON listing BEGIN "
    f"INSERT INTO listing_fts(listing_fts, rowid, {_cols}) VALUES ('delete', old.id, {_old}); "
    f"INSERT INTO listing_fts(rowid, {_cols}) VALUES (new.id, {_new}); END",
    "INSERT INTO listing_fts(listing_fts) VALUES ('rebuild')",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS listing_fts_update",
    "DROP TRIGGER IF EXISTS listing_fts_delete",
    "DROP TRIGGER IF EXISTS listing_fts_insert",
    "DROP TABLE IF EXISTS listing_fts",
]

_VECTOR = (
    "setweight(to_tsvector('simple'::regconfig, coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, coalesce(keywords_text, '')), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, coalesce(summary, '') || ' ' || "
    "coalesce(outcomes_text, '') || ' ' || coalesce(provider_name, '')), 'B') || "
    "setweight(to_tsvector('simple'::regconfig, coalesce(description, '')), 'C')"
)
# The short texts that lists, sorts and filters read: kept in the row. With the low toast
# target below, PostgreSQL would otherwise move every text longer than a pointer (titles,
# provider names) out of line too, and each one read would cost a TOAST lookup.
INLINE_COLUMNS = (
    "state",
    "conditions",
    "ended_reason",
    "country",
    "isced_code",
    "isced_broad",
    "participation",
    "languages",
    "title",
    "summary",
    "keywords_text",
    "provider_name",
)
POSTGRES_UP = [
    f"ALTER TABLE listing ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ({_VECTOR}) STORED",
    "CREATE INDEX ix_listing_search_vector ON listing USING gin (search_vector)",
    # Keep the rows that a search reads narrow: the long texts (read only for one listing's
    # page and exports) go out of line early, the vector (ranked for every match) stays in.
    "ALTER TABLE listing ALTER COLUMN public_json SET STORAGE EXTERNAL",
    "ALTER TABLE listing ALTER COLUMN description SET STORAGE EXTERNAL",
    "ALTER TABLE listing ALTER COLUMN outcomes_text SET STORAGE EXTERNAL",
    "ALTER TABLE listing ALTER COLUMN search_vector SET STORAGE MAIN",
    *(f"ALTER TABLE listing ALTER COLUMN {column} SET STORAGE MAIN" for column in INLINE_COLUMNS),
    "ALTER TABLE listing SET (toast_tuple_target = 256)",
]
POSTGRES_DOWN = [
    "DROP INDEX IF EXISTS ix_listing_search_vector",
    "ALTER TABLE listing DROP COLUMN IF EXISTS search_vector",
]

# PostgreSQL, since migration 0006: one GIN index holds the words and the filters that a
# search with words combines with them (btree_gin's operator classes for the scalar
# columns). GIN intersects their lists of listings inside the index, so "cyber" at EQF
# level 6 reads only the rows that pass both; with the words alone in a GIN index, the
# planner joined its matches to a B-tree scan of every listing of the level (31,000 at
# 100,000 listings, 9 ms) or tested the level in the row of each match. The ECTS range
# stays out (a range over a GIN key unites one list per value, dearer than testing the
# row), and so do the languages (tested in the row's list).
SEARCH_INDEX_COLUMNS = (
    "search_vector",
    "state",
    "country",
    "eqf_level",
    "isced_broad",
    "isced_code",
    "participation",
    "organisation_id",
)
POSTGRES_SEARCH_INDEX_UP = [
    # A trusted extension (PostgreSQL 13+): the database's owner may create it
    "CREATE EXTENSION IF NOT EXISTS btree_gin",
    f"CREATE INDEX ix_listing_search ON listing USING gin ({', '.join(SEARCH_INDEX_COLUMNS)})",
    "DROP INDEX IF EXISTS ix_listing_search_vector",
]
POSTGRES_SEARCH_INDEX_DOWN = [
    "CREATE INDEX ix_listing_search_vector ON listing USING gin (search_vector)",
    "DROP INDEX IF EXISTS ix_listing_search",
    # btree_gin stays: other objects of the database may use it
]


# Indexes on an expression, which SQLite's reflection cannot read back (it skips them with
# warnings): left out of comparisons; tests/catalogue/test_search.py checks that they exist
# and that the plans use them.
EXPRESSION_INDEXES = ("ix_listing_title",)
UNREFLECTED_WARNINGS = (  # SQLAlchemy's reflection, then Alembic's comparison
    "Skipped unsupported reflection of expression-based index",
    "autogenerate skipping metadata-specified expression-based index",
)


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Leave the search structures and the expression indexes out of autogenerate
    comparisons."""
    if type_ == "index" and name in EXPRESSION_INDEXES:
        return False
    if type_ == "table" and name and name.startswith("listing_fts"):
        return False
    if type_ == "column" and name == "search_vector":
        return False
    return not (type_ == "index" and name in ("ix_listing_search_vector", "ix_listing_search"))
