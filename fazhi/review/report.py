"""What the review adds to a report's summary: its type, outline check, key figures and shared text.

`review_fields` is what fazhi.aggregate.summarize merges into every summary (``fazhi tag``,
``/v1/analyze``, ``/v1/compare``); ``shared`` is filled by a corpus run (``fazhi tag`` over many reports,
fazhi.review.shared) and stays [] for a report read alone. `review_markdown` is its part of the Markdown
summary.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from fazhi.review.figures import INDICATORS, extract_figures
from fazhi.review.outline import check_outline, outline_markdown, report_type

__all__ = ["review_fields", "review_markdown"]


def review_fields(results: Sequence[Mapping]) -> dict:
    """report_type, outline, figures (each {index, indicator, value, unit, noun, text, table}) and shared ([])."""
    units = [r for r in results if "text" in r]
    for k, r in enumerate(units):  # rows read back or built by hand may lack an index: their place is one
        if r.get("index") is None:
            units[k] = {**r, "index": k}
    rtype = report_type(units)
    outline = check_outline(units, rtype)
    figures = [f.as_dict() for f in extract_figures(units, outline, rtype)]
    return {"report_type": rtype, "outline": outline, "figures": figures, "shared": []}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def review_markdown(summary: Mapping) -> list[str]:
    """Markdown lines: the outline check with its "缺少：…" line, the key figures, the shared units."""
    if "report_type" not in summary:
        return []
    lines = ["", "## Outline", ""] + outline_markdown(str(summary["report_type"]), summary.get("outline", []))
    figures = [f for f in summary.get("figures", []) if f.get("indicator")]
    lines += ["", f"## Key figures ({len(figures)})", ""]
    if figures:
        lines += ["| indicator | value | unit | unit index |", "|---|---:|---|---:|"]
        order = {name: i for i, name in enumerate(INDICATORS)}
        for f in sorted(figures, key=lambda f: (order.get(f["indicator"], 99), f["index"])):
            lines.append(f"| {f['indicator']} | {f['value']} | {_cell(str(f['unit']))} | {f['index']} |")
    else:
        lines.append("(none found)")
    shared = summary.get("shared", [])
    if shared:
        lines += ["", f"## Shared with other reports ({len({s['index'] for s in shared})} units)", ""]
        for s in shared:
            lines.append(f"- unit {s['index']} ≈ {_cell(str(s['doc']))} unit {s['other_index']} (similarity {s['similarity']})")
    return lines
