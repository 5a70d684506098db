"""What kind of report this is, and whether it has the parts the rules ask of that kind.

- **rule_of_law_annual** (法治政府建设年度报告): 厅字〔2019〕28号 asks for the year's measures and
  results, its shortcomings and their causes, how the principal leaders carried out their duty as the
  第一责任人, next year's plans, and other matters (optional in practice: reported, never required).
- **disclosure_annual** (政府信息公开工作年度报告): 《政府信息公开条例》第五十条 and the 2021 format
  (国办公开办函〔2021〕30号) fix six parts; parts 2-4 are statistical tables.
- **area_report**: a report on one area of the work (reconsideration, audit, petitions, enforcement,
  proposals, legality review, inspection results…). No rule fixes its outline; the usual three parts
  (the work, what falls short, what comes next) are reported for the reader, none is required.
- **unknown**: none of these.

The outline is read from the segmented units (dicts with ``index``, ``text``, ``is_heading``), the
way a reviewer reads it:

1. Each heading is matched against wording of the parts, whatever its number or place; a combined
   heading ("三、工作不足及2022年工作主要安排") counts for every part it names, and its sub-headings then
   say which units belong to which.
2. Every unit belongs to the innermost heading above it that names a part. A top-level section that
   names none continues the measures (before any shortcomings or plans) or the part before it.
3. Reports that state their shortcomings and plans in closing paragraphs without a heading (seed 001
   does) are read from the last section of the measures: from a sentence that opens shortcomings
   ("但也存在一些…问题") and one that opens next year's plans ("2024年我区将…").
4. The leaders' part is present under a heading that names the 第一责任人 duty, or, without one, in
   body units of the measures that report it being carried out (not in the shortcomings or plans).
5. A part whose heading has nothing under it is absent: headings alone are not enough.

The closing signature, date and 专此报告 belong to no part.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from fazhi.output.review_markdown import outline_markdown  # rendered where the writers can reach it; re-exported
from fazhi.pipeline.segment import heading_level
from fazhi.review.outline_body import _closing_paragraphs, _closing_start, _leaders_in_body
from fazhi.review.outline_headings import _Walk
from fazhi.review.report_types import PART_TITLES, PARTS, REPORT_TYPES, REQUIRED, TABLE_PARTS, report_title, report_type

__all__ = [
    "REPORT_TYPES",
    "PARTS",
    "PART_TITLES",
    "REQUIRED",
    "report_title",
    "report_type",
    "check_outline",
    "missing_parts",
    "outline_markdown",
    "table_row",
    "without_section",
]

# Reasons given for the shortcomings. Not: "审查深度受到影响" (an effect), "败诉原因剖析不深入" (a shortcoming about
# analysing causes), nor a heading that only promises them ("二、存在的不足及原因" over none).
_CAUSES = re.compile(
    r"原因(?![^。，；]{0,4}(?:不|未|缺))|究其|根源|归根结底|主要是由于|由于|缘于|源于|归因|"
    r"受(?!到)[^。，]{1,12}(?:影响|制约|限制)"
)


def table_row(unit: Mapping) -> bool:
    """True when a unit is a row of a statistical table: marked by the reader, cells separated by |, or a
    short label line ending in a figure ("行政许可 本年处理决定 2738件", a bare "463")."""
    if unit.get("table"):
        return True
    text = str(unit["text"]).strip()
    if " | " in text or "｜" in text:
        return True
    if len(text) > 80 or "。" in text or not _ROW_END.search(text):
        return False
    # a label and its value: "新收申请  71", "（一）收到申请数：58件", "行政许可：本年处理决定0件",
    # "行政处罚 上一年项目数量2310 本年增/减+56 处理决定数量1468"
    return bool(
        re.search(r"(?:^|\s)" + _ROW_END.pattern, text)
        or re.search(r"[：:]", text)
        or (re.search(r"\s", text) and len(re.findall(r"\d+", text)) >= 2)
    )


_ROW_END = re.compile(r"[+-]?\d[\d,.]*\s*(?:件|条|个|项|万元|元|次|人|%|％)?(?:\s*[（(][^）)]{0,24}[）)])?$")


def _unit_rows(units: Sequence[Mapping]) -> list[Mapping]:
    rows = []
    for u in units:
        if "index" not in u or "text" not in u:
            raise ValueError(f"expected unit dicts with index, text and is_heading, found keys {sorted(u)}")
        rows.append(u)
    return rows


def _entry(part: str, rtype: str, body: Sequence[Mapping], walk: _Walk) -> dict:
    """One part's outline entry from the units assigned to it."""
    ks = sorted(k for k, ps in walk.assigned.items() if part in ps)
    content = [k for k in ks if k not in walk.naming and len(str(body[k]["text"]).strip()) >= 2]
    entry: dict = {
        "part": part,
        "title": PART_TITLES[part],
        "present": bool(content),
        "required": part in REQUIRED[rtype],
        "units": [body[k]["index"] for k in ks] if content else [],
        "heading": walk.heading_of.get(part, ""),
    }
    if part == "shortcomings":
        entry["causes_given"] = bool(content) and any(
            _CAUSES.search(str(body[k]["text"])) for k in content if not body[k].get("is_heading")
        )
    if rtype == "disclosure_annual" and part in TABLE_PARTS:
        entry["table"] = bool(content) and sum(1 for k in ks if table_row(body[k])) >= 2
    return entry


