"""The outline's headings: the wording that names each part, and the heading walk that gives every unit of the
body the parts of the innermost heading above it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from fazhi.pipeline.segment import heading_level

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
