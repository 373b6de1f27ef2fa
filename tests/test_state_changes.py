"""Every status change goes through a transition table (``core/states.py``).

The dossier, assignment, condition, appeal, listing, report, account and organisation
tables are the only way an existing row's state changes: ``StateMachine.fire`` refuses what
the table does not allow and changes the column with a conditional ``UPDATE``. This test
reads every module of the package and fails on any other way of changing a state:

- assigning a ``state`` or ``status`` attribute (``x.state = …``, ``x.status += …``,
  ``x.state: S = …``, in tuples too), or ``setattr(x, "status", …)``;
- a ``.values(…)`` call (``sa.update(…).values(…)``) with a ``state`` or ``status`` keyword
  or dictionary key.

Creating a row with its first state (``Report(status=…)``) is a constructor keyword and is
allowed. Only ``qa_portal/core/states.py`` itself may write the column, and
``qa_portal/core/job_queue.py``: the background jobs' own table (``TRANSITIONS``), whose
claim is conditional on the runner's lease as well as on the state.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "qa_portal"
ALLOWED = {PACKAGE / "core" / "states.py", PACKAGE / "core" / "job_queue.py"}
NAMES = {"state", "status"}


def _targets(node: ast.expr):
    """The assigned expressions in a target, through tuples, lists and starred targets."""
    if isinstance(node, ast.Tuple | ast.List):
        for element in node.elts:
            yield from _targets(element)
    elif isinstance(node, ast.Starred):
        yield from _targets(node.value)
    else:
        yield node


def _dict_keys(node: ast.expr) -> set[str]:
    if not isinstance(node, ast.Dict):
        return set()
    return {k.value for k in node.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)}


def state_writes(source: str) -> list[tuple[int, str]]:
    """(line, what) for each way ``source`` changes a state or status outside a table."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Assign):
            targets = [t for target in node.targets for t in _targets(target)]
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = list(_targets(node.target))
        else:
            targets = []
        for target in targets:
            if isinstance(target, ast.Attribute) and target.attr in NAMES:
                found.append((node.lineno, f"assigns .{target.attr}"))
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id == "setattr" and len(node.args) >= 2:
            name = node.args[1]
            if isinstance(name, ast.Constant) and name.value in NAMES:
                found.append((node.lineno, f"setattr(…, {name.value!r}, …)"))
        if isinstance(func, ast.Attribute) and func.attr == "values":
            keys = {k.arg for k in node.keywords if k.arg}
            for value in [*node.args, *(k.value for k in node.keywords if k.arg is None)]:
                keys |= _dict_keys(value)
            for key in sorted(keys & NAMES):
                found.append((node.lineno, f".values(…) sets {key}"))
    return sorted(found)


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_no_module_changes_a_state_outside_its_transition_table():
    assert len(modules()) > 50 and set(modules()) >= ALLOWED
    violations = [
        f"{path.relative_to(PACKAGE.parent)}:{line}: {what}"
        for path in modules()
        if path not in ALLOWED
        for line, what in state_writes(path.read_text(encoding="utf-8"))
    ]
    assert violations == [], (
        "A state or status is changed outside its transition table; add the transition to "
        "the table (…/workflow.py) and call StateMachine.fire:\n" + "\n".join(violations)
    )


@pytest.mark.parametrize(
    "source",
    [
        "listing.state = ListingState.VALID",
        "user.status = status",
        "report.status += 1",
        "self.state: S = S.DRAFT",
        "a, (b.status, c) = 1, (2, 3)",
        "first, *dossier.state = values",
        "obj.x = obj.state = S.DRAFT",
        "setattr(org, 'status', AccountStatus.ACTIVE)",
        "sa.update(Report).where(Report.id == 1).values(status=ReportStatus.FAILED, error='')",
        "sa.update(Dossier).values({'state': S.DRAFT})",
        "sa.update(Dossier).values({Dossier.id: 1}, **{'state': S.DRAFT})",
        "stmt.values(error='', **{'status': 'queued'})",
    ],
)
def test_the_check_finds_each_way_of_writing_a_state(source):
    assert state_writes(source), source


@pytest.mark.parametrize(
    "source",
    [
        "report = Report(status=ReportStatus.QUEUED)",
        "Listing(state=ListingState.VALID, published_at=now)",
        "if listing.state == ListingState.REVOKED: pass",
        "state = listing.state",
        "filters = Filters(status='valid')",
        "sa.update(Token).values(used_at=now)",
        "errors = form.errors.values()",
        "setattr(org, key, value)",
        "sa.select(Report).where(Report.status == ReportStatus.READY)",
    ],
)
def test_creating_and_reading_a_state_is_not_a_change(source):
    assert state_writes(source) == [], source
