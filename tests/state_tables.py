"""Checks shared by the tests of the transition tables (``core/states.py``)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from qa_portal.core.errors import NotPermitted, TransitionNotAllowed
from qa_portal.core.states import StateMachine

ROLES = (
    "provider",
    "reviewer",
    "qa_officer",
    "qa_admin",
    "appeals_committee",
    "complainant",
    "system",
    "applicant",
)


def table(machine: StateMachine) -> dict[str, tuple[set[str], str, tuple[str, ...]]]:
    """action → (source states, target state, roles), as plain values."""
    return {
        t.action: ({s.value for s in t.sources}, t.target.value, t.roles)
        for t in machine.transitions
    }


def assert_every_pair_is_enforced(machine: StateMachine, states) -> None:
    """Every (state, action, role): the table's roles pass from the table's states; any other
    role is refused (403), and an action from any other state is refused (409) whoever asks."""
    for state in states:
        obj = SimpleNamespace(**{machine.state_attr: state})
        for action in sorted(machine.actions()):
            transition = machine.find(state, action)
            for role in ROLES:
                if transition is not None and role in transition.roles:
                    assert machine.check(obj, action, role) is transition
                elif transition is not None:
                    with pytest.raises(NotPermitted) as refused:
                        machine.check(obj, action, role)
                    assert refused.value.status_code == 403
                else:
                    with pytest.raises(TransitionNotAllowed) as refused:
                        machine.check(obj, action, role)
                    assert refused.value.status_code == 409
                    assert machine.describe(state) in refused.value.message
