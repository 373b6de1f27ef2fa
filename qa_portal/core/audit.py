"""Append-only audit trail with a hash chain.

Every transition and sensitive action appends one entry: who, when, what, on which object,
and the data that changed. Each entry stores the SHA-256 of its own content together with
the previous entry's hash, so editing or deleting any row breaks the chain from that point;
``flask audit verify`` recomputes it and names the first bad entry.

Append-only is enforced three times: the ORM refuses to update or delete an entry (unit of
work and bulk statements alike); ``prev_hash`` is unique, so two entries can never claim the
same predecessor (the chain cannot fork, even under a race); on PostgreSQL a trigger refuses
``UPDATE``/``DELETE`` on the table (migration 0002). The trigger stops accidents and
application bugs, not the database owner, who can disable it: the hash chain is what makes
such tampering visible.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column

from qa_portal.core.models import Base, utcnow
from qa_portal.extensions import db

GENESIS = "0" * 64
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

    __table_args__ = (sa.Index("ix_audit_entry_object", "object_type", "object_id"),)

    def content_hash(self) -> str:
        return compute_hash(
            self.prev_hash,
            self.created_at,
            self.actor_id,
            self.actor_label,
            self.action,
            self.object_type,
            self.object_id,
            self.data,
        )

    @property
    def payload(self) -> dict[str, Any]:
        return json.loads(self.data)


class AuditTrailIsAppendOnly(RuntimeError):
    """Something tried to change or remove an audit entry."""

    def __init__(self) -> None:
        super().__init__("audit entries are append-only: they can be added, never changed")


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


def compute_hash(
    prev_hash: str,
    created_at: datetime,
    actor_id: int | None,
    actor_label: str,
    action: str,
    object_type: str,
    object_id: int | None,
    data: str,
) -> str:
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
    )
    entry.hash = entry.content_hash()
    session.add(entry)
    session.flush()
    return entry


@dataclass
class ChainReport:
    checked: int
    first_bad_id: int | None = None
    reason: str | None = None
    first_bad_label: str | None = None  # "dossier.save on dossier 3 by …, 2026-01-02 10:00:00"

    @property
    def intact(self) -> bool:
        return self.first_bad_id is None


def verify_chain(batch: int = 5000) -> ChainReport:
    """Recompute every hash in id order; stop at the first entry that does not fit."""
    table = AuditEntry.__table__
    prev = GENESIS
    checked = 0
    last_id = 0
    while True:
        rows = db.session.execute(
            sa.select(table).where(table.c.id > last_id).order_by(table.c.id).limit(batch)
        ).all()
        if not rows:
            return ChainReport(checked)
        for row in rows:
            if row.prev_hash != prev:
                return ChainReport(
                    checked,
                    row.id,
                    "its previous-hash link does not match the entry before it "
                    "(an entry was removed, reordered or rewritten)",
                    _label(row),
                )
            actual = compute_hash(
                row.prev_hash,
                row.created_at,
                row.actor_id,
                row.actor_label,
                row.action,
                row.object_type,
                row.object_id,
                row.data,
            )
            if actual != row.hash:
                return ChainReport(
                    checked, row.id, "its content does not match its hash", _label(row)
                )
            prev = row.hash
            checked += 1
            last_id = row.id


def _label(row: Any) -> str:
    target = row.object_type if row.object_id is None else f"{row.object_type} {row.object_id}"
    return f"{row.action} on {target} by {row.actor_label}, {row.created_at:%Y-%m-%d %H:%M:%S}"


def entries_for(obj: Any) -> list[AuditEntry]:
    object_type, object_id = _object_ref(obj)
    return list(
        db.session.execute(
            sa.select(AuditEntry)
            .where(AuditEntry.object_type == object_type, AuditEntry.object_id == object_id)
            .order_by(AuditEntry.id)
        ).scalars()
    )
