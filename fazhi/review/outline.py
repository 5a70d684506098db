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
from dataclasses import dataclass, field

from fazhi.output.review_markdown import outline_markdown  # rendered where the writers can reach it; re-exported
from fazhi.pipeline.segment import heading_level

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


# --- headings -------------------------------------------------------------------------------------
_SHORT_HEAD = re.compile(
    r"存在的?(?:主要)?(?:问题|不足|困难)|问题(?:和|与|及)(?:不足|困难|短板)|不足|薄弱环节|短板|差距|"
    r"存在问题|突出问题|主要问题|发现的.{0,8}问题|反映出的.{0,10}问题|尚未.{0,8}的问题|困难和问题"
)
_PLAN_HEAD = re.compile(
    r"(?:安排|打算|思路|计划)$|工作(?:安排|打算|思路|计划|重点|要求)|"
    r"下一步|明年|今后|(?:19|20)\d\d年.{0,12}(?:安排|打算|思路|计划|重点|要求|方向)|改进(?:措施|方向|举措)|"
    r"(?:审计|工作)建议|整改(?:要求|措施)|有关要求|下一年度"
)
# Words that make a year's heading a look back, not a plan ("2024年度重点工作推进及成效").
_LOOK_BACK = re.compile(r"成效|回顾|完成情况|推进情况|开展情况|主要工作|工作情况|做法")
_LEADERS_HEAD = re.compile(r"第一责任人|主要负责人履行|主要负责同志履行|履行法治建设(?:主体)?职责|法治建设职责")
_MEASURES_HEAD = re.compile(
    r"主要(?:举措|工作|做法|成效|措施)|工作(?:情况|成效|开展情况|推进情况|回顾)|举措(?:和|及)成效|"
    r"推进情况|开展情况|完成情况|基本情况|总体情况|主要做法|取得的成效|办理(?:成效|情况)|"
    r"(?:19|20)\d\d年(?:度)?.{0,16}(?:工作|举措|成效|情况)"
)
_OTHER_HEAD = re.compile(r"其他(?:需要|需)?(?:报告|说明)?的?(?:事项|情况|内容)|其他事项|需要报告的其他")
_DISCLOSURE_HEADS: list[tuple[str, re.Pattern[str]]] = [
    ("overview", re.compile(r"总体情况|概述|概况|总体")),
    ("proactive", re.compile(r"主动公开")),
    ("requests", re.compile(r"收到和处理|依申请公开|公开申请|申请情况|申请的情况")),
    ("appeals", re.compile(r"复议|诉讼")),
    ("problems", re.compile(r"问题|不足|改进")),
    ("other_matters", _OTHER_HEAD),
]


def _heading_parts(text: str, rtype: str) -> list[str]:
    """The parts a heading names, in report order of the words (a combined heading names several)."""
    if rtype == "disclosure_annual":
        found = {p for p, rx in _DISCLOSURE_HEADS if rx.search(text)}
        if "problems" in found and not re.search(r"存在|改进|主要问题", text):
            found.discard("problems")
        # The most specific part named wins: "政府信息公开申请引发的复议和诉讼情况" is appeals, not requests.
        for part in ("other_matters", "problems", "appeals", "proactive", "requests", "overview"):
            if part in found:
                return [part]
        return []
    hits: list[tuple[int, str]] = []
    for part, rx in (
        ("leaders", _LEADERS_HEAD),
        ("shortcomings", _SHORT_HEAD),
        ("plans", _PLAN_HEAD),
        ("other_matters", _OTHER_HEAD),
        ("measures", _MEASURES_HEAD),
    ):
        if part == "leaders" and rtype != "rule_of_law_annual":
            continue
        m = rx.search(text)
        if m:
            hits.append((m.start(), part))
    parts = [p for _, p in sorted(hits)]
    if "plans" in parts and _LOOK_BACK.search(text) and not re.search(r"下一步|打算|安排|计划|思路|明年|今后", text):
        parts = [p for p in parts if p != "plans"] or ["measures"]
    # "存在的问题和不足及原因" is one part; "主要工作情况" read as plans by its 措施 only when nothing else says so
    if "shortcomings" in parts or "plans" in parts or "leaders" in parts:
        parts = [p for p in parts if p != "measures"] or parts
    if "other_matters" in parts:
        parts = ["other_matters"]
    return parts


