"""Whatever a visitor types in the search box is text, never query syntax: FTS5 (SQLite) and
tsquery (PostgreSQL) operators, quotes, LIKE wildcards, backslashes, other scripts and very
long input all give a 200 with results or an empty list, on the page and in the API;
control characters, which nobody types, are refused with a 400 that says so."""

from __future__ import annotations

from urllib.parse import quote

QUERIES = [
    '"abc',
    "a AND",
    "NEAR(",
    "NEAR(cloud operations, 2)",
    "*",
    "title:x OR",
    "'",
    "\\",
    "%",
    "_",
    "%_%",
    "cloud*",
    "-cloud",
    "cloud NOT",
    "^cloud",
    "{cloud}",
    "(",
    ")",
    "AND OR NOT",
    "cloud & | ! <-> :*",
    "clo:*",
    "a:b:c",
    "''''",
    '""',
    "café naïve Übung",
    "クラウド 運用",
    "облачные операции",
    "😀 cloud",
    "x" * 500,
    "cloud " * 100,
    "\u00a0\u200b\u2028",
    "²³ ½",
    "٣ ०",
    "; DROP TABLE listing; --",
]
CONTROL = ["\t\n", "cloud\x00native", "\x1b[31m"]


def test_query_syntax_is_plain_text(catalogue, client):
    catalogue(2)  # one workflow for every query (publishing takes a while)
    for q in QUERIES:
        encoded = quote(q, safe="")
        api = client.get(f"/api/v1/listings?q={encoded}")
        assert api.status_code == 200, (q, api.get_data(as_text=True))
        body = api.get_json()
        assert body["total"] == len(body["items"]) and body["total"] in (0, 1, 2), q
        page = client.get(f"/catalogue?q={encoded}")
        assert page.status_code == 200, q
        assert "microcredential" in page.get_data(as_text=True)
        # The answer's own link carries the query back (as far as it is kept).
        follow = client.get(body["links"]["self"])
        assert follow.status_code == 200 and follow.get_json()["total"] == body["total"], q


def test_control_characters_are_refused_with_a_message(client):
    for q in CONTROL:
        encoded = quote(q, safe="")
        api = client.get(f"/api/v1/listings?q={encoded}")
        assert api.status_code == 400, q
        assert "control character" in api.get_json()["message"], q
        page = client.get(f"/catalogue?q={encoded}")
        assert page.status_code == 400 and "control character" in page.text, q


def test_operators_are_words_and_words_still_match(catalogue, client):
    catalogue(2)
    expected = {
        "cloud": 2,
        '"cloud': 2,
        "cloud*": 2,
        "NEAR(cloud": 0,  # "near" is a word here, not an operator, and not in the text
        "clou": 2,  # a prefix
        "cloud:operations": 2,
        "'operations'": 2,
        "title:cloud": 0,  # two words, and "title" is not in the text: no column filter
        "cloud AND nothingmatches": 0,
        "cloud OR nothingmatches": 0,  # OR is a word too
    }
    found = {q: client.get(f"/api/v1/listings?q={quote(q)}").get_json()["total"] for q in expected}
    assert found == expected
