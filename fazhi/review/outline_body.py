"""Parts read from the body rather than its headings: the closing lines (signature, date, 专此报告), the
shortcomings and plans of headingless closing paragraphs, and the leaders' duty reported among the measures."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

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
_LEADERS_BODY = re.compile(
    r"(?:主要负责(?:人|同志)|一把手|主要领导|书记、[^。，]{0,3}长|党政(?:主要)?负责人|负责同志)[^。]{0,30}"
    r"(?:第一责任人|述法|带头学|亲自(?:部署|过问|协调|督办)|负总责|主持[^。]{0,12}(?:研究|专题))|作为第一责任人|"
    r"(?:切实|认真|全面|带头|严格)?(?:履行|落实|推进|扛牢|压实)[^。]{0,12}第一责任人(?:职责)?"
)


_RULE_OF_LAW = re.compile(r"法治|依法行政|依法治")


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
