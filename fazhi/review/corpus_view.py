"""The corpus view of `fazhi tag DIR --report report.html`: many reports at a glance.

One self-contained HTML page (no network at view time: the charts are SVG
drawn by a few lines of inlined script, no chart library) showing

- a reports x areas heatmap of sentence shares;
- the problem statements per area across the corpus;
- the reports that never mention an area;
- a sortable table of every report with its figures;
- a click from any cell to its sentences.

The same per-report figures go to CSV (`--report-csv`), and the heatmap to a
PNG for papers (`--report-png`, with matplotlib: the figures extra, `.venv/bin/pip install -e '.[figures]'`).

The figures come from each report's summary (fazhi.review.report.review_summary), so
they agree with `fazhi tag --summary`. The sentences behind the clicks travel
gzip-compressed inside the page (the browser's DecompressionStream opens
them), which keeps a few hundred reports to a page of a few megabytes.
"""

from __future__ import annotations

import base64
import csv
import gzip
import io
import json
import logging
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from fazhi.errors import ResumeError, UsageError
from fazhi.labels import AREAS, CATEGORIES
from fazhi.output.atomic import write_output
from fazhi.pipeline.aggregate import AREA_NAMES
from fazhi.pipeline.context import document_title
from fazhi.pipeline.problems import states_problem
from fazhi.pipeline.segment import Unit
from fazhi.review.figures import INDICATORS
from fazhi.review.report import REVIEW_COLUMNS, review_csv_cells, review_fields, review_summary, review_view
from fazhi.schema import BOOL_FIELDS

__all__ = ["CorpusView", "report_csv", "report_html", "heatmap_png", "read_unit_rows"]

TEMPLATE = Path(__file__).resolve().parent / "templates" / "corpus_view.html"
# Each sentence travels as [category index, flags, text]; flag bits:
PROBLEM, HEADING = 1, 2


class CorpusView:
    """Collects tagged reports (pass `add` as run_tag's on_report) and writes the page, the CSV and the PNG."""

    def __init__(self) -> None:
        self.figures: list[dict] = []
        # Only what the page shows is kept per sentence, not the whole result row.
        self.sentences: list[list[list]] = []

    def add(self, report) -> None:
        """Add a fazhi.pipeline.tag.TaggedReport."""
        self.add_rows(report.doc, report.units, report.summary)

    def add_rows(self, doc: str, rows: Sequence[dict], summary: dict | None = None) -> None:
        """Add one report's unit rows (as fazhi.pipeline.results builds them, or as read back from a units file)."""
        if summary is None:
            summary = review_summary(doc, list(rows))
        elif "report_type" not in summary:  # tagged by run_tag alone, below the review: add the review's fields
            summary = {**summary, **review_fields(rows)}
        n = summary["sentences"]
        # Reviewers know reports by their titles; the file name stays on hover.
        title = document_title(
            [
                Unit(
                    r.get("index", i),
                    r.get("start", 0),
                    r.get("end", 0),
                    r["text"],
                    r.get("heading", ""),
                    bool(r.get("is_heading")),
                )
                for i, r in enumerate(rows[:8])
            ]
        )
        self.figures.append(
            {
                "doc": doc,
                "title": title,
                "sentences": n,
                "problems": len(summary["problems"]),
                "per_category": summary["per_category"],
                "shares": {c: (k / n if n else 0.0) for c, k in summary["per_category"].items()},
                "problems_per_category": summary["problems_per_category"],
                "areas_not_mentioned": summary["areas_not_mentioned"],
                "review": review_view(summary),  # issue 20: outline, key figures, shared text
            }
        )
        index = {c: i for i, c in enumerate(CATEGORIES)}
        self.sentences.append(
            [
                [
                    index.get(r["category"], len(CATEGORIES) - 1),
                    (PROBLEM if states_problem(r) else 0) | (HEADING if r.get("is_heading") else 0),
                    r["text"],
                ]
                for r in rows
            ]
        )

    def set_shared(self, shared: dict[str, list[dict]]) -> None:
        """Both sides of the shared text of the whole run (fazhi.review.shared), once every report is in."""
        for f in self.figures:
            rows = shared.get(f["doc"], f["review"]["shared"])
            f["review"]["shared"] = rows
            f["review"]["shared_share"] = len({r["index"] for r in rows}) / f["sentences"] if f["sentences"] else 0.0

    def corpus(self) -> dict:
        """Figures across the corpus: problem statements per area, reports with any, reports that never mention it."""
        return {
            "reports": len(self.figures),
            "sentences": sum(f["sentences"] for f in self.figures),
            "problems": sum(f["problems"] for f in self.figures),
            "problems_per_area": {
                c: sum(f["problems_per_category"].get(c, 0) for f in self.figures) for c in CATEGORIES
            },
            "reports_with_problems": {
                c: sum(1 for f in self.figures if f["problems_per_category"].get(c, 0)) for c in CATEGORIES
            },
            "reports_not_mentioning": {
                a: [f["doc"] for f in self.figures if a in f["areas_not_mentioned"]] for a in AREAS
            },
        }

    def write(
        self, html: str | None = None, csv_path: str | None = None, png: str | None = None, model_name: str = ""
    ) -> list[str]:
        """Write the outputs asked for (atomically); return what was written."""
        written = []
        if png:  # first: the one that can fail for want of matplotlib, before anything is written
            data = heatmap_png(self.figures)
            write_output(png, data)
            written.append(png)
        if html:
            write_output(html, report_html(self, model_name))
            written.append(html)
        if csv_path:
            write_output(csv_path, report_csv(self.figures))
            written.append(csv_path)
        return written


