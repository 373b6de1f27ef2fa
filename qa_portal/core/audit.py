"""Append-only audit trail: a keyed hash chain, anchored by signed checkpoints.

Every transition and sensitive action appends one entry: who, when, what, on which object,
and the data that changed. Each entry stores the previous entry's hash and its own hash,
computed over that link and its content with HMAC-SHA-256 under the audit key, which is
kept outside the database (``core/audit_anchor.py``). Editing or deleting an entry breaks
the chain from that point, and without the key nobody can recompute valid hashes for a
rewritten trail. Entries written before the key existed keep their plain SHA-256 hash
(``hash_version`` 1); every later one is keyed (2), and a plain hash after a keyed one, or
beyond the number of plain entries a checkpoint recorded, is refused as a rewrite.

The end of the trail is anchored too: checkpoints (the trail's length and newest hash,
signed) are appended to a file outside the database after every ``AUDIT_CHECKPOINT_EVERY``
entries, by Celery beat, and by ``flask audit checkpoint``. ``flask audit verify``
recomputes the chain and checks every checkpoint against it, so removing the newest
entries, emptying the table and a full rewrite are all detected. A new checkpoint is
signed only if the trail still holds the previous one (a tampered trail is never signed).

Append-only is enforced in the database too: the ORM refuses to update or delete an entry
(unit of work and bulk statements alike); ``prev_hash`` is unique, so two entries can never
claim the same predecessor; on PostgreSQL triggers refuse ``UPDATE``, ``DELETE`` and
``TRUNCATE`` (migrations 0003 and 0011), on SQLite triggers refuse ``UPDATE`` and
``DELETE`` (0011). They stop accidents and application bugs, not the database's owner, who
can drop them: the key and the checkpoints are what make such tampering visible.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column

from qa_portal.core import audit_anchor as anchor
from qa_portal.core.db import after_commit, per_transaction
from qa_portal.core.models import Base, utcnow
from qa_portal.extensions import db

GENESIS = "0" * 64
LEGACY = 1  # plain SHA-256, entries written before the audit key existed
KEYED = 2  # HMAC-SHA-256 under the audit key
_PG_LOCK_KEY = 7_406_221_001  # advisory lock serialising appends on PostgreSQL


class AuditEntry(Base):
    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(nullable=False, index=True)
    actor_id: Mapped[int | None] = mapped_column(nullable=True, index=True)
    actor_label: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    action: Mapped[str] = mapped_column(sa.String(80), nullable=False, index=True)
    object_type: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    object_id: Mapped[int | None] = mapped_column(nullable=True)
    data: Mapped[str] = mapped_column(sa.Text, nullable=False)
    prev_hash: Mapped[str] = mapped_column(sa.String(64), nullable=False, unique=True)
    hash: Mapped[str] = mapped_column(sa.String(64), nullable=False, unique=True)
    # LEGACY (1) or KEYED (2): how ``hash`` was computed.
    hash_version: Mapped[int] = mapped_column(sa.SmallInteger, nullable=False)

    __table_args__ = (sa.Index("ix_audit_entry_object", "object_type", "object_id"),)

    def content_hash(self) -> str:
        return entry_hash(self, anchor.chain_key())

    @property
    def payload(self) -> dict[str, Any]:
        return json.loads(self.data)


class AuditTrailIsAppendOnly(RuntimeError):
    """Something tried to change or remove an audit entry."""

    def __init__(self) -> None:
        super().__init__("audit entries are append-only: they can be added, never changed")


class AuditTrailTampered(RuntimeError):
    """The trail no longer holds what a checkpoint signed: no new checkpoint is signed."""


@event.listens_for(AuditEntry, "before_update")
def _refuse_update(mapper, connection, target):
    raise AuditTrailIsAppendOnly()


@event.listens_for(AuditEntry, "before_delete")
def _refuse_delete(mapper, connection, target):
    raise AuditTrailIsAppendOnly()


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_change(state: ORMExecuteState) -> None:
    """``session.execute(update(AuditEntry))`` skips the mapper events above: refuse it too."""
    if not (state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    if getattr(table, "name", None) == AuditEntry.__tablename__:
        raise AuditTrailIsAppendOnly()


def canonical_json(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), default=str, ensure_ascii=False)


# -- the hashes ----------------------------------------------------------------------------
def legacy_hash(
    prev_hash: str,
    created_at: datetime,
    actor_id: int | None,
    actor_label: str,
    action: str,
    object_type: str,
    object_id: int | None,
    data: str,
) -> str:
    """Hash version 1 (before the audit key): SHA-256 of the fields joined by U+001F."""
    parts = [
        prev_hash,
        created_at.isoformat(timespec="microseconds"),
        "" if actor_id is None else str(actor_id),
        actor_label,
        action,
        object_type,
        "" if object_id is None else str(object_id),
        data,
    ]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def keyed_hash(
    key: bytes,
    prev_hash: str,
    created_at: datetime,
    actor_id: int | None,
    actor_label: str,
    action: str,
    object_type: str,
    object_id: int | None,
    data: str,
) -> str:
    """Hash version 2: HMAC-SHA-256 under the chain key of the version and the fields as
    a JSON array (unambiguous whatever characters they hold)."""
    fields = [
        KEYED,
        prev_hash,
        created_at.isoformat(timespec="microseconds"),
        actor_id,
        actor_label,
        action,
        object_type,
        object_id,
        data,
    ]
    message = json.dumps(fields, separators=(",", ":"), ensure_ascii=False)
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def entry_hash(row: Any, key: bytes) -> str:
    """The hash an entry (model or row) should have, by its hash version."""
    fields = (
        row.prev_hash,
        row.created_at,
        row.actor_id,
        row.actor_label,
        row.action,
        row.object_type,
        row.object_id,
        row.data,
    )
    if row.hash_version == LEGACY:
        return legacy_hash(*fields)
    return keyed_hash(key, *fields)


# -- appending -----------------------------------------------------------------------------
def _object_ref(obj: Any) -> tuple[str, int | None]:
    if obj is None:
        return "system", None
    if isinstance(obj, tuple):
        return obj
    return obj.__tablename__, obj.id


def record(actor: Any, action: str, obj: Any = None, **data: Any) -> AuditEntry:
    """Append an audit entry in the current transaction (commits with the change it records).

    ``actor`` is a user (or None for the system), ``obj`` a model instance with an id or an
    ``(object_type, object_id)`` tuple; keyword arguments are the data that changed.
    """
    session = db.session
    if obj is not None and not isinstance(obj, tuple) and obj.id is None:
        session.flush()
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.select(sa.func.pg_advisory_xact_lock(_PG_LOCK_KEY)))
    last = session.execute(
        sa.select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)
    ).scalar()
    object_type, object_id = _object_ref(obj)
    entry = AuditEntry(
        created_at=utcnow(),
        actor_id=getattr(actor, "id", None),
        actor_label=getattr(actor, "email", None) or "system",
        action=action,
        object_type=object_type,
        object_id=object_id,
        data=canonical_json(data),
        prev_hash=last or GENESIS,
        hash_version=KEYED,
    )
    entry.hash = entry.content_hash()
    session.add(entry)
    session.flush()
    per_transaction("qa_audit_appended", _checkpoint_after_commit)["last_id"] = entry.id
    return entry


def _checkpoint_after_commit() -> dict:
    """Once per transaction that appends: after it commits, a checkpoint if one is due."""
    appended: dict = {}
    after_commit(lambda: checkpoint_if_due(appended["last_id"]))
    return appended


# -- walking the chain ---------------------------------------------------------------------
def _label(row: Any) -> str:
    target = row.object_type if row.object_id is None else f"{row.object_type} {row.object_id}"
    return f"{row.action} on {target} by {row.actor_label}, {row.created_at:%Y-%m-%d %H:%M:%S}"


@dataclass
class ChainWalk:
    """Checks entries one by one in id order, against the chain and the checkpoints.

    ``position`` is the number of entries accepted so far, ``prev`` the last one's hash;
    a walk may start after a checkpoint (its count and head hash)."""

    key: bytes
    checkpoints: list[anchor.Checkpoint] = field(default_factory=list)
    position: int = 0
    prev: str = GENESIS
    keyed_seen: bool = False
    matched: int = 0  # checkpoints found at their position with their hash
    unkeyed: int = 0

    def __post_init__(self) -> None:
        self._at: dict[int, list[anchor.Checkpoint]] = {}
        for checkpoint in self.checkpoints:
            self._at.setdefault(checkpoint.count, []).append(checkpoint)
        # The fewest entries hashed without the key that any checkpoint recorded: more
        # than that means entries were rehashed without the key (a forger's only option).
        self._legacy_limit = min((c.legacy for c in self.checkpoints), default=None)

    def step(self, row: Any) -> str | None:
        """Why this entry does not fit (None if it does: it is then accepted)."""
        position = self.position + 1
        if row.hash_version not in (LEGACY, KEYED):
            return f"its hash version ({row.hash_version}) is unknown"
        if row.hash_version == LEGACY:
            if self.keyed_seen:
                return "it has a hash without the audit key after keyed entries (rewritten)"
            if self._legacy_limit is not None and position > self._legacy_limit:
                return (
                    "it has a hash without the audit key, but the checkpoints record only "
                    f"{self._legacy_limit} such entries (rewritten without the key)"
                )
        if row.prev_hash != self.prev:
            return (
                "its previous-hash link does not match the entry before it "
                "(an entry was removed, reordered or rewritten)"
            )
        if not hmac.compare_digest(entry_hash(row, self.key), row.hash):
            if row.hash_version == LEGACY:
                return "its content does not match its hash"
            return (
                "its content does not match its keyed hash (changed, or its hash "
                "recomputed without the audit key)"
            )
        for checkpoint in self._at.get(position, ()):
            if (checkpoint.head_id, checkpoint.head_hash) != (row.id, row.hash):
                return (
                    f"{checkpoint.describe()} signed another entry as number {position} "
                    "(the trail was rewritten up to here)"
                )
            self.matched += 1
        self.position = position
        self.prev = row.hash
        self.keyed_seen = self.keyed_seen or row.hash_version == KEYED
        self.unkeyed += row.hash_version == LEGACY
        return None


def _rows(connection: Any, after_id: int, batch: int = 5000) -> Iterator[Any]:
    table = AuditEntry.__table__
    while True:
        rows = connection.execute(
            sa.select(table).where(table.c.id > after_id).order_by(table.c.id).limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        after_id = rows[-1].id


@dataclass
class ChainReport:
    checked: int
    first_bad_id: int | None = None
    reason: str | None = None
    first_bad_label: str | None = None  # "dossier.save on dossier 3 by …, 2026-01-02 10:00:00"
    missing: str | None = None  # entries a checkpoint signed that the table no longer holds
    problems: list[str] = field(default_factory=list)  # lines of the checkpoint log
    checkpoints: list[anchor.Checkpoint] = field(default_factory=list)  # the valid ones
    unkeyed: int = 0

    @property
    def intact(self) -> bool:
        return self.first_bad_id is None and self.missing is None and not self.problems

    @property
    def latest(self) -> anchor.Checkpoint | None:
        return max(self.checkpoints, key=lambda c: c.count, default=None)


def verify_chain(
    batch: int = 5000, log: anchor.CheckpointLog | None = None, connection: Any = None
) -> ChainReport:
    """Recompute every hash in id order with the audit key, checking each checkpoint of
    ``log`` (by default the configured checkpoint file) at its position; stop at the first
    entry that does not fit. Then every checkpoint beyond the end is a removal."""
    if log is None:
        log = anchor.read_checkpoints([anchor.log_path()])
    walk = ChainWalk(anchor.chain_key(), log.checkpoints)
    report = ChainReport(0, problems=log.problems, checkpoints=log.checkpoints)
    for row in _rows(connection or db.session, 0, batch):
        reason = walk.step(row)
        if reason is not None:
            report.first_bad_id, report.reason, report.first_bad_label = row.id, reason, _label(row)
            break
    report.checked, report.unkeyed = walk.position, walk.unkeyed
    beyond = [c for c in log.checkpoints if c.count > walk.position]
    if report.first_bad_id is None and beyond:
        longest = max(beyond, key=lambda c: c.count)
        report.missing = (
            f"it holds {walk.position} entries, but {longest.describe()} signed "
            f"{longest.count}, ending with entry {longest.head_id}: entries were removed "
            "from its end (or the table was emptied)"
        )
    return report


# -- checkpoints ---------------------------------------------------------------------------
def _snapshot_connection() -> Any:
    """A connection of its own that reads one consistent state of the table."""
    connection = db.engine.connect()
    if connection.dialect.name == "postgresql":
        connection = connection.execution_options(isolation_level="REPEATABLE READ")
    return connection


def _check_since(connection: Any, last: anchor.Checkpoint) -> None:
    """The trail still holds ``last`` at its position, and every entry after it fits."""
    table = AuditEntry.__table__
    held = connection.execute(
        sa.select(sa.func.count()).select_from(table).where(table.c.id <= last.head_id)
    ).scalar()
    head = connection.execute(sa.select(table.c.hash).where(table.c.id == last.head_id)).scalar()
    if held != last.count or head != last.head_hash:
        raise AuditTrailTampered(
            f"the audit trail no longer holds the {last.count} entries signed by "
            f"{last.describe()}: entry {last.head_id} "
            f"{'is missing' if head is None else 'differs'}, {held} entries are left up to "
            "it; run flask audit verify"
        )
    walk = ChainWalk(
        anchor.chain_key(),
        [last],
        position=last.count,
        prev=last.head_hash,
        keyed_seen=last.count > last.legacy,
    )
    for row in _rows(connection, last.head_id):
        reason = walk.step(row)
        if reason is not None:
            raise AuditTrailTampered(f"audit entry {row.id} ({_label(row)}): {reason}")


def take_checkpoint() -> anchor.Checkpoint | None:
    """Sign the trail's current length and head, append it to the checkpoint log, and
    return it; None when there is nothing new to sign. Refuses (``AuditTrailTampered``) if
    the trail no longer extends the previous checkpoint: the first one is signed after the
    whole chain verifies, each later one after the entries added since verify."""
    table = AuditEntry.__table__
    with anchor.open_log() as log, _snapshot_connection() as connection, connection.begin():
        try:
            last = log.last()
        except ValueError as exc:
            raise AuditTrailTampered(str(exc)) from exc
        count, head_id = connection.execute(
            sa.select(sa.func.count(), sa.func.max(table.c.id)).select_from(table)
        ).one()
        if last is not None:
            _check_since(connection, last)
            if (last.count, last.head_id) == (count, head_id):
                return None  # nothing appended since
        elif count:
            report = verify_chain(log=anchor.CheckpointLog(), connection=connection)
            if not report.intact:
                raise AuditTrailTampered(
                    f"audit entry {report.first_bad_id} ({report.first_bad_label}): {report.reason}"
                )
        else:
            return None  # an empty trail: nothing to sign yet
        legacy = connection.execute(
            sa.select(sa.func.count()).select_from(table).where(table.c.hash_version == LEGACY)
        ).scalar()
        head_hash = connection.execute(sa.select(table.c.hash).where(table.c.id == head_id))
        checkpoint = anchor.sign(
            anchor.Checkpoint(
                count=count,
                head_id=head_id,
                head_hash=head_hash.scalar(),
                legacy=legacy,
                at=utcnow().isoformat(timespec="seconds") + "Z",
                key_id=anchor.key_id(),
            )
        )
        log.append(checkpoint)
    current_app.logger.info("audit checkpoint %s", anchor.to_line(checkpoint))
    return checkpoint


def checkpoint_if_due(last_id: int) -> None:
    """After a commit that appended entries up to ``last_id``: a checkpoint when there is
    none yet or ``AUDIT_CHECKPOINT_EVERY`` entries were appended since the latest."""
    every = int(current_app.config.get("AUDIT_CHECKPOINT_EVERY") or 0)
    if every <= 0:
        return
    latest = anchor.latest_checkpoint()
    if latest is not None and last_id - (latest.head_id or 0) < every:
        return
    try:
        take_checkpoint()
    except AuditTrailTampered as exc:
        current_app.logger.error("audit checkpoint refused: %s", exc)


def entries_for(obj: Any) -> list[AuditEntry]:
    object_type, object_id = _object_ref(obj)
    return list(
        db.session.execute(
            sa.select(AuditEntry)
            .where(AuditEntry.object_type == object_type, AuditEntry.object_id == object_id)
            .order_by(AuditEntry.id)
        ).scalars()
    )
