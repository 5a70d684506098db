"""What the review adds to a report's summary: its type, outline check, key figures and shared text.

`review_fields` computes them from a report's unit rows; `review_summary` is fazhi.pipeline.aggregate.summarize with
them merged in, for every summary a reviewer reads (``fazhi tag`` through `ReviewRun.before_commit`, ``/v1/analyze``,
the corpus view; ``/v1/compare`` merges them into each side). ``shared`` is filled by a corpus run (``fazhi tag``
over many reports, fazhi.review.shared) and stays [] for a report read alone. The pipeline below knows nothing of
the review; the writers render it from the summary (fazhi.output.review_markdown).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence

from fazhi.output.review_markdown import review_markdown
from fazhi.pipeline.aggregate import summarize
from fazhi.review.figures import FIGURE_COLUMNS, extract_figures, figure_rows
from fazhi.review.outline import PART_TITLES, check_outline, missing_parts, report_type
from fazhi.review.shared import SharedIndex

__all__ = [
    "review_fields",
    "review_summary",
    "review_markdown",
    "ReviewRun",
    "REVIEW_COLUMNS",
    "review_view",
    "review_csv_cells",
]


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


def review_summary(doc: str, results: Sequence[Mapping]) -> dict:
    """summarize(doc, results) with the review's fields."""
    summary = summarize(doc, results)
    summary.update(review_fields(results))
    return summary


class ReviewRun:
    """What `fazhi tag` collects across a run for the review: shared text and the figures CSV.

    Pass `before_commit` to run_tag (it adds the review's fields to each summary before it is written, ``shared``
    being the units shared with the reports tagged before it) and `on_report` (it keeps the figure rows); `shared()`
    gives both sides of every pair at the end, for the corpus view.
    """

    def __init__(self, figures: bool = False) -> None:
        self.index = SharedIndex()
        self.keep_figures = figures
        self.figure_rows: list[dict] = []

    def before_commit(self, report) -> None:
        report.summary.update(review_fields(report.units))
        report.summary["shared"] = self.index.add(report.doc, report.units)

    def on_report(self, report) -> None:
        if self.keep_figures:
            categories = {int(u["index"]): u.get("category", "") for u in report.units if u.get("index") is not None}
            self.figure_rows += figure_rows(report.doc, report.summary.get("figures", []), categories)

    def chain(self, other):
        """on_report that calls this run's and then other (None: only this run's)."""

        def both(report) -> None:
            self.on_report(report)
            if other is not None:
                other(report)

        return both

    def shared(self) -> dict[str, list[dict]]:
        return self.index.matches()

    def figures_csv(self) -> str:
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=list(FIGURE_COLUMNS), lineterminator="\n", extrasaction="ignore")
        w.writeheader()
        w.writerows(self.figure_rows)
        return buf.getvalue()


# --- the corpus view's share -------------------------------------------------------------------
REVIEW_COLUMNS = ["report_type", "outline_complete", "missing_parts", "figures", "shared_share"]


def review_view(summary: Mapping) -> dict:
    """What the corpus view shows of one summary: type, required parts present, missing part titles, the first
    value of each indicator, shared units (filled for the whole run by CorpusView.set_shared)."""
    outline = list(summary.get("outline", []))
    required = [e for e in outline if e.get("required")]
    figures: dict[str, float] = {}
    for f in summary.get("figures", []):
        if f.get("indicator") and f["indicator"] not in figures:
            figures[f["indicator"]] = f["value"]
    shared = list(summary.get("shared", []))
    n = int(summary.get("sentences", 0) or 0)
    return {
        "report_type": summary.get("report_type", "unknown"),
        "required": len(required),
        "present_required": sum(1 for e in required if e.get("present")),
        "missing": [PART_TITLES[p] for p in missing_parts(outline)],
        "figures": figures,
        "shared": shared,
        "shared_share": len({s["index"] for s in shared}) / n if n else 0.0,
    }


def review_csv_cells(view: Mapping) -> list:
    """The REVIEW_COLUMNS cells of one report in the corpus CSV."""
    if not view:
        return ["", "", "", "", ""]
    complete = f"{view['present_required']}/{view['required']}" if view.get("required") else ""
    return [
        view.get("report_type", ""),
        complete,
        ";".join(view.get("missing", [])),
        len(view.get("figures", {})),
        f"{view.get('shared_share', 0.0):.4f}",
    ]
