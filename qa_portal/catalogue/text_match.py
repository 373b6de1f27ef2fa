"""How the words of a search match listings: FTS5 on SQLite, ``to_tsquery`` over the
generated ``search_vector`` on PostgreSQL, and the relevance of a match on each.

User input is treated as words, never as query syntax: the text is split into word
characters and each word becomes a quoted term, the last one also a prefix, so quotes,
``AND``, ``NEAR(``, ``*`` or ``title:`` are just text.
"""

from __future__ import annotations

import sqlalchemy as sa

from qa_portal.catalogue.models import Listing
from qa_portal.extensions import db

# FTS5's relevance of a match: BM25 with a weight per column of ``listing_fts`` (lower is
# better).
BM25 = "bm25(listing_fts, 10.0, 2.0, 1.0, 3.0, 6.0, 2.0)"
SEARCH_VECTOR = sa.literal_column("listing.search_vector")
FTS = sa.table("listing_fts", sa.column("rowid"))


def dialect() -> str:
    return db.session.get_bind().dialect.name


def _prefix(words: list[str], index: int) -> bool:
    """Whether ``words[index]`` is also matched as the start of longer words: only the last
    word, and only from three characters (as one types; a common start such as "pro" never
    multiplies the work of a query's other words)."""
    return index == len(words) - 1 and len(words[index]) >= 3


def _fts5_expression(words: list[str]) -> str:
    """Each word as a quoted FTS5 string (the last one also a prefix): never syntax."""
    return " ".join(f'"{w}"*' if _prefix(words, i) else f'"{w}"' for i, w in enumerate(words))


def tsquery(words: list[str], operator: str = "&"):
    """Each word (word characters only) as a ``to_tsquery`` term (the last one also a
    prefix), joined by ``operator``: ``&`` to match, ``|`` to rank (see ``ts_rank``)."""
    terms = f" {operator} ".join(f"{w}:*" if _prefix(words, i) else w for i, w in enumerate(words))
    return sa.func.to_tsquery(sa.literal_column("'simple'"), terms)


def ts_rank(words: list[str]):
    """PostgreSQL's relevance of a listing that matches every word (higher is better): each
    word's occurrences, weighted by where they stand (title and keywords, then summary,
    outcomes and provider, then description), as BM25 weighs FTS5's columns. ``ts_rank``
    of the words joined by OR counts exactly that; of the words joined by AND it would
    measure the distance between every pair of their positions instead (several times
    dearer, and a proximity that SQLite's ranking does not have)."""
    return sa.func.ts_rank(SEARCH_VECTOR, tsquery(words, "|"))


def fts_match(words: list[str]):
    """FTS5's condition for ``words`` (already reduced to word characters)."""
    return sa.text("listing_fts MATCH :fts_query").bindparams(fts_query=_fts5_expression(words))


def match(words: list[str]):
    """The full-text condition for ``words`` (already reduced to word characters)."""
    if dialect() == "postgresql":
        return SEARCH_VECTOR.op("@@")(tsquery(words))
    return Listing.id.in_(sa.select(FTS.c.rowid).where(fts_match(words)))
