"""Full-text search underneath the catalogue: the index follows every change of a listing
(FTS5 triggers on SQLite, the generated column on PostgreSQL), ranking prefers the title and
keywords to the description, the last word matches as a prefix from three characters, and on
PostgreSQL the search statement can use the GIN index."""

from __future__ import annotations

import json
from datetime import date

import pytest
import sqlalchemy as sa

from qa_portal.catalogue import search
from qa_portal.catalogue.models import Listing, ListingLanguage
from qa_portal.catalogue.search_filters import Filters
from qa_portal.core.db import commit
from qa_portal.dossiers.models import Dossier
from qa_portal.extensions import db
from tests.builders import copy_listing


def found(q: str, **filters) -> list[int]:
    page = search.search(Filters(q=q, per_page=100, **filters), date.today())
    assert page.total == len(page.items)
    return [listing.id for listing in page.items]


def test_index_follows_inserts_updates_and_deletes(catalogue):
    first, second = catalogue(2)
    assert found("zeppelin") == []

    listing = db.session.get(Listing, second.id)
    listing.title = "Zeppelin Maintenance"
    listing.outcomes_text = "Inspect an envelope for helium leaks."
    commit()
    assert found("zeppelin") == [second.id]
    assert found("helium") == [second.id]
    assert found(first.title.split()[0])  # the other listing is still found by its words

    listing = db.session.get(Listing, second.id)
    listing.title = "Airship Maintenance"
    commit()
    assert found("zeppelin") == []  # the old words are gone from the index
    assert found("airship") == [second.id]

    copy = copy_listing(db.session.get(Listing, first.id), 7, title="Hovercraft Pilot")
    commit()
    assert found("hovercraft") == [copy.id]
    db.session.delete(db.session.get(Listing, copy.id))
    commit()
    assert found("hovercraft") == []


def test_title_and_keywords_rank_above_the_description(catalogue):
    listings = catalogue(3)
    in_description, in_title, in_keywords = (db.session.get(Listing, x.id) for x in listings)
    in_description.description += " Includes a short unit on tidal energy."
    in_title.title = "Tidal Energy Systems"
    in_keywords.keywords_text = "tidal, marine"
    commit()
    ranked = found("tidal")
    assert set(ranked) == {in_description.id, in_title.id, in_keywords.id}
    assert ranked[-1] == in_description.id
    # Date order ignores the rank: newest first.
    by_date = search.search(Filters(q="tidal", sort="date", per_page=10), date.today()).items
    assert [x.published_at for x in by_date] == sorted(
        (x.published_at for x in by_date), reverse=True
    )


def test_the_last_word_is_a_prefix_from_three_characters_and_all_must_match(catalogue):
    first, second = catalogue(2)
    listing = db.session.get(Listing, second.id)
    listing.title = "Geothermal Heat Pumps in Practice"
    commit()
    assert found("geotherm") == [second.id]
    assert found("heat ge") == []  # two letters are a whole word, not a prefix
    assert found("heat geo") == [second.id]
    assert found("geo heat") == []  # only the last word is a prefix
    assert found("geothermal pum") == [second.id]
    assert found("geothermal pumps") == [second.id]
    assert found("geothermal nonsenseword") == []  # every word must match
    assert found("GEOTHERMAL") == [second.id]


def test_pages_of_results_keep_the_total_and_order(catalogue):
    listings = catalogue(7)
    word = listings[0].title.split()[0]
    seen = []
    for number in (1, 2, 3, 4):
        page = search.search(Filters(q=word, sort="title", page=number, per_page=2), date.today())
        assert page.total == 7
        seen += [x.title.lower() for x in page.items]
    assert len(seen) == 7 and seen == sorted(seen)
    past_end = search.search(Filters(q=word, page=9, per_page=2), date.today())
    assert past_end.items == [] and past_end.total == 7


@pytest.fixture
def postgres(app):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("PostgreSQL only")


