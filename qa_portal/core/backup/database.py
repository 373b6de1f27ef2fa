"""The database part of a backup: a consistent copy taken while the portal runs, and
putting one back.

- **SQLite**: the online backup API (``sqlite3.Connection.backup``) copies the whole
  database in one read transaction: one consistent snapshot, while writers go on (WAL).
  Restoring copies it back the same way, into the configured file.
- **PostgreSQL**: ``pg_dump --format=custom`` reads a snapshot exported by a
  ``REPEATABLE READ`` transaction, which also reads the row counts and the stored files the
  rows refer to, so what the manifest says is exactly what the dump holds. Restoring runs
  ``pg_restore --clean --if-exists --no-owner --single-transaction`` into ``DATABASE_URL``:
  all of it or nothing. Both programs come with the PostgreSQL client and must be of the
  server's major version or later (``pg_dump`` refuses a newer server).
"""

from __future__ import annotations

import math
import os
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask import current_app
from sqlalchemy.engine import URL, Connection
from sqlalchemy.pool import NullPool

from qa_portal.core.backup import files
from qa_portal.core.db import reads_first
from qa_portal.extensions import db

SQLITE = "sqlite"
POSTGRESQL = "postgresql"
DUMP_NAMES = {SQLITE: "qa_portal.sqlite", POSTGRESQL: "qa_portal.pgdump"}
# Where Debian and Ubuntu install each major version's client beside the default one.
DEBIAN_CLIENT = "/usr/lib/postgresql/{major}/bin/{name}"


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why and what to do."""


@dataclass(frozen=True)
class Snapshot:
    """What a database (or its copy) holds, read in one transaction."""

    alembic_revision: str | None
    row_counts: dict[str, int]
    references: list[files.StoredRef]


@dataclass(frozen=True)
class DatabaseCopy:
    kind: str
    path: Path
    snapshot: Snapshot
    tool: dict[str, object]  # the programs and server versions involved


@dataclass(frozen=True)
class Tool:
    path: str
    version: str
    major: int


def database_kind(url: URL | None = None) -> str:
    backend = (url or db.engine.url).get_backend_name()
    if backend not in (SQLITE, POSTGRESQL):
        raise BackupError(f"Backups support SQLite and PostgreSQL databases, not {backend}.")
    return backend


def sqlite_path(url: URL | None = None) -> Path:
    database = (url or db.engine.url).database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        raise BackupError("An in-memory SQLite database cannot be backed up or restored.")
    return Path(database)


def database_path() -> Path | None:
    """The SQLite file (which the instance files of a backup leave out), if any."""
    return sqlite_path() if database_kind() == SQLITE else None


def database_exists() -> bool:
    if database_kind() == SQLITE:
        path = sqlite_path()
        return path.is_file() and path.stat().st_size > 0
    return True


def read_snapshot(conn: Connection) -> Snapshot:
    """The migration revision, the rows of every table and the stored files they refer to."""
    names = sorted(sa.inspect(conn).get_table_names())
    counts = {
        name: conn.execute(sa.select(sa.func.count()).select_from(sa.table(name))).scalar_one()
        for name in names
    }
    revision = None
    if "alembic_version" in names:
        versions = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars()
        revision = ",".join(sorted(versions)) or None
    return Snapshot(revision, counts, files.referenced_files(conn))


def current_snapshot() -> Snapshot:
    """The configured database's snapshot, in a transaction that takes no write lock."""
    with reads_first(), db.engine.connect() as conn:
        return read_snapshot(conn)


def migration_heads() -> list[str]:
    """The revisions this code's migrations lead to (``flask db upgrade``)."""
    directory = current_app.extensions["migrate"].directory
    return sorted(ScriptDirectory(directory).get_heads())


# -- copy ---------------------------------------------------------------------------------
def dump_database(folder: Path) -> DatabaseCopy:
    """Copy the configured database into ``folder``; consistent while the portal runs."""
    if database_kind() == SQLITE:
        return _dump_sqlite(folder)
    return _dump_postgresql(folder)


def _sqlite_copy(source: Path, target: Path) -> None:
    """Copy with the online backup API, in one step (one consistent read transaction)."""
    reader = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
    try:
        writer = sqlite3.connect(target, timeout=30)
        try:
            reader.backup(writer)
        finally:
            writer.close()
    except sqlite3.Error as exc:
        raise BackupError(f"Copying the SQLite database {source} failed: {exc}.") from exc
    finally:
        reader.close()


def _dump_sqlite(folder: Path) -> DatabaseCopy:
    source = sqlite_path()
    if not source.is_file():
        raise BackupError(f"There is no SQLite database at {source}.")
    target = folder / DUMP_NAMES[SQLITE]
    _sqlite_copy(source, target)
    engine = sa.create_engine(f"sqlite:///{target}", poolclass=NullPool)
    try:
        with reads_first(), engine.connect() as conn:
            snapshot = read_snapshot(conn)
    finally:
        engine.dispose()
    copy = sqlite3.connect(target)
    try:  # one self-contained file: no write-ahead log beside it
        copy.execute("PRAGMA journal_mode=DELETE")
    finally:
        copy.close()
    return DatabaseCopy(SQLITE, target, snapshot, {"sqlite": sqlite3.sqlite_version})


