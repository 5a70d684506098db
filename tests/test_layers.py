"""The package's layers: no import cycles, and every import goes downward, counting imports inside functions; and
no file in the package above 400 lines."""

from __future__ import annotations

import ast
from pathlib import Path

from fazhi.paths import REPO_DIR

# Where each installed package lives in a checkout.
ROOTS = {
    "fazhi": REPO_DIR / "fazhi",
    "fazhi.model": REPO_DIR / "model",
    "fazhi.training": REPO_DIR / "training",
    "fazhi.serve": REPO_DIR / "serve",
}
# Bottom to top; a module may import its own layer and the layers below it, never one above.
LAYERS = [
    ("fazhi.errors", "fazhi.paths", "fazhi.labels", "fazhi.names", "fazhi.hub", "fazhi.schema"),
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


def _imported(module: str, is_package: bool, node: ast.AST) -> list[str]:
    """The dotted names an import statement reaches, relative ones resolved against the importing module."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    base = node.module or ""
    if node.level:
        package = module.split(".") if is_package else module.split(".")[:-1]
        anchor = package[: len(package) - node.level + 1]
        base = ".".join(anchor + ([base] if base else []))
    return [f"{base}.{a.name}" for a in node.names]


def _graph() -> dict[str, set[str]]:
    """Module → the project's modules it imports anywhere in its file (top level, in functions, under TYPE_CHECKING)."""
    mods = _modules()

    def resolve(name: str) -> str | None:
        while name and name not in mods:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {m: set() for m in mods}
    for m, f in mods.items():
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            for name in _imported(m, f.name == "__init__.py", node):
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


def _upward(graph: dict[str, set[str]]) -> list[str]:
    """Imports from a module to a higher layer; a package may import its own submodules."""
    return sorted(
        f"{m} -> {t}"
        for m, targets in graph.items()
        for t in targets
        if _layer(t) > _layer(m) and not t.startswith(m + ".")
    )


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph.get(v, ()):
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

    for v in list(graph):
        if v not in index:
            visit(v)
    return cycles


def test_the_package_has_no_import_cycles_even_through_imports_inside_functions():
    graph = _graph()
    assert len(graph) > 50  # the walk found the package
    assert _cycles(graph) == []


def test_every_module_belongs_to_a_layer_and_imports_only_its_own_or_lower_layers():
    graph = _graph()
    assert sum(len(t) for t in graph.values()) > 200  # the walk found the imports
    assert sorted(m for m in graph if _layer(m) < 0) == []
    assert _upward(graph) == []


MAX_LINES = 400


def test_no_file_in_the_package_has_more_than_400_lines():
    """Issue 15: a module holds one concern; one that grows past 400 lines is split along its seams."""
    mods = _modules()
    assert len(mods) > 50  # the walk found the package
    counts = {
        f.relative_to(REPO_DIR).as_posix(): len(f.read_text(encoding="utf-8").splitlines()) for f in mods.values()
    }
    too_long = {path: n for path, n in sorted(counts.items()) if n > MAX_LINES}
    assert too_long == {}, f"files above {MAX_LINES} lines: " + ", ".join(f"{p} ({n})" for p, n in too_long.items())


def test_the_checks_see_an_upward_import_inside_a_function_and_a_cycle_through_one():
    """The walk reads imports in function bodies and relative imports; an upward one or a cycle is reported."""
    source = "def f():\n    from fazhi.output.writers import write_output\n    from . import segment\n"
    node_imports = [n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.ImportFrom)]
    names = [name for n in node_imports for name in _imported("fazhi.pipeline.tag", False, n)]
    assert names == ["fazhi.output.writers.write_output", "fazhi.pipeline.segment"]
    graph = {"fazhi.pipeline.tag": {"fazhi.output.writers"}, "fazhi.output.writers": {"fazhi.pipeline.tag"}}
    assert _upward(graph) == ["fazhi.pipeline.tag -> fazhi.output.writers"]
    assert _cycles(graph) == [["fazhi.output.writers", "fazhi.pipeline.tag"]]
    assert _layer("fazhi.cli.tag") > _layer("fazhi.serve.app") > _layer("fazhi.reading.pdf") > _layer("fazhi.errors")
