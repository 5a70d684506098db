"""The readers sit below the pipeline (issue 15's layers): nothing in fazhi/reading imports fazhi.pipeline or any
layer above it, not even inside a function, and the segmenter takes its heading markers from the reading layer."""

from __future__ import annotations

import ast

from fazhi.paths import REPO_DIR

ALLOWED = ("fazhi.reading", "fazhi.errors", "fazhi.paths", "fazhi.schema", "fazhi.labels", "fazhi.hub")


def test_no_reading_module_imports_a_layer_above_it_even_inside_functions():
    found = []
    for f in sorted((REPO_DIR / "fazhi" / "reading").rglob("*.py")):
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            else:
                continue
            found += [
                f"{f.name}:{node.lineno} {n}"
                for n in names
                if n.startswith("fazhi") and n != "fazhi" and not n.startswith(ALLOWED)
            ]
    assert found == []


def test_the_segmenter_and_the_layout_rules_share_one_heading_pattern():
    from fazhi.pipeline import segment
    from fazhi.reading import patterns

    assert segment.heading_level is patterns.heading_level
    assert patterns.heading_level("（二）严格执法") == 2
    assert patterns.starts_heading("第十二条 行政机关应当") and not patterns.starts_heading("第十二届人大")
