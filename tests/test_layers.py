"""The package's layers: no import cycles, counting imports inside functions, and every import goes downward."""

from __future__ import annotations

import ast
from pathlib import Path

from fazhi.paths import REPO_DIR

# Where each installed package lives in a checkout.
ROOTS = {"fazhi": REPO_DIR / "fazhi", "fazhi.model": REPO_DIR / "model", "fazhi.training": REPO_DIR / "training",
         "fazhi.serve": REPO_DIR / "serve"}
# Bottom to top; a module may import its own layer and the layers below it, never one above.
LAYERS = [
    ("fazhi.errors", "fazhi.paths", "fazhi.labels", "fazhi.hub", "fazhi.schema"),
    ("fazhi.reading",),
    ("fazhi.model",),
    ("fazhi.pipeline",),
    ("fazhi.output",),
    ("fazhi.evaluation",),
    ("fazhi.review", "fazhi.label_check"),
    ("fazhi.training",),
    ("fazhi.serve",),
    ("fazhi.cli", "fazhi.__main__"),
]


def _modules() -> dict[str, Path]:
    mods = {}
    for pkg, folder in ROOTS.items():
        for f in folder.rglob("*.py"):
            rel = f.relative_to(folder).with_suffix("")
            parts = [p for p in rel.parts if p != "__init__"]
            if pkg == "fazhi" and parts and parts[0] in ("model", "training", "serve"):
                continue
            mods[".".join([pkg, *parts])] = f
    return mods


def _graph() -> dict[str, set[str]]:
    mods = _modules()

    def resolve(name: str) -> str | None:
        while name and name not in mods:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {m: set() for m in mods}
    for m, f in mods.items():
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [f"{node.module}.{a.name}" for a in node.names]
            for name in names:
                target = resolve(name) if name.startswith("fazhi") else None
                if target and target != m:
                    graph[m].add(target)
    return graph


def _layer(module: str) -> int:
    if module == "fazhi":  # the package itself: its version, nothing else
        return 0
    best = (-1, -1)
    for i, prefixes in enumerate(LAYERS):
        for p in prefixes:
            if (module == p or module.startswith(p + ".")) and len(p) > best[1]:
                best = (i, len(p))
    return best[0]


def test_the_package_has_no_import_cycles_even_through_imports_inside_functions():
    graph = _graph()
    assert len(graph) > 50  # the walk found the package
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    assert cycles == []