# --- closing lines ----------------------------------------------------------------------------------
_DATE = re.compile(
    r"^(?:(?:19|20)\d\d|[〇○零一二]{4})\s*年?\s*[\d一二三四五六七八九十〇○]{1,3}\s*月?\s*[\d一二三四五六七八九十〇○]{0,3}\s*日?$"
)
_SIGN_OFF = re.compile(r"^(?:专此报告|特此报告|特此通报|以上报告|此致)[。！]?$")


def _closing_start(units: Sequence[Mapping]) -> int:
    """Position (in units) where the signature, the date and 专此报告 begin; len(units) when there are none."""
    k = len(units)
    while k > 0:
        text = str(units[k - 1]["text"]).strip()
        if (
            _DATE.match(text)
            or _SIGN_OFF.match(text)
            or (
                len(text) <= 30
                and not re.search(r"[。，,；;：:、|｜\d]", text)
                and not units[k - 1].get("is_heading")
                and not units[k - 1].get("table")
            )
        ):
            k -= 1
        else:
            break
    return k


# --- headingless closing paragraphs -------------------------------------------------------------------
_SHORT_OPEN = re.compile(
    r"(?:还有|仍有|存在)(?:不少|一些|一定|较多)?的?(?:差距|不足|短板|薄弱环节)|"
    r"(?:但|然而|同时|不过|虽然|尽管|也)[^。；]{0,40}(?:存在|还有|仍有|也有|面临)[^。；]{0,20}"
    r"(?:问题|不足|差距|短板|薄弱|困难)|"
    r"(?:但|然而)[^。；]{0,50}(?:问题|不足|短板|薄弱)[^。；]{0,6}(?:突出|明显|较多)|"
    r"存在(?:的|以下|一些|如下)?(?:主要)?(?:问题|不足)(?:和不足|和困难)?[:：]|主要(?:问题|不足)(?:是|有|表现在)"
)
_PLAN_OPEN = re.compile(
    r"^(?:[^。]{0,20}[，,])?(?:下一步|今后|明年|新的一年|(?:19|20)\d\d年)[^。]{0,14}(?:将|要|计划|打算|继续|重点)"
)
# Reasons given for the shortcomings. Not: "审查深度受到影响" (an effect), "败诉原因剖析不深入" (a shortcoming about
# analysing causes), nor a heading that only promises them ("二、存在的不足及原因" over none).
_CAUSES = re.compile(
    r"原因(?![^。，；]{0,4}(?:不|未|缺))|究其|根源|归根结底|主要是由于|由于|缘于|源于|归因|"
    r"受(?!到)[^。，]{1,12}(?:影响|制约|限制)"
)
_LEADERS_BODY = re.compile(
    r"(?:主要负责(?:人|同志)|一把手|主要领导|书记、[^。，]{0,3}长|党政(?:主要)?负责人|负责同志)[^。]{0,30}"
    r"(?:第一责任人|述法|带头学|亲自(?:部署|过问|协调|督办)|负总责|主持[^。]{0,12}(?:研究|专题))|作为第一责任人|"
    r"(?:切实|认真|全面|带头|严格)?(?:履行|落实|推进|扛牢|压实)[^。]{0,12}第一责任人(?:职责)?"
)


_RULE_OF_LAW = re.compile(r"法治|依法行政|依法治")


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


