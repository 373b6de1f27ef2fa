"""The test suite's own structure: fixtures are shared through pytest (the root conftest and
its plugins in tests/fixtures/), never imported; helpers live in plain modules.

Importing a fixture makes the linter see a redefinition wherever a test asks for it (which
took a noqa comment on each such line), and importing a conftest runs a conftest as an
ordinary module: both tie folders together behind pytest's back."""

from __future__ import annotations

import ast
import re
from pathlib import Path

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
SOURCES = sorted([*TESTS.rglob("*.py"), *(ROOT / "bench").glob("*.py")])
# spelt in two pieces so that this file does not name it
REDEFINITION = re.compile(r"noqa:[^\n]*\b" + "F8" + "11")


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> list[tuple[int, str, list[str]]]:
    """(line, absolute module, imported names) of every import in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = _module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            found.append((node.lineno, module, [alias.name for alias in node.names]))
    return found


def _is_fixture(node: ast.AST) -> bool:
    if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return False
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if ast.unparse(target) in ("pytest.fixture", "fixture"):
            return True
    return False


def _fixtures() -> dict[str, set[str]]:
    """The fixtures each module of the tests defines, by module name."""
    result = {}
    for path in TESTS.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        result[_module_name(path)] = {n.name for n in tree.body if _is_fixture(n)}
    return result


def _where(path: Path, line: int) -> str:
    return f"{path.relative_to(ROOT)}:{line}"


def test_the_scan_sees_the_suite():
    names = {_module_name(p) for p in SOURCES}
    assert {"tests.conftest", "tests.builders", "tests.fixtures.workflow"} <= names
    assert "panel" in _fixtures()["tests.fixtures.workflow"]
    # a relative import resolves against its package
    module = next(m for _, m, _ in _imports(TESTS / "reports" / "conftest.py") if "helpers" in m)
    assert module == "tests.reports.helpers"


def test_no_module_imports_a_conftest():
    """Shared fixtures come from the root conftest and its plugins, helpers from helper
    modules: no conftest (nor test module, nor bench) imports anything from a conftest."""
    offending = [
        f"{_where(path, line)} imports {module} {names or ''}".rstrip()
        for path in SOURCES
        for line, module, names in _imports(path)
        if module.split(".")[-1] == "conftest" or "conftest" in names
    ]
    assert offending == []


def test_no_module_imports_a_fixture():
    """A fixture is asked for by name, never imported (from a conftest, a plugin or a test
    module)."""
    fixtures = _fixtures()
    offending = [
        f"{_where(path, line)} imports the fixture {name} from {module}"
        for path in SOURCES
        for line, module, names in _imports(path)
        for name in names
        if name in fixtures.get(module, ())
    ]
    assert offending == []


def test_pytest_plugins_are_registered_in_the_root_conftest_only():
    registered = {
        path.relative_to(ROOT).as_posix()
        for path in TESTS.rglob("conftest.py")
        if re.search(r"^pytest_plugins\s*=", path.read_text(encoding="utf-8"), re.M)
    }
    assert registered == {"tests/conftest.py"}


def test_no_redefinition_is_silenced():
    """The redefinitions that imported fixtures caused were silenced with noqa comments;
    with nothing imported there is nothing to silence."""
    offending = [
        _where(path, number)
        for path in SOURCES
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if REDEFINITION.search(line)
    ]
    assert offending == []