def _dump_postgresql(folder: Path) -> DatabaseCopy:
    target = folder / DUMP_NAMES[POSTGRESQL]
    with db.engine.connect() as conn:
        server = int(conn.execute(sa.text("SHOW server_version_num")).scalar_one())
        conn.rollback()
        tool = find_tool("pg_dump", at_least=server // 10000)
        conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            conn.execute(sa.text("SET LOCAL statement_timeout = 0"))
            snapshot_id = conn.execute(sa.text("SELECT pg_export_snapshot()")).scalar_one()
            snapshot = read_snapshot(conn)
            dsn, env = _libpq()
            run_tool(
                tool,
                "--format=custom",
                "--no-password",
                "--lock-wait-timeout=60s",
                f"--snapshot={snapshot_id}",
                f"--file={target}",
                f"--dbname={dsn}",
                env=env,
            )
    versions = {"pg_dump": tool.version, "pg_dump_major": tool.major, "server": server}
    return DatabaseCopy(POSTGRESQL, target, snapshot, versions)


# -- restore ------------------------------------------------------------------------------
def check_restore_tools(kind: str, tool: dict[str, object]) -> None:
    """Before anything changes: the archive's database can be restored here."""
    here = database_kind()
    if kind != here:
        raise BackupError(
            f"The archive holds a {kind} database and this portal uses {here}: restore it "
            f"into a {kind} database (set DATABASE_URL), then move the data with your own tools."
        )
    if kind == POSTGRESQL:
        find_tool("pg_restore", at_least=int(tool.get("pg_dump_major") or 0))
    else:
        sqlite_path()


def restore_database(dump: Path, kind: str, tool: dict[str, object]) -> None:
    """Replace the configured database's content with ``dump``'s."""
    db.session.remove()
    db.engine.dispose()  # no connection of this process holds a lock meanwhile
    try:
        if kind == SQLITE:
            target = sqlite_path()
            target.parent.mkdir(parents=True, exist_ok=True)
            _sqlite_copy(dump, target)
        else:
            restore = find_tool("pg_restore", at_least=int(tool.get("pg_dump_major") or 0))
            dsn, env = _libpq()
            # a portal still running holds locks: fail (all rolled back) rather than wait
            env.setdefault("PGOPTIONS", "-c lock_timeout=60s")
            run_tool(
                restore,
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                "--no-password",
                f"--dbname={dsn}",
                str(dump),
                env=env,
            )
    finally:
        db.engine.dispose()


# -- the PostgreSQL client programs ---------------------------------------------------------
def _libpq() -> tuple[str, dict[str, str]]:
    """``DATABASE_URL`` for libpq, and the environment carrying its password (never on the
    command line, where other users of the machine would see it)."""
    url = db.engine.url
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    timeout = current_app.config.get("DATABASE_CONNECT_TIMEOUT") or 5
    env.setdefault("PGCONNECT_TIMEOUT", str(max(2, math.ceil(timeout))))
    dsn = url.set(drivername="postgresql", password=None)
    return dsn.render_as_string(hide_password=False), env


def _version(path: str) -> Tool | None:
    try:
        result = subprocess.run(  # noqa: S603  (a PostgreSQL client program, found on PATH)
            [path, "--version"], capture_output=True, text=True, timeout=30, check=False
        )
    except OSError:
        return None
    match = re.search(r"\)\s*((\d+)(?:\.\d+)*)", result.stdout)
    return Tool(path, match.group(1), int(match.group(2))) if match else None


def find_tool(name: str, *, at_least: int) -> Tool:
    """``pg_dump`` or ``pg_restore`` of major version ``at_least`` or later: the one on
    PATH, or Debian's for that version."""
    candidates = [shutil.which(name), DEBIAN_CLIENT.format(major=at_least, name=name)]
    found = []
    for path in dict.fromkeys(c for c in candidates if c and os.access(c, os.X_OK)):
        tool = _version(path)
        if tool is not None and tool.major >= at_least:
            return tool
        if tool is not None:
            found.append(tool)
    client = f"the PostgreSQL client programs of version {at_least} or later"
    if not found:
        raise BackupError(
            f"{name} was not found on PATH. Install {client} "
            f"(Debian, Ubuntu: apt-get install postgresql-client-{at_least})."
        )
    raise BackupError(
        f"{name} {found[0].version} ({found[0].path}) is older than version {at_least}, which "
        f"this needs (the server's, or the pg_dump that made the archive). Install {client} "
        f"and put them first on PATH."
    )


def run_tool(tool: Tool, *args: str, env: dict[str, str]) -> None:
    result = subprocess.run(  # noqa: S603  (the client program found by find_tool)
        [tool.path, *args], env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        message = (result.stderr or result.stdout).strip()[-2000:]
        raise BackupError(f"{Path(tool.path).name} failed (exit {result.returncode}): {message}")