def _copies(listing, count: int) -> None:
    """``count`` copies of ``listing``, each on its own dossier, and fresh statistics."""
    # A copy gets its own identifier, and no bit in the status list (status_index is
    # unique; NULL for copies).
    copied = ("id", "dossier_id", "uuid", "status_index")
    columns = [c.name for c in Listing.__table__.columns if c.name not in copied]
    dossier_columns = [c.name for c in Dossier.__table__.columns if c.name != "id"]
    connection = db.session.connection()
    new_uuid = (  # as each dialect stores sa.Uuid: native, or 32 hexadecimal digits
        "gen_random_uuid()"
        if connection.dialect.name == "postgresql"
        else "lower(hex(randomblob(16)))"
    )
    before = connection.execute(sa.select(sa.func.max(Dossier.id))).scalar_one()
    numbers = f"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {count})"
    connection.exec_driver_sql(
        f"INSERT INTO dossier ({', '.join(dossier_columns)}) {numbers} "  # noqa: S608
        f"SELECT {', '.join(dossier_columns)} FROM dossier, n WHERE id = {listing.dossier_id}"
    )
    connection.exec_driver_sql(
        f"INSERT INTO listing (dossier_id, uuid, {', '.join(columns)}) "  # noqa: S608
        f"SELECT d.id, {new_uuid}, {', '.join('l.' + c for c in columns)} "
        "FROM listing l, dossier d "
        f"WHERE l.id = {listing.id} AND d.id > {before}"
    )
    connection.exec_driver_sql("ANALYZE")
    commit()


def _plan(f: Filters, marker: str) -> tuple[search.Page, str]:
    """The page of ``f``, and the plan of its statement that contains ``marker``."""
    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        page = search.search(f, date.today())
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    statement, parameters = next(s for s in statements if marker in s[0])
    raw = db.session.connection().connection.dbapi_connection.cursor()
    if db.engine.dialect.name == "postgresql":
        raw.execute("EXPLAIN (FORMAT JSON) " + statement, parameters)
        plan = json.dumps(raw.fetchone()[0])
    else:
        raw.execute("EXPLAIN QUERY PLAN " + statement, parameters)
        plan = "\n".join(str(row[-1]) for row in raw.fetchall())
    db.session.rollback()
    return page, plan


def test_search_plan_uses_the_gin_index(postgres, catalogue):
    """With 20,000 listings, a search for a rare word is planned through
    ``ix_listing_search``; had the statement computed its ``tsvector`` on the fly (or with
    another configuration), no plan could use the index."""
    first, rare = catalogue(2)
    listing = db.session.get(Listing, rare.id)
    listing.title = "Zeppelin Maintenance"
    commit()
    _copies(first, 20000)
    page, plan = _plan(Filters(q="zeppelin"), "search_vector")
    assert [x.id for x in page.items] == [rare.id] and page.total == 1
    assert '"Index Name": "ix_listing_search"' in plan, plan


def test_postgres_combines_the_words_and_the_filters_inside_one_gin_index(postgres, catalogue):
    """A word with filters is looked up in ``ix_listing_search`` alone: GIN intersects the
    listings of the word, of the EQF level and of the field itself, so only the rows that
    pass all three are read. (With the words alone in a GIN index, the planner joined its
    matches to a B-tree scan of every listing of the level: a ``BitmapAnd``.)"""
    first, _ = catalogue(2)
    _copies(first, 20000)
    connection = db.session.connection()
    connection.execute(  # a word in one listing of twenty, three levels, two fields
        sa.update(Listing).values(
            title=sa.case((Listing.id % 20 == 0, "Zeppelin Maintenance"), else_=Listing.title),
            eqf_level=4 + Listing.id % 3,
            isced_broad=sa.case((Listing.id % 7 < 3, "07"), else_="06"),
            isced_code=sa.case((Listing.id % 7 < 3, "0715"), else_="0613"),
        )
    )
    connection.exec_driver_sql("ANALYZE")
    commit()
    f = Filters(q="zeppelin", eqf=4, field="07", per_page=100)
    page, plan = _plan(f, "search_vector")
    expected = db.session.execute(
        sa.select(Listing.id).where(
            Listing.title == "Zeppelin Maintenance",
            Listing.eqf_level == 4,
            Listing.isced_broad == "07",
            Listing.state == "valid",
        )
    ).scalars()
    expected = set(expected)
    assert page.total == len(expected) > 100 and len(page.items) == 100
    assert {x.id for x in page.items} <= expected
    lookups = [n for n in _nodes(json.loads(plan)) if "search_vector" in n.get("Index Cond", "")]
    assert [n["Index Name"] for n in lookups] == ["ix_listing_search"], plan
    assert "eqf_level" in lookups[0]["Index Cond"], plan
    assert "isced_broad" in lookups[0]["Index Cond"], plan
    assert "BitmapAnd" not in plan, plan


