"""Helpers of the API tests: a counter of the SQL statements the application sends."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

import sqlalchemy as sa

from qa_portal.extensions import db


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
