"""Figures of one sentence of prose: each number with its measure word, its clause, and the indicator that clause
names (the rules are in fazhi/review/figures.py's docstring)."""

from __future__ import annotations

import re

from fazhi.review.indicators import _BY_NAME, INDICATOR_LIST, Figure

_MEASURE = (
    "个工作日|件次|人次|户次|家次|批次|万元|亿元|余件|余人|余条|余次|余名|余个|余起|余家|余项|"
    "件|次|人|条|个|项|名|起|宗|份|篇|场|期|家|户|卷|批|笔|张|所|支|元|吨|套|台|天|小时|%|％"
)
_NUMBER = re.compile(rf"(?<![\d.])(\d+(?:,\d{{3}})*(?:\.\d+)?)\s*(万|亿)?\s*({_MEASURE})")
_NOT_FIGURE_AFTER = re.compile(r"^(?:年|月|日|号|届|版|期间|时|分)")
_CLAUSE_CUT = re.compile(r"[，,；;。：:！？、]|其中")


def _clause(text: str, start: int, end: int) -> tuple[str, bool]:
    """The clause around text[start:end] and whether it opens with 其中. An enumeration comma 、 ends a
    clause only after a figure ("主动公开政府信息4274条、重点领域信息290条"), not inside a list of
    nouns ("化解跨区域、跨行业、跨部门重大纠纷22件")."""
    left = start
    while left > 0 and text[left - 1] == " ":
        left -= 1
    if left > 0 and text[left - 1] in "：:" and not text.startswith("其中", left - 3):
        left -= 1  # "撤销：21件": a row's label and its value are one clause
    while left > 0 and not text.startswith("其中", left - 2):
        if _CLAUSE_CUT.match(text, left - 1):
            if text[left - 1] != "、":
                break
            before = re.split(r"[，,；;。：:！？]", text[: left - 1])[-1]
            if re.search(r"\d", before.rsplit("、", 1)[-1]):
                break
        left -= 1
    opens_with_part = text.startswith("其中", left - 2) or text[max(0, left - 3) : left] in (
        "其中,",
        "其中，",
        "其中：",
        "其中:",
    )
    right = end
    while right < len(text) and not _CLAUSE_CUT.match(text, right):
        right += 1
    return text[left:right], opens_with_part


def _unit_of(measure: str) -> str:
    measure = measure.replace("余", "").replace("％", "%")
    return "件" if measure == "件次" else measure


def _value(number: str, scale: str | None, measure: str) -> float:
    v = float(number.replace(",", ""))
    if scale and measure not in ("元",):
        v *= 10000 if scale == "万" else 100000000
    return v


def _noun(clause: str, number_at: int, after: str) -> str:
    """What a figure counts, in a few characters: the noun after its measure word, else the clause before it."""
    m = re.match(r"[\u4e00-\u9fff（）()“”\"]{2,10}", after)
    if m and not re.match(r"^(?:以上|左右|以下|多|余)", after):
        return m.group()
    before = re.sub(r"^(?:全年|共|累计|合计|已|总计|其中)+", "", clause[:number_at])
    before = re.sub(r"(?:共|累计|达到?|为|计|约|超过|近|逾|达)+$", "", before)
    return before[-10:]


# Indicators that are parts by nature: "其中撤销4件" is the corrected count, not a breakdown to skip.
_PARTS_BY_NATURE = ("reconsideration_corrected", "lawsuit_losses")
# A clause that only carries on the count of the clause before it ("收到申请438件，依法受理392件，审结371件").
_CARRY_ON = re.compile(r"^(?:依法|已|共|全部|现已|其中)?(?:受理|审结|办结|结案|办理|调解成功|调处成功|化解|审查|审核)")


_REVIEWED = re.compile(r"审查|审核|把关")
_REVIEWED_NEXT = re.compile(r"^[，,；;]\s*(?:全部|均|一律|都)?(?:经过?|通过)[^，；。]{0,12}(?:审查|审核)")
# A target ("确保出庭应诉率达到80%以上") is not a figure of the year.
_TARGET = re.compile(r"力争|确保|争取|目标|以上$")


