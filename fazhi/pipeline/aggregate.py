"""Per-report summary: sentences per category, problem statements, areas never mentioned."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence

from fazhi.labels import AREAS, CATEGORIES
from fazhi.pipeline.problems import opens_problem_section, states_problem

__all__ = ["AREA_NAMES", "summarize", "summary_markdown", "count", "md_text", "md_name"]

# The Chinese names the reports use for each category (TAXONOMY.md).
AREA_NAMES: dict[str, str] = {
    "decision": "依法决策",
    "enforcement": "行政执法",
    "dispute": "矛盾纠纷化解",
    "disclosure": "政务公开",
    "supervision": "行政权力制约和监督",
    "other": "其他",
}


def summarize(doc: str, results: Sequence[Mapping]) -> dict:
    """Summary of one report's tagged units (dicts with at least category, problem, text).

    Keys: doc; sentences; per_category (every category, in label order, with
    its count); problems_per_category; problems (each problem statement with
    its index, category, heading, text and problem_score, in report order);
    problem_sections (the flagged headings and lead-ins that only open a
    section of problems: shown as that section, not counted); areas_not_mentioned
    (the five areas with no sentence at all). Problems are counted by
    fazhi.pipeline.problems.states_problem.
    """
    counts = Counter(r["category"] for r in results)
    problem_rows = [r for r in results if states_problem(r)]
    problem_counts = Counter(r["category"] for r in problem_rows)
    categories = list(CATEGORIES) + sorted(set(counts) - set(CATEGORIES))
    summary = {
        "doc": doc,
        "sentences": len(results),
        "per_category": {c: counts.get(c, 0) for c in categories},
        "problems_per_category": {c: problem_counts.get(c, 0) for c in categories},
        "problems": [
            {
                "index": r.get("index"),
                "category": r["category"],
                "heading": r.get("heading", ""),
                "text": r["text"],
                "problem_score": r.get("problem_score"),
            }
            for r in problem_rows
        ],
        "problem_sections": [
            {"index": r.get("index"), "is_heading": bool(r.get("is_heading")), "text": r["text"]}
            for r in results
            if opens_problem_section(r)
        ],
        "areas_not_mentioned": [a for a in AREAS if counts.get(a, 0) == 0],
    }
    return summary


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def count(n: int, noun: str) -> str:
    """'1 problem statement', '2 problem statements'."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


_MD_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\u2028": "\\u2028", "\u2029": "\\u2029"}
_MD_ESCAPED = re.compile(r"\\(\\|n|r|u2028|u2029)")
_MD_UNESCAPES = {"\\": "\\", "n": "\n", "r": "\r", "u2028": "\u2028", "u2029": "\u2029"}


def md_text(text: str) -> str:
    """A name (a file's, a report's) on one Markdown line: a line break in it shows as \\n and cannot start a heading.

    md_name(md_text(name)) == name, so --resume finds a report by the name in its heading.
    """
    return "".join(_MD_ESCAPES.get(ch, ch) for ch in text)


def md_name(text: str) -> str:
    """The name md_text wrote."""
    return _MD_ESCAPED.sub(lambda m: _MD_UNESCAPES[m.group(1)], text)


def summary_markdown(summary: dict, short: bool = False) -> str:
    """A readable Markdown report for one summary; starts with the line '# <doc>'.

    short: a few lines for a terminal (the counts by area and the areas never mentioned, no problem list).
    """
    n = summary["sentences"]
    problems = summary["problems"]
    lines = [
        f"# {md_text(summary['doc'])}",
        "",
        f"{count(n, 'sentence unit')}, {count(len(problems), 'problem statement')}.",
        "",
    ]
    if short:
        per_problem = summary.get("problems_per_category", {})
        lines.append(
            "- "
            + "; ".join(
                f"{AREA_NAMES.get(c, c)} {k}" + (f" ({per_problem[c]} problems)" if per_problem.get(c) else "")
                for c, k in summary["per_category"].items()
            )
        )
        missing = summary["areas_not_mentioned"]
        lines.append(
            "- areas never mentioned: " + (", ".join(f"{a} ({AREA_NAMES[a]})" for a in missing) if missing else "none")
        )
        return "\n".join(lines) + "\n"
    lines += ["| category | area | sentences | share | problems |", "|---|---|---:|---:|---:|"]
    per_problem = summary.get("problems_per_category", {})
    for c, k in summary["per_category"].items():
        share = f"{100 * k / n:.1f}%" if n else "-"
        lines.append(f"| {c} | {AREA_NAMES.get(c, '')} | {k} | {share} | {per_problem.get(c, 0)} |")
    missing = summary["areas_not_mentioned"]
    lines.append("")
    if missing:
        lines.append("**Areas never mentioned:** " + ", ".join(f"{a} ({AREA_NAMES[a]})" for a in missing))
    else:
        lines.append("**Areas never mentioned:** none (all five areas appear)")
    lines += ["", f"## Problem statements ({len(problems)})", ""]
    if problems:
        for p in problems:
            where = f" — under “{_md_cell(p['heading'])}”" if p.get("heading") else ""
            lines.append(f"- **{p['category']}**: {_md_cell(p['text'])}{where}")
    else:
        lines.append("(none found)")
    return "\n".join(lines) + "\n"
