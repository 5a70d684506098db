"""Every package pyproject.toml declares is imported by the package, and every third-party import is declared
(issue 15 item 8: "no declared package is unused")."""

from __future__ import annotations

import ast
import re
import sys
from importlib.metadata import packages_distributions

import tomllib

from fazhi.paths import REPO_DIR

PACKAGE_DIRS = ("fazhi", "model", "training", "serve")
# Declared for what another package does with them, not imported by name: uvicorn picks uvloop as its event loop
# when it is installed ("auto"), and serve/protocol.py subclasses uvicorn's httptools_impl, which imports httptools.
USED_THROUGH_ANOTHER = {"uvloop": "uvicorn's event loop", "httptools": "uvicorn's httptools_impl"}


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def declared() -> set[str]:
    project = tomllib.loads((REPO_DIR / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return {_name(r) for r in project["dependencies"]}


def imported_top_levels() -> set[str]:
    names: set[str] = set()
    for folder in PACKAGE_DIRS:
        for path in (REPO_DIR / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names |= {a.name.split(".")[0] for a in node.names}
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - {"fazhi", "model", "training", "serve", "__future__"}


def imported_distributions() -> set[str]:
    by_module = packages_distributions()
    found = set()
    for module in imported_top_levels():
        found |= {d.lower().replace("_", "-") for d in by_module.get(module, [module])}
    return found


def test_every_declared_dependency_is_imported_by_the_package():
    unused = declared() - imported_distributions() - set(USED_THROUGH_ANOTHER)
    assert not unused, f"declared in pyproject.toml but imported nowhere in {PACKAGE_DIRS}: {sorted(unused)}"


def test_every_module_level_third_party_import_of_the_package_is_declared():
    project = tomllib.loads((REPO_DIR / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    optional = {_name(r) for reqs in project["optional-dependencies"].values() for r in reqs}
    undeclared = imported_distributions() - declared() - optional
    assert not undeclared, f"imported by the package but not declared in pyproject.toml: {sorted(undeclared)}"