def check_outline(units: Sequence[Mapping], rtype: str | None = None) -> list[dict]:
    """The outline check: one entry per part of the report's type, in the order of PARTS.

    Each entry: part, title (the part as the rules name it), present, required, units (indices of the units
    that cover it, headings included), heading (the report's own heading for it, '' when it has none);
    shortcomings adds causes_given; the table parts of a disclosure report add table (whether its
    statistical table is there).
    """
    units = _unit_rows(units)
    rtype = rtype or report_type(units)
    if rtype not in PARTS:
        raise ValueError(f"expected a report type among {', '.join(REPORT_TYPES)}, found {rtype!r}")
    if not PARTS[rtype]:
        return []
    body = units[: _closing_start(units)]
    heads = [(k, heading_level(str(u["text"])) or 9) for k, u in enumerate(body) if u.get("is_heading")]
    top = min((lvl for _, lvl in heads), default=1)
    walk = _Walk(rtype, top)
    for k, u in enumerate(body):
        walk.unit(k, u)
    if rtype != "disclosure_annual":
        _closing_paragraphs(body, heads, top, walk.assigned)
    if rtype == "rule_of_law_annual":
        _leaders_in_body(body, walk.assigned)
    return [_entry(part, rtype, body, walk) for part in PARTS[rtype]]


def missing_parts(outline: Sequence[Mapping]) -> list[str]:
    """The required parts an outline lacks."""
    return [str(e["part"]) for e in outline if e.get("required") and not e.get("present")]


def without_section(text: str, units: Sequence[Mapping], heading_index: int) -> str:
    """text with one section cut out: from the heading unit heading_index to the next heading of its level
    or above (the end of the body when there is none). Units need index, start, end, text, is_heading."""
    by_index = {int(u["index"]): u for u in units}
    if heading_index not in by_index or not by_index[heading_index].get("is_heading"):
        raise ValueError(
            f"expected unit {heading_index} to be a heading, found "
            f"{'no such unit' if heading_index not in by_index else 'a sentence'}"
        )
    head = by_index[heading_index]
    level = heading_level(str(head["text"])) or 9
    end = len(text)
    for u in units:
        if int(u["index"]) > heading_index and u.get("is_heading") and (heading_level(str(u["text"])) or 9) <= level:
            end = int(u["start"])
            break
    else:
        tail = _closing_start(units)
        if tail < len(units):
            end = int(units[tail]["start"])
    return text[: int(head["start"])] + text[end:]
