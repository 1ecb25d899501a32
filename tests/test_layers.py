"""The dependency direction: app imports nothing of ours; loadgen and reports import only
rundir; rundir imports nothing of ours; rig may import everything. Nothing flows back up."""

import ast
from pathlib import Path

import pytest

from rig.paths import REPO_ROOT

OURS = {"app", "loadgen", "reports", "rig", "rundir"}
ALLOWED = {
    "app": {"app"},
    "rundir": {"rundir"},
    "loadgen": {"loadgen", "rundir"},
    "reports": {"reports", "rundir"},
    "rig": OURS,
}


def imported_packages(path: Path) -> set[str]:
    """Our top-level packages that `path` imports (anywhere in it, also inside functions)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found & OURS


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_each_package_imports_only_what_lies_below_it(package):
    crossing = {
        str(path.relative_to(REPO_ROOT)): sorted(imported_packages(path) - ALLOWED[package])
        for path in sorted((REPO_ROOT / package).rglob("*.py"))
        if imported_packages(path) - ALLOWED[package]
    }
    assert crossing == {}


def test_the_check_sees_an_upward_import(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("import json\nfrom rig.errors import RigError\n\ndef f():\n    import app\n")
    assert imported_packages(module) == {"rig", "app"}