# --- CSV ----------------------------------------------------------------------------
def csv_columns() -> list[str]:
    cols = ["doc", "sentences", "problems"]
    for c in CATEGORIES:
        cols += [f"{c}.sentences", f"{c}.share", f"{c}.problems"]
    return cols + ["areas_not_mentioned"] + REVIEW_COLUMNS


def report_csv(figures: Iterable[dict]) -> str:
    """One row per report: sentences, problems, and per category its sentences, share and problems."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(csv_columns())
    for f in figures:
        row: list = [f["doc"], f["sentences"], f["problems"]]
        for c in CATEGORIES:
            row += [f["per_category"].get(c, 0), f"{f['shares'].get(c, 0.0):.4f}", f["problems_per_category"].get(c, 0)]
        w.writerow(row + [";".join(f["areas_not_mentioned"])] + review_csv_cells(f.get("review", {})))
    return buf.getvalue()


# --- HTML ---------------------------------------------------------------------------
def _script_json(value) -> str:
    """JSON safe inside <script>: no '</' to close the element early."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")


def _short_names(docs: Sequence[str]) -> list[str]:
    """Report names without the folders all of them share (as the page shows them): 2022/a.txt and 2023/a.txt stay
    apart."""
    # Absolute first: a run given both a/x.txt and /home/u/b/y.txt must not show the second's whole path.
    parts = [Path(os.path.abspath(d)).parts for d in docs]
    shared = 0
    while parts and all(shared < len(p) - 1 and p[shared] == parts[0][shared] for p in parts):
        shared += 1
    return ["/".join(p[shared:]) for p in parts]


def _renamed(figures: dict, names: dict[str, str]) -> dict:
    """One report's figures with every report named by its short name, its own and those it shares text with."""
    review = figures["review"]
    shared = [{**r, "doc": names.get(r["doc"], r["doc"])} for r in review["shared"]]
    return {**figures, "doc": names[figures["doc"]], "review": {**review, "shared": shared}}


def report_html(view: CorpusView, model_name: str = "") -> str:
    """The self-contained page. Reports are named below the folders they all share: a page passed on to a colleague
    carries no path of the reviewer's machine."""
    docs = [f["doc"] for f in view.figures]
    names = dict(zip(docs, _short_names(docs), strict=True))
    corpus = view.corpus()
    corpus["reports_not_mentioning"] = {a: [names[d] for d in ds] for a, ds in corpus["reports_not_mentioning"].items()}
    data = {
        "categories": list(CATEGORIES),
        "areas": list(AREAS),
        "area_names": AREA_NAMES,
        "model": model_name,
        "indicators": list(INDICATORS),
        "reports": [_renamed(f, names) for f in view.figures],
        "corpus": corpus,
    }
    packed = gzip.compress(
        json.dumps(view.sentences, ensure_ascii=False, separators=(",", ":")).encode("utf-8"), mtime=0
    )
    page = TEMPLATE.read_text(encoding="utf-8")
    return page.replace("/*FIGURES*/null", _script_json(data)).replace(
        "SENTENCES_GZIP_BASE64", base64.b64encode(packed).decode("ascii")
    )


