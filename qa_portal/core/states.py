"""One table of allowed transitions per stateful object, and the helper that enforces it.

``StateMachine.fire`` refuses any action not in the table for the object's current state
(``TransitionNotAllowed`` → HTTP 409) or not allowed for the actor's role (``NotPermitted``
→ 403). The state column is changed with a conditional ``UPDATE … WHERE state = :expected``
whose row count is checked, so two concurrent requests cannot both fire from the same state.
Other columns that change with the state (a report's error, a rendered file) can be set in
the same statement. Every transition is appended to the audit trail, by ``fire`` or, where an
operation records the change under its own name (``user.status``), by the operation; the
system's own bookkeeping (a job claiming a report to render) is fired without an entry.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value

from qa_portal.core import audit
from qa_portal.core.errors import NotPermitted, TransitionNotAllowed
from qa_portal.extensions import db

SYSTEM = "system"


@dataclass(frozen=True)
class Transition:
    action: str
    sources: tuple[enum.Enum, ...]
    target: enum.Enum
    roles: tuple[str, ...]
    label: str = ""


@dataclass
class StateMachine:
    noun: str
    transitions: list[Transition]
    state_attr: str = "state"
    # How a state reads in a sentence ("This dossier is under appeal"); default: its value.
    phrases: dict[Any, str] = field(default_factory=dict)
    _index: dict[tuple[str, Any], Transition] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        for t in self.transitions:
            for source in t.sources:
                key = (t.action, source)
                if key in self._index:
                    raise ValueError(f"duplicate transition {key} in {self.noun}")
                self._index[key] = t

    def actions(self) -> set[str]:
        return {t.action for t in self.transitions}

    def find(self, state: enum.Enum, action: str) -> Transition | None:
        return self._index.get((action, state))

    def sources_of(self, action: str) -> tuple[enum.Enum, ...]:
        """Every state ``action`` may be fired from, in table order."""
        return tuple(s for t in self.transitions if t.action == action for s in t.sources)

    def label_of(self, action: str) -> str:
        return next(
            (t.label for t in self.transitions if t.action == action and t.label),
            action.replace("_", " "),
        )

    def describe(self, state: enum.Enum) -> str:
        return self.phrases.get(state) or _words(state)

    def leading_to(self, state: enum.Enum, target: enum.Enum) -> Transition | None:
        """The transition from ``state`` to ``target`` (first in table order), if any."""
        return next(
            (t for t in self.transitions if state in t.sources and t.target == target), None
        )

    def available(self, state: enum.Enum, roles: Iterable[str]) -> list[Transition]:
        roles = set(roles)
        return [t for t in self.transitions if state in t.sources and roles.intersection(t.roles)]

    def check(self, obj: Any, action: str, role: str) -> Transition:
        """Return the transition for ``action`` from the object's state, or refuse it."""
        if action not in self.actions():
            raise ValueError(f"unknown {self.noun} action {action!r}")
        state = getattr(obj, self.state_attr)
        transition = self.find(state, action)
        if transition is None:
            raise TransitionNotAllowed(
                f"This {self.noun} is {self.describe(state)}; "
                f"“{self.label_of(action)}” is not possible in that state."
            )
        if role not in transition.roles:
            raise NotPermitted(f"Only {_roles(transition.roles)} may do this.")
        return transition

    def fire(
        self,
        obj: Any,
        action: str,
        *,
        actor: Any,
        role: str,
        values: Mapping[str, Any] | None = None,
        audited: bool = True,
        **audit_data: Any,
    ) -> Transition:
        """Move ``obj`` along ``action`` if the table allows it; audit the change.

        ``values``: other columns set in the same conditional ``UPDATE`` (they change only if
        the state does). ``audited=False``: no audit entry here — for the system's own
        bookkeeping, or where the caller records the change itself.
        """
        transition = self.check(obj, action, role)
        model = type(obj)
        column = getattr(model, self.state_attr)
        current = getattr(obj, self.state_attr)
        values = dict(values or {})
        if self.state_attr in values:
            raise ValueError(f"the {self.noun}'s {self.state_attr} is set by the transition")
        db.session.flush()
        result = db.session.execute(
            sa.update(model)
            .where(model.id == obj.id, column == current)
            .values({**values, self.state_attr: transition.target})
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            db.session.refresh(obj)
            raise TransitionNotAllowed(
                f"This {self.noun} was changed by someone else a moment ago (it is now "
                f"{self.describe(getattr(obj, self.state_attr))}). "
                "Reload the page to see its state."
            )
        set_committed_value(obj, self.state_attr, transition.target)
        for name, value in values.items():
            set_committed_value(obj, name, value)
        if not audited:
            return transition
        audit.record(
            actor,
            f"{obj.__tablename__}.{action}",
            obj,
            from_state=current.value,
            to_state=transition.target.value,
            role=role,
            **audit_data,
        )
        return transition


def _words(state: enum.Enum) -> str:
    return str(state.value).replace("_", " ")


def _roles(roles: Iterable[str]) -> str:
    names = [r.replace("_", " ") for r in roles]
    return " or ".join(names)