def _indicator_for(
    clause: str, sentence: str, unit: str, part_of: bool, after: str = "", context: str = ""
) -> str | None:
    """The indicator of a figure from its clause; sentence: its sentence with its heading context before it;
    context: the title and headings alone."""
    if _TARGET.search(clause):
        return None
    for ind in INDICATOR_LIST:
        if ind.name == "normative_documents_reviewed" and ind.subject.search(clause):
            if not (_REVIEWED.search(clause) or _REVIEWED_NEXT.search(after)):
                continue
        if part_of and ind.name not in _PARTS_BY_NATURE:
            continue
        if unit not in ind.units:
            continue
        if not ind.subject.search(clause) and not (
            ind.under is not None and ind.under[0].search(context) and ind.under[1].search(clause)
        ):
            continue
        if (
            ind.exclude is not None
            and ind.exclude.search(clause)
            and not (
                ind.name == "normative_documents_reviewed"
                and _REVIEWED.search(clause)
                and not re.search(r"清理|废止|报备|报送", clause)
            )
        ):
            continue
        if ind.sentence is not None and not ind.sentence.search(sentence):
            continue
        return ind.name
    return None


_LAWSUIT_NEAR = re.compile(r"起诉|诉讼")


def _prose_figures(index: int, text: str, context: str = "") -> list[Figure]:
    """Figures of one sentence; context (its heading) is read for the words a sentence may leave to it
    ("撤销 29件" under "一、行政复议工作基本情况")."""
    out: list[Figure] = []
    previous: str | None = None  # the indicator of the clause before, in this sentence
    for m in _NUMBER.finditer(text):
        number, scale, measure = m.group(1), m.group(2), m.group(3)
        before = text[max(0, m.start() - 1) : m.start()]
        if (
            before == "第"
            or text[max(0, m.start() - 1) : m.start()] in ("〔", "[", "【")
            or _NOT_FIGURE_AFTER.match(text[m.end() :])
        ):
            continue
        if re.match(r"(?:19|20)\d\d$", number) and measure in ("年",):
            continue
        unit = ("万" if scale and measure in ("元",) else "") + _unit_of(measure)
        if scale == "亿" and measure == "元":
            unit = "亿元"
        value = (
            float(number.replace(",", ""))
            if measure in ("万元", "亿元") or (scale and measure == "元")
            else _value(number, scale, measure)
        )
        clause, part_of = _clause(text, m.start(), m.end())
        at = clause.find(m.group().strip()[: len(number)])
        # "2个街道办事处…": the measure word counts the noun after it, so that noun (and what follows) says
        # what the figure is; "办理行政复议案件123件，" has it before.
        after = text[m.end() :]
        names_after = re.match(r"[\u4e00-\u9fff]", after) and not re.match(r"(?:以上|左右|以下|多|余|的|中|，)", after)
        where = clause[max(at, 0) :] if names_after else clause
        rest = text[m.end() :]
        cut = re.search(r"[，,；;。]", rest)
        indicator = _indicator_for(where, context + text, unit, part_of, rest[cut.start() :] if cut else "", context)
        if indicator == "reconsideration_corrected" and _LAWSUIT_NEAR.search(text[: m.start()].rsplit("复议", 1)[-1]):
            indicator = "lawsuit_losses"  # "经复议后起诉的5件，其中…结果纠正1件": the lawsuit's outcome
        if (
            indicator is None
            and previous == "reconsideration_cases"
            and not part_of
            and _CARRY_ON.match(clause)
            and unit in _BY_NAME[previous].units
        ):
            ind = _BY_NAME[previous]
            if ind.exclude is None or not ind.exclude.search(clause):
                indicator = previous
        previous = indicator if indicator is not None else previous
        if "。" in text[max(0, m.start() - 60) : m.start()].rsplit("。", 1)[-1]:
            previous = indicator
        value = round(value, 6)
        out.append(Figure(index, value, unit, indicator, _noun(clause, max(at, 0), text[m.end() :]), text))
    return out
