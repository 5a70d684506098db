"""The key figures a reviewer compares across reports: every counted number, with what it counts.

A figure is a number with its measure word (件, 次, 人, 条, 个, %, 万元…). Its indicator comes from the
words of its own clause (the stretch between 、，；。 and 其中), read the way the reports write both
"办理行政复议案件123件" (the noun before the number) and "对5件县政府规范性文件…把关" (after it):

- a clause that names an indicator's subject gives the figure that indicator, unless it also has a word
  that makes the number something else (维持 in a reconsideration clause: an outcome, not the cases);
- a clause opened by 其中 is a part of the figure before it, never the indicator's total;
- some indicators also need a word anywhere in the sentence (the review verb for normative documents);
- a number that fits none keeps ``indicator: None`` with the noun it counts.

Years, dates, document numbers (〔2021〕30号) and ordinals (第3批) are not figures. 万 and 亿 before a
count multiply it ("1.1万件次" is 11000 件次); 万元 and 亿元 stay amounts of money.

The statistical tables of a disclosure report (parts 2-4 of the 2021 format) are read into the same
indicators from their row and column labels, whether the reader marked the rows (``table: true``,
cells ``header | header | value``) or they came through as text ("新收申请  71", or labels and values
on lines of their own).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from fazhi.review.indicators import INDICATORS, Figure
from fazhi.review.prose_figures import _prose_figures
from fazhi.review.report_types import report_title
from fazhi.review.table_figures import _table_figures

__all__ = ["INDICATORS", "Figure", "extract_figures", "figure_rows", "FIGURE_COLUMNS"]


def extract_figures(
    units: Sequence[Mapping], outline: Sequence[Mapping] | None = None, rtype: str | None = None
) -> list[Figure]:
    """Every figure of a report, in report order. units: dicts with index, text (and is_heading, table).

    For a disclosure_annual (rtype) with its outline, the units of the table parts are read as tables.
    """
    table_part: dict[int, str] = {}
    if rtype == "disclosure_annual" and outline:
        for e in outline:
            if e["part"] in ("proactive", "requests", "appeals"):
                for i in e["units"]:
                    table_part.setdefault(int(i), str(e["part"]))
    figures: list[Figure] = []
    k = 0
    ordered = list(units)
    # The title and the enclosing headings say what a bare row means: "撤销 29件" under "（一）收案和审结情况" of a
    # report on 行政复议 is a reconsideration corrected.
    title = report_title(ordered)

    def context(u: Mapping) -> str:
        path = u.get("path")
        return title + " " + (" ".join(map(str, path)) if path else str(u.get("heading", "")))

    while k < len(ordered):
        u = ordered[k]
        part = table_part.get(int(u["index"]))
        if part is not None:
            run = []
            while k < len(ordered) and table_part.get(int(ordered[k]["index"])) == part:
                run.append(ordered[k])
                k += 1
            prose = [r for r in run if re.search(r"[。；;，,]", str(r["text"])) or len(str(r["text"])) > 40]
            figures += _table_figures(part, [r for r in run if r not in prose])
            for r in prose:
                figures += _prose_figures(int(r["index"]), str(r["text"]), context(r))
            continue
        if not u.get("is_heading") or re.search(r"\d", str(u["text"])):
            if u.get("table"):
                figures += _table_figures("", [u])
            else:
                figures += _prose_figures(int(u["index"]), str(u["text"]), context(u))
        k += 1
    figures.sort(key=lambda f: f.index)
    return figures


FIGURE_COLUMNS = ("doc", "indicator", "value", "unit", "noun", "category", "index", "text")


def figure_rows(doc: str, figures: Sequence[Mapping], categories: Mapping[int, str] | None = None) -> list[dict]:
    """Rows of `fazhi tag --figures`: one per figure, with the category the tagger gave its unit."""
    categories = categories or {}
    return [
        {
            "doc": doc,
            "indicator": f.get("indicator") or "",
            "value": f["value"],
            "unit": f["unit"],
            "noun": f.get("noun", ""),
            "category": categories.get(int(f["index"]), ""),
            "index": f["index"],
            "text": f["text"],
        }
        for f in figures
    ]
