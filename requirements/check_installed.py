"""Compare what pip has installed with a lock file in requirements/: every locked package whose
environment marker holds here must be installed at exactly its locked version.

    python requirements/check_installed.py requirements/test.txt

Prints each difference and a summary line; exits 1 on any difference. Installed packages that
are not in the lock (pip itself, the portal, anything else in the environment) are only counted.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

try:
    from packaging.markers import Marker
except ImportError:  # requirements/app.txt does not install packaging; pip carries a copy
    from pip._vendor.packaging.markers import Marker


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def locked(path: Path) -> dict[str, str]:
    """Name → version of each pin in the lock whose marker holds for this interpreter."""
    wanted: dict[str, str] = {}
    for raw in path.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        requirement, _, marker = line.partition(";")
        name, _, version = requirement.strip().partition("==")
        if not version:
            raise SystemExit(f"{path}: not an exact pin: {raw}")
        if marker.strip() and not Marker(marker.strip()).evaluate():
            continue
        wanted[normalise(name)] = version.strip()
    return wanted


def installed() -> dict[str, str | None]:
    """Name → version of each distribution `pip freeze --all` lists (None when not pinned:
    editable or direct-URL installs)."""
    freeze = subprocess.run(  # noqa: S603  (this interpreter's own pip)
        [sys.executable, "-m", "pip", "freeze", "--all", "--disable-pip-version-check"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    found: dict[str, str | None] = {}
    for line in freeze.splitlines():
        if line.startswith("# Editable") and "(" in line:  # "# Editable … (name==version)"
            found[normalise(line.rsplit("(", 1)[1].split("==", 1)[0])] = None
        elif line.startswith(("#", "-e ")):
            continue
        elif " @ " in line:
            found[normalise(line.split(" @ ", 1)[0])] = None
        elif "==" in line:
            name, _, version = line.partition("==")
            found[normalise(name)] = version.strip()
    return found


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    path = Path(argv[0])
    wanted, found = locked(path), installed()
    differences = []
    for name, version in sorted(wanted.items()):
        have = found.get(name, "missing")
        if have != version:
            state = "not installed" if have == "missing" else f"installed {have}"
            differences.append(f"  {name}: locked {version}, {state}")
    for line in differences:
        print(line)
    others = sorted(set(found) - set(wanted))
    same = len(wanted) - len(differences)
    print(
        f"{path}: {len(wanted)} locked packages apply here; {same} installed at the locked "
        f"version, {len(differences)} differ"
    )
    if others:
        listed = ", ".join(others) if len(others) <= 8 else f"{len(others)} packages"
        print(f"  also installed, not in the lock: {listed}")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