def _nodes(plan):
    """Every node of a JSON plan (``EXPLAIN (FORMAT JSON)``), depth first."""
    for node in plan if isinstance(plan, list) else [plan]:
        inner = node.get("Plan", node)
        yield inner
        for child in inner.get("Plans", []):
            yield from _nodes(child)


def test_title_order_is_read_off_its_index(catalogue):
    """With 20,000 listings, the first page in title order is read from the start of
    ``ix_listing_title`` (state, lower(title), id), not sorted out of every listing."""
    first, second = catalogue(2)
    db.session.get(Listing, second.id).title = "aardvark Husbandry"  # first, whatever the case
    commit()
    _copies(first, 20000)
    page, plan = _plan(Filters(sort="title", per_page=5), "lower(")
    assert page.items[0].id == second.id and page.total == 20002
    titles = [(x.title.lower(), x.id) for x in page.items]
    assert titles == sorted(titles)
    assert "ix_listing_title" in plan, plan
    # No sort before the page is cut (SQLite then orders the page's five rows again)
    choosing = plan.split("SCAN page_ids")[0]
    assert "TEMP B-TREE FOR ORDER BY" not in choosing and '"Sort Key"' not in choosing, plan


def test_sqlite_finds_a_browse_page_of_several_filters_in_its_covering_indexes(catalogue):
    """SQLite, without statistics per value, would pick the participation index and read
    the row of every listing it keeps to test the EQF level and the ECTS range; the terms
    are kept from the narrow indexes, and the page and its total come from indexes that
    hold every filter column (no row read before the page is cut)."""
    first, _ = catalogue(2)
    _copies(first, 20000)
    connection = db.session.connection()
    forms = {0: "online", 1: "blended", 2: "in_person"}
    connection.execute(  # spread the copies over levels, forms and credits
        sa.update(Listing).values(
            eqf_level=4 + Listing.id % 4,
            ects=Listing.id % 10,
            participation=sa.case(forms, value=Listing.id % 3),
        )
    )
    connection.exec_driver_sql("ANALYZE")
    commit()
    f = Filters(eqf=7, participation="online", ects_min=2, ects_max=6, per_page=5)
    page, plan = _plan(f, "FROM listing")
    expected = db.session.execute(
        sa.select(Listing.id)
        .where(
            Listing.eqf_level == 7,
            Listing.participation == "online",
            Listing.ects.between(2, 6),
            Listing.state == "valid",
        )
        .order_by(Listing.published_at.desc(), Listing.id.desc())
    ).scalars()
    expected = list(expected)
    assert [x.id for x in page.items] == expected[:5] and page.total == len(expected) > 500
    if db.engine.dialect.name == "sqlite":
        choosing = plan.split("SCAN page_ids")[0]
        searches = [line for line in choosing.splitlines() if "listing USING" in line]
        assert searches and all("COVERING INDEX" in line for line in searches), plan


