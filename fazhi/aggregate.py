"""Per-report summary: sentences per category, problem statements, areas never mentioned."""

from __future__ import annotations

from collections import Counter

from fazhi.labels import AREAS, CATEGORIES


def summarize(doc: str, results: list[dict]) -> dict:
    """Summary of one report's tagged units (dicts with at least category, problem, text)."""
    counts = Counter(r["category"] for r in results)
    return {
        "doc": doc,
        "sentences": len(results),
        "per_category": {c: counts.get(c, 0) for c in CATEGORIES},
        "problems": [
            {"index": r.get("index"), "category": r["category"], "text": r["text"], "problem_score": r.get("problem_score")}
            for r in results
            if r["problem"]
        ],
        "areas_not_mentioned": [a for a in AREAS if counts.get(a, 0) == 0],
    }


def summary_markdown(summary: dict) -> str:
    lines = [f"# {summary['doc']}", "", f"{summary['sentences']} sentence units.", "", "| category | sentences |", "|---|---:|"]
    lines += [f"| {c} | {n} |" for c, n in summary["per_category"].items()]
    missing = summary["areas_not_mentioned"]
    lines += ["", "Areas never mentioned: " + (", ".join(missing) if missing else "none (all five areas appear)"), ""]
    lines.append(f"## Problem statements ({len(summary['problems'])})")
    lines.append("")
    lines += [f"- [{p['category']}] {p['text']}" for p in summary["problems"]] or ["(none found)"]
    return "\n".join(lines) + "\n"