@dataclass
class _Walk:
    """The heading walk of check_outline: which parts each unit of the report's body belongs to.

    Each heading is matched against the parts' wording; every unit belongs to the innermost open heading that
    names a part. A top-level section that names none continues the measures (before any shortcomings or plans)
    or the part before it; in a disclosure report, after the problems, it is one of the other matters.
    """

    rtype: str
    top: int  # the level of the report's top headings
    assigned: dict[int, list[str]] = field(default_factory=dict)  # position in units -> parts
    heading_of: dict[str, str] = field(default_factory=dict)
    naming: set[int] = field(default_factory=set)  # headings that name a part: they alone never make it present
    stack: list[tuple[int, list[str]]] = field(default_factory=list)  # open headings: (level, parts they name)
    top_parts: list[str] = field(default_factory=list)  # parts of the current top-level section
    seen_later: bool = False  # a shortcomings/plans/other section has started
    started: bool = False  # the first heading has been passed (before it: title and preamble)
    problems_seen: bool = False

    def unit(self, k: int, u: Mapping) -> None:
        text = str(u["text"])
        # A top-level marker glued to its first sentence ("六、存在的问题一是…") opens a section too.
        glued = not u.get("is_heading") and self.started and heading_level(text) == self.top and self.top <= 2
        if u.get("is_heading") or glued:
            self._heading(k, text[:16] if glued else text, glued)
        if self.started:
            default = ["measures"] if self.rtype != "disclosure_annual" else []
            self.assigned[k] = list(self.stack[-1][1] if self.stack else default)

    def _heading(self, k: int, text: str, glued: bool) -> None:
        level = heading_level(text) or 9
        while self.stack and self.stack[-1][0] >= level:
            self.stack.pop()
        if not self.stack or level <= self.top:
            self._top_heading(level, text)
        else:
            self._sub_heading(level, text)
        named = self.stack[-1][1]
        if not glued and named and (len(self.stack) == 1 or named != self.stack[-2][1]):
            self.naming.add(k)
        for p in named:
            self.heading_of.setdefault(p, text)

    def _top_heading(self, level: int, text: str) -> None:
        named = _heading_parts(text, self.rtype)
        if not named:
            if self.rtype == "disclosure_annual":
                named = (["other_matters"] if self.problems_seen else self.top_parts) if self.started else []
            else:
                named = ["measures"] if not self.seen_later else self.top_parts
        self.top_parts = named
        self.problems_seen = self.problems_seen or "problems" in named
        self.stack = [(level, named)]
        self.started = True
        if self.rtype != "disclosure_annual" and any(p in ("shortcomings", "plans", "other_matters") for p in named):
            self.seen_later = True

    def _sub_heading(self, level: int, text: str) -> None:
        parent = self.stack[-1][1] if self.stack else []
        named: list[str] = []
        if self.rtype != "disclosure_annual":
            sub = _heading_parts(text, self.rtype)
            if len(self.top_parts) > 1:  # a combined section: its sub-headings split it
                named = [p for p in sub if p in self.top_parts][:1]
            elif self.top_parts == ["measures"] and sub and sub[0] == "leaders":
                named = ["leaders"]
        self.stack.append((level, named or parent))


def _closing_paragraphs(
    body: Sequence[Mapping], heads: Sequence[tuple[int, int]], top: int, assigned: dict[int, list[str]]
) -> None:
    """Headingless shortcomings and plans, read from the last section that is measures only (seed 001)."""
    present_by_heading = {p for ps in assigned.values() for p in ps}
    if {"shortcomings", "plans"} <= present_by_heading:
        return
    if not heads:
        for k in range(len(body)):
            assigned[k] = ["measures"]
        tail = list(range(len(body)))
    else:
        tops = [k for k, lvl in heads if lvl <= top] + [len(body)]
        tail = []
        for a, b in zip(tops, tops[1:], strict=False):
            if assigned.get(a) == ["measures"]:
                tail = [k for k in range(a + 1, b) if assigned.get(k) == ["measures"]]
    mode = None
    for k in tail:
        text = str(body[k]["text"])
        if body[k].get("is_heading"):
            continue
        if (
            mode != "plans"
            and "plans" not in present_by_heading
            and _PLAN_OPEN.search(text)
            and (mode == "shortcomings" or k >= tail[-1] - 4)
        ):
            mode = "plans"
        elif mode is None and "shortcomings" not in present_by_heading and _SHORT_OPEN.search(text):
            mode = "shortcomings"
        if mode is not None:
            assigned[k] = [mode]


def _leaders_in_body(body: Sequence[Mapping], assigned: dict[int, list[str]]) -> None:
    """Leaders without a heading of their own: units of the measures that report the duty carried out."""
    if "leaders" in {p for ps in assigned.values() for p in ps}:
        return
    for k, ps in assigned.items():
        text = str(body[k]["text"])
        if (
            ps == ["measures"]
            and not body[k].get("is_heading")
            and _LEADERS_BODY.search(text)
            and _RULE_OF_LAW.search(text)
        ):
            assigned[k] = ["measures", "leaders"]


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