def test_planner_settings_hold_for_the_search_transaction_only(postgres, catalogue):
    """The catalogue's planner settings (pages read from memory) are set with SET LOCAL: the
    search's transaction plans with them, the connection's next transaction does not."""
    catalogue(1)

    def setting() -> str:
        return db.session.execute(sa.text("SHOW random_page_cost")).scalar_one()

    default = setting()
    db.session.rollback()
    assert default != search.PLANNER_SETTINGS["random_page_cost"]
    search.search(Filters(q="zeppelin"), date.today())
    assert setting() == search.PLANNER_SETTINGS["random_page_cost"]
    search.ranked(Filters(q="zeppelin"), date.today())
    db.session.rollback()
    assert setting() == default


def test_each_listing_is_found_under_its_public_status_only(catalogue):
    from datetime import timedelta

    from qa_portal.catalogue.models import ConditionsStatus, ListingState

    listings = [db.session.get(Listing, x.id) for x in catalogue(6)]
    day = date.today()
    past = day - timedelta(days=1)
    listings[1].conditions = ConditionsStatus.OPEN
    listings[2].valid_until = past
    listings[3].valid_until, listings[3].conditions = past, ConditionsStatus.OPEN
    listings[4].state = ListingState.WITHDRAWN
    listings[5].state = ListingState.REVOKED
    commit()
    for status in ("valid", "conditions_open", "expired", "withdrawn", "revoked"):
        expected = {
            x.id for x in listings if db.session.get(Listing, x.id).public_status(day) == status
        }
        assert set(found("", status=status)) == expected, status
    assert set(found("", status="expired")) == {listings[2].id, listings[3].id}


def test_a_search_with_words_ranks_its_newest_matches_and_says_there_are_more(
    catalogue,
    monkeypatch,
    client,
):
    """A search with words considers its WINDOW most recently published matches (all
    filters applied first), and says when more listings match."""
    listings = catalogue(6)
    word = listings[0].title.split()[0]  # every copy shares the title's words
    oldest = min(listings, key=lambda x: x.id)
    db.session.get(Listing, oldest.id).country = "IS"
    commit()
    monkeypatch.setattr(search, "WINDOW", 4)
    today = date.today()

    page = search.search(Filters(q=word, per_page=10), today)
    assert (page.total, page.total_exact) == (4, False)
    assert sorted(x.id for x in page.items) == sorted(x.id for x in listings)[-4:]
    for sort in ("date", "title"):
        page = search.search(Filters(q=word, sort=sort, per_page=10), today)
        assert len(page.items) == 4 and page.total_exact is False
    past_end = search.search(Filters(q=word, page=3, per_page=2), today)
    assert (past_end.items, past_end.total, past_end.total_exact) == ([], 4, False)

    # Filters apply before the window: the oldest listing is found by its own country.
    page = search.search(Filters(q=word, country="IS"), today)
    assert ([x.id for x in page.items], page.total, page.total_exact) == ([oldest.id], 1, True)
    # The language is checked on the matches the country kept.
    codes = db.session.scalars(
        sa.select(ListingLanguage.code).where(ListingLanguage.listing_id == oldest.id)
    ).all()
    assert found(word, country="IS", language=codes[0]) == [oldest.id]
    other = next(code for code in ("en", "de", "fr", "nl", "fi") if code not in codes)
    assert found(word, country="IS", language=other) == []
    # Without words every listing counts.
    page = search.search(Filters(per_page=10), today)
    assert (page.total, page.total_exact) == (6, True)

    body = client.get(f"/api/v1/listings?q={word}").get_json()
    assert (body["total"], body["total_exact"], body["pages"]) == (4, False, 1)
    html = client.get(f"/catalogue?q={word}").text
    assert "More than 4 microcredentials" in html
    assert "4 most recently published matches" in html

    monkeypatch.setattr(search, "WINDOW", 6)  # exactly as many matches as the window
    page = search.search(Filters(q=word, per_page=10), today)
    assert (page.total, page.total_exact) == (6, True)
    assert client.get(f"/api/v1/listings?q={word}").get_json()["total_exact"] is True
    html = client.get(f"/catalogue?q={word}").text
    assert "6 microcredentials" in html and "More than 6" not in html
    assert "most recently published matches" not in html
