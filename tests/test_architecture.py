"""The architecture, executable: import-linter's contracts (pyproject.toml), imports inside
functions only with a comment saying why, no catch-all module, no overlong function."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "qa_portal"
# import-linter's `lint-imports` command, run by the interpreter running the tests.
LINT_IMPORTS = "from importlinter.cli import lint_imports_command; lint_imports_command()"
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 80
# The OpenAPI document is one literal structure; cutting it up would only scatter it.
LONG_FUNCTIONS_ALLOWED = {("api/openapi.py", "_schemas"), ("api/openapi.py", "_static_document")}


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _functions(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


def _lint_imports(root: Path, config: Path) -> subprocess.CompletedProcess:
    """import-linter's own command on the package under ``root``, with the contracts of
    ``config``, no cache (the package may be a changed copy)."""
    return subprocess.run(
        [sys.executable, "-c", LINT_IMPORTS, str(config), "--no-cache"],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_import_contracts_are_kept():
    """Layers (core at the bottom, importing no domain package), no cycle anywhere, nothing
    imports the app-level modules. A broken contract names the offending import."""
    result = _lint_imports(ROOT, ROOT / "pyproject.toml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        ("core/clock.py", "import qa_portal.dossiers.models", "form layers"),
        ("reviews/policy.py", "import qa_portal.cases.queue", "form layers"),
        ("dossiers/models.py", "import qa_portal.dossiers.operations", "No import cycle"),
        ("catalogue/search.py", "import qa_portal.demo", "No package imports the application"),
    ],
)
def test_a_wrong_import_breaks_a_contract(tmp_path, module, line, contract):
    """The contracts can fail: a copy of the package with one wrong import breaks one."""
    copy = tmp_path / "qa_portal"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "static"))
    changed = copy / module
    changed.write_text(changed.read_text() + f"\n{line}  # noqa\n")
    result = _lint_imports(tmp_path, ROOT / "pyproject.toml")
    assert result.returncode == 1, result.stdout
    broken = result.stdout.split("Broken contracts", 1)[1]
    assert contract in broken
    assert line.split()[-1].rpartition(".")[2] in broken  # the import is named


def test_imports_inside_functions_say_why():
    """An import inside a function is a deliberate lazy import with a comment (on its line or
    the line above) containing "lazy" — never a way round an import cycle."""
    silent = []
    for path in _modules():
        lines = path.read_text().splitlines()
        for function in _functions(ast.parse("\n".join(lines))):
            for node in ast.walk(function):
                if not isinstance(node, ast.Import | ast.ImportFrom):
                    continue
                here, above = lines[node.lineno - 1], lines[node.lineno - 2].strip()
                if "lazy" in here.partition("#")[2] or (above.startswith("#") and "lazy" in above):
                    continue
                silent.append(f"{path.relative_to(PACKAGE)}:{node.lineno}: {here.strip()}")
    assert silent == []


def test_no_module_is_a_catch_all():
    long = {
        str(path.relative_to(PACKAGE)): n
        for path in _modules()
        if (n := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}


def test_no_function_exceeds_eighty_lines():
    long = {}
    for path in _modules():
        name = str(path.relative_to(PACKAGE))
        for function in _functions(ast.parse(path.read_text())):
            first = min([function.lineno] + [d.lineno for d in function.decorator_list])
            length = function.end_lineno - first + 1
            if length > MAX_FUNCTION_LINES and (name, function.name) not in LONG_FUNCTIONS_ALLOWED:
                long[f"{name}:{function.name}"] = length
    assert long == {}
