"""The review's part of the per-report Markdown summary (issue 20): the outline check with its "缺少：…" line, the
key figures, the units shared with other reports.

It reads only what fazhi.review.report.review_fields put in the summary (each outline entry carries its part's
title, whether it is required and present), so the writers below the review layer can render it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

__all__ = ["TYPE_NAMES", "outline_markdown", "review_markdown"]

TYPE_NAMES = {
    "rule_of_law_annual": "法治政府建设年度报告",
    "disclosure_annual": "政府信息公开工作年度报告",
    "area_report": "专项工作报告",
    "unknown": "未识别",
}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def outline_markdown(rtype: str, outline: Sequence[Mapping]) -> list[str]:
    """Lines for the per-report Markdown summary: the type, each part, and "缺少：…" for what a reviewer misses."""
    lines = [f"**Report type:** {rtype} ({TYPE_NAMES.get(rtype, rtype)})", ""]
    if not outline:
        return lines
    for e in outline:
        mark = "✓" if e["present"] else "✗"
        extra = ""
        if e["part"] == "shortcomings" and e["present"]:
            extra = "，已说明原因" if e.get("causes_given") else "，未说明原因"
        if "table" in e and e["present"]:
            extra += "，附统计表" if e["table"] else "，无统计表"
        optional = "" if e.get("required") else "（可选）"
        lines.append(f"- {mark} {e['title']}{optional}{extra}")
    missing = [str(e["title"]) for e in outline if e.get("required") and not e.get("present")]
    lines += ["", "缺少：" + "、".join(missing) if missing else "缺少：无（所需各部分齐全）"]
    return lines


def review_markdown(summary: Mapping) -> list[str]:
    """Markdown lines: the outline check with its "缺少：…" line, the key figures (in report order), the shared units;
    none for a summary without the review."""
    if "report_type" not in summary:
        return []
    lines = ["", "## Outline", ""] + outline_markdown(str(summary["report_type"]), summary.get("outline", []))
    figures = [f for f in summary.get("figures", []) if f.get("indicator")]
    lines += ["", f"## Key figures ({len(figures)})", ""]
    if figures:
        lines += ["| indicator | value | unit | unit index |", "|---|---:|---|---:|"]
        for f in figures:
            lines.append(f"| {f['indicator']} | {f['value']} | {_cell(str(f['unit']))} | {f['index']} |")
    else:
        lines.append("(none found)")
    shared = summary.get("shared", [])
    if shared:
        lines += ["", f"## Shared with other reports ({len({s['index'] for s in shared})} units)", ""]
        for s in shared:
            lines.append(
                f"- unit {s['index']} ≈ {_cell(str(s['doc']))} unit {s['other_index']} (similarity {s['similarity']})"
            )
    return lines
