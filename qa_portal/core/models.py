"""What every model shares: the declarative base (defined with the extensions), naive UTC
timestamps and portable enum columns."""

from __future__ import annotations

import enum
from datetime import UTC, datetime

import sqlalchemy as sa

from qa_portal.extensions import NAMING_CONVENTION, Base  # noqa: F401  (the models' base)


def utcnow() -> datetime:
    """Naive UTC timestamp: the convention for every stored time."""
    return datetime.now(UTC).replace(tzinfo=None)


class LabelledEnum(enum.StrEnum):
    """A state or choice whose label is its value in words ("not_met" → "Not met")."""

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


def enum_column(enum_cls: type[enum.Enum], **kwargs) -> sa.Enum:
    """A portable enum column stored as its value string, checked by a named constraint."""
    return sa.Enum(
        enum_cls,
        name=enum_cls.__name__.lower(),
        native_enum=False,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
        length=max(len(m.value) for m in enum_cls),
        create_constraint=True,
        **kwargs,
    )
