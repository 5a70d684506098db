"""The report types, the parts each is held to, and which type a report is (from its title, else its headings)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from fazhi.review.outline_headings import _LEADERS_HEAD, _heading_parts

REPORT_TYPES = ("rule_of_law_annual", "disclosure_annual", "area_report", "unknown")

PARTS: dict[str, tuple[str, ...]] = {
    "rule_of_law_annual": ("measures", "shortcomings", "leaders", "plans", "other_matters"),
    "disclosure_annual": ("overview", "proactive", "requests", "appeals", "problems", "other_matters"),
    "area_report": ("measures", "shortcomings", "plans"),
    "unknown": (),
}
# The parts a reviewer holds a report to. other_matters of a rule-of-law report is optional in practice;
# no rule fixes an area report's outline.
REQUIRED: dict[str, tuple[str, ...]] = {
    "rule_of_law_annual": ("measures", "shortcomings", "leaders", "plans"),
    "disclosure_annual": ("overview", "proactive", "requests", "appeals", "problems", "other_matters"),
    "area_report": (),
    "unknown": (),
}
PART_TITLES: dict[str, str] = {
    "measures": "主要举措和成效",
    "shortcomings": "存在的不足和原因",
    "leaders": "第一责任人履职情况",
    "plans": "下一年度安排",
    "other_matters": "其他需要报告的情况",
    "overview": "总体情况",
    "proactive": "主动公开政府信息情况",
    "requests": "收到和处理政府信息公开申请情况",
    "appeals": "政府信息公开行政复议、行政诉讼情况",
    "problems": "存在的主要问题及改进情况",
}
# Parts 2-4 of a disclosure report are statistical tables.
TABLE_PARTS = ("proactive", "requests", "appeals")

# --- report type -------------------------------------------------------------------------------
_DISCLOSURE_TITLE = re.compile(r"(?:政府)?信息公开(?:工作)?(?:年度)?(?:报告|年报)")
_ROL_TITLE = re.compile(r"法治政府|依法行政|法治\S{0,4}建设|法治建设")
# Titles that report on one piece of the rule-of-law work, even when they name it.
_AREA_TITLE = re.compile(
    r"督察|考核|通报|评查|审计|复议|应诉|信访|调解|纠纷|建议|提案|备案审查|规范性文件|合法性审[查核]|"
    r"重大行政决策|行政执法|执法(?:工作|情况|数据)|政务公开|公开工作|统计|总结|通知|要点"
)
_REPORTISH = re.compile(r"报告|总结|通报|情况|年报|要点")


def report_title(units: Sequence[Mapping]) -> str:
    """The report's title: its short opening lines before the first heading or body sentence."""
    parts: list[str] = []
    for u in units[:6]:
        text = str(u["text"])
        if u.get("is_heading") or "。" in text or len(text) > 80 or re.search(r"[:：]$", text):
            break
        parts.append(text)
    return "".join(parts)


def report_type(units: Sequence[Mapping]) -> str:
    """rule_of_law_annual, disclosure_annual, area_report or unknown, from the title and the headings."""
    title = report_title(units)
    heads = [str(u["text"]) for u in units if u.get("is_heading")]
    if _DISCLOSURE_TITLE.search(title) and not re.search(r"要点|通知|总结", title):
        return "disclosure_annual"
    if _ROL_TITLE.search(title) and not re.search(r"督察|考核|通报|评查", title):
        return "rule_of_law_annual"
    if title and _AREA_TITLE.search(title) and _REPORTISH.search(title):
        return "area_report"
    # No title that says: the headings.
    disclosure_hits = {p for h in heads for p in _heading_parts(h, "disclosure_annual")}
    if len(disclosure_hits & {"proactive", "requests", "appeals"}) >= 2:
        return "disclosure_annual"
    if any(_LEADERS_HEAD.search(h) for h in heads) or re.search(r"法治政府建设", " ".join(heads)):
        return "rule_of_law_annual"
    if len(heads) >= 2 and _REPORTISH.search(title + " ".join(heads)):
        return "area_report"
    return "unknown"
