"""Figures of the statistical tables of a disclosure report (parts 2-4 of the 2021 format), read from their row
and column labels."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from fazhi.review.indicators import Figure

_CELL_VALUE = re.compile(r"^[+-]?\d[\d,]*(?:\.\d+)?\s*(?:件|条|个|项|万元|次)?$")


def _table_indicator(part: str, labels: Sequence[str]) -> str | None:
    """Indicator of one table cell from its part and its row/column labels (outermost first)."""
    joined = " ".join(labels)
    last = labels[-1] if labels else ""
    if part == "requests":
        if re.search(r"本年新收|新收申请|新收.{0,10}申请数量", last):
            return "disclosure_requests"
        return None
    if part == "appeals":
        group = "lawsuits" if re.search(r"诉讼|起诉", joined) else "reconsideration" if "复议" in joined else None
        if group is None:
            return None
        if re.search(r"总计|合计|案件$|诉讼案件", last):
            return "lawsuits" if group == "lawsuits" else "reconsideration_cases"
        if re.search(r"纠正", last):
            return "lawsuit_losses" if group == "lawsuits" else "reconsideration_corrected"
        return None
    if part == "proactive":
        if re.search(r"行政处罚", joined) and re.search(r"处理决定", last):
            return "penalty_cases"
    return None


def _table_figures(part: str, rows: Sequence[Mapping]) -> list[Figure]:
    """Cells of one table part: a row is its label cells then a value, on one line or on lines of their own."""
    out: list[Figure] = []
    group = ""  # the row group ("行政复议", "行政诉讼（复议后起诉）", "第二十条第（一）项")
    pending: list[str] = []  # labels since the last value
    for u in rows:
        text = re.sub(r"[：:]\s*(?=[+-]?\d)", "  ", str(u["text"]).strip())
        if u.get("is_heading") and not re.search(r"\d\s*$", text):
            group, pending = "", []
            continue
        cells = (
            [c.strip() for c in re.split(r"\s*[|｜]\s*", text)]
            if ("|" in text or "｜" in text)
            else re.split(r"\s{2,}|\t", text)
        )
        if len(cells) == 1:
            m = re.match(r"^(.*?[^\d\s+-])\s+([+-]?\d[\d,]*(?:\.\d+)?\s*(?:件|条|个|项|万元|次)?)$", text)
            cells = [m.group(1), m.group(2)] if m else cells
        if len(cells) == 1 and not _CELL_VALUE.match(cells[0]):
            label = cells[0]
            if "。" in label or len(label) > 40:
                pending = []
                continue
            if (
                re.match(r"^(?:行政复议|行政诉讼|第二十条)", label)
                or not pending
                and re.search(r"复议|诉讼", label)
                and len(label) <= 20
            ):
                group, pending = label, []
            else:
                pending.append(label)
            continue
        labels, values = [c for c in cells if not _CELL_VALUE.match(c)], [c for c in cells if _CELL_VALUE.match(c)]
        if not values:
            continue
        names = ([group] if group else []) + (pending[-1:] if not labels else []) + labels
        if not labels and not pending:
            continue
        v = values[-1]
        num = re.match(r"[+-]?\d[\d,]*(?:\.\d+)?", v)
        if num is None:
            continue
        unit = v[num.end() :].strip() or "件"
        indicator = _table_indicator(part, names)
        out.append(
            Figure(
                int(u["index"]),
                float(num.group().replace(",", "")),
                unit,
                indicator,
                " ".join(names)[-24:],
                text,
                table=True,
            )
        )
        pending = []
    return out