# --- PNG ----------------------------------------------------------------------------


_CJK_FONTS = (
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
    "Heiti SC",
)


def heatmap_png(figures: Sequence[dict], dpi: int = 200) -> bytes:
    """The reports x areas heatmap of sentence shares as a PNG (matplotlib)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib import font_manager
    except ImportError:
        raise UsageError(
            "the PNG heatmap needs matplotlib, which is not installed: .venv/bin/pip install -e '.[figures]' "
            "(or matplotlib)"
        ) from None
    # A CJK family found by name may lack a "normal" weight entry; matplotlib then warns once per text, harmlessly.
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
    if not figures:
        raise UsageError("expected at least one tagged report for the heatmap, found none")
    installed = {f.name for f in font_manager.fontManager.ttflist}
    cjk = [name for name in _CJK_FONTS if name in installed]
    rows = len(figures)
    shares = np.array([[f["shares"].get(a, 0.0) for a in AREAS] for f in figures])
    height = min(2.0 + 0.16 * rows, 60.0)  # inches; a very long corpus gets smaller rows, not a giant image
    with plt.rc_context({"font.family": "sans-serif", "font.sans-serif": cjk + ["DejaVu Sans"], "font.size": 7}):
        fig, ax = plt.subplots(figsize=(6.5, height))
        image = ax.imshow(
            shares, aspect="auto", cmap="Blues", vmin=0.0, vmax=max(float(shares.max()), 1e-9), interpolation="nearest"
        )
        labels = [f"{a}\n{AREA_NAMES[a]}" if cjk else a for a in AREAS]
        ax.set_xticks(range(len(AREAS)), labels)
        ax.xaxis.tick_top()
        ax.set_yticks(range(rows), _short_names([f["doc"] for f in figures]), fontsize=max(3.0, min(7.0, 700 / rows)))
        for i, j in zip(*np.nonzero(shares == 0.0), strict=True):  # an area the report never mentions
            ax.text(j, i, "×", ha="center", va="center", color="#c62828", fontsize=6)
        fig.colorbar(image, ax=ax, fraction=0.04, pad=0.02, label="share of the report's sentence units")
        ax.set_title(f"Sentence shares by area, {rows} reports (× = never mentioned)", fontsize=8, pad=24)
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
        plt.close(fig)
    return buf.getvalue()


# --- reading a finished units file back (for --resume) -------------------------------------
def read_unit_rows(path: Path) -> dict[str, list[dict]]:
    """doc -> unit rows (category, problem, is_heading, text, index) from a `fazhi tag` units file, JSONL or CSV."""
    out: dict[str, list[dict]] = {}
    with open(path, encoding="utf-8-sig", newline="") as f:
        head = f.read(1)
        f.seek(0)
        if head == "{":
            for n, line in enumerate(f, 1):
                if line.strip():
                    try:
                        row = json.loads(line)
                        out.setdefault(row["doc"], []).append(row)
                    except (json.JSONDecodeError, KeyError, TypeError):
                        raise ResumeError(f"{path}:{n}: expected a JSON object of a fazhi tag unit per line") from None
        else:
            for row in csv.DictReader(f):
                if "doc" not in row or "category" not in row:
                    raise ResumeError(
                        f"{path}: expected a CSV file of fazhi tag units (columns doc, category, problem, text)"
                    )
                row = dict(row)
                for name in BOOL_FIELDS:  # CSV writes them true/false (fazhi.schema)
                    if name in row:
                        row[name] = row[name] == "true"
                out.setdefault(row["doc"], []).append(row)
    return out
