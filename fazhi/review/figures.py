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
from dataclasses import dataclass

from fazhi.review.outline import report_title

__all__ = ["INDICATORS", "Figure", "extract_figures", "figure_rows", "FIGURE_COLUMNS"]


@dataclass(frozen=True)
class _Indicator:
    name: str
    subject: re.Pattern[str]  # in the figure's clause
    units: frozenset[str]
    exclude: re.Pattern[str] | None = None  # in the clause: the number is something else
    sentence: re.Pattern[str] | None = None  # needed somewhere in the sentence
    # (in the heading context, in the clause): a subject the clause may leave to its heading
    under: tuple[re.Pattern[str], re.Pattern[str]] | None = None


_COUNT = frozenset({"件", "起", "宗", "件次"})
_PCT = frozenset({"%"})
INDICATOR_LIST: tuple[_Indicator, ...] = (
    _Indicator("court_appearance_rate", re.compile(r"出庭(?:应诉)?率"), _PCT),
    _Indicator("lawsuit_loss_rate", re.compile(r"败诉率"), _PCT),
    _Indicator("reconsideration_correction_rate", re.compile(r"纠错率|直接纠错率"), _PCT),
    # 纠错 is the sum of 撤销, 变更, 确认违法, 确认无效 and 责令履行 (the reports' own totals add up so); a count
    # qualified by its cause ("因程序违法被撤销的9件") is a breakdown.
    _Indicator(
        "reconsideration_corrected",
        re.compile(r"纠错|纠正|撤销|确认违法|确认无效|责令(?:履行|限期履行)|变更"),
        _COUNT,
        re.compile(r"率|诉讼|执法|侦查|问题|差错|案卷|因"),
        re.compile(r"复议"),
    ),
    _Indicator(
        "reconsideration_cases",
        re.compile(r"行政复议|复议(?:案件|申请)"),
        _COUNT,
        re.compile(
            r"纠错|纠正|撤销|确认违法|责令|维持|驳回|不予受理|终止|变更|调解|和解|诉讼|应诉|率|结转|便民|联络点|意见书|建议书|人员"
        ),
    ),
    _Indicator("lawsuit_losses", re.compile(r"败诉"), _COUNT, re.compile(r"率")),
    _Indicator(
        "lawsuits",
        re.compile(r"行政诉讼|行政应诉|应诉案件|被告|起诉|一审.{0,4}案件|诉讼案件"),
        _COUNT,
        re.compile(r"败诉|胜诉|出庭|维持|驳回|审结|撤诉|调解|委托|率|结转|纠正"),
    ),
    # Under "（一）主动公开" a clause says only "发布各类政府信息6238条": the heading gives it its subject.
    _Indicator(
        "proactive_disclosures",
        re.compile(r"主动公开[^，；。]{0,6}信息|公开[^，；。]{0,4}政府信息"),
        frozenset({"条", "件"}),
        re.compile(r"申请|率"),
        under=(re.compile(r"主动公开"), re.compile(r"(?:发布|公开)[^，；。]{0,6}信息")),
    ),
    _Indicator(
        "disclosure_requests",
        re.compile(r"依申请公开|公开申请|信息公开申请|新收.{0,8}申请|收到.{0,6}申请"),
        frozenset({"件", "份", "个"}),
        re.compile(r"予以公开|部分公开|不予|结转|率|复议|诉讼|无法提供|不予处理"),
        re.compile(r"公开"),
    ),  # "收到申请数：428件" of a reconsideration report is no disclosure request
    _Indicator(
        "normative_documents_reviewed",
        re.compile(r"规范性文件"),
        frozenset({"件", "份"}),
        re.compile(r"清理|废止|修改|失效|继续有效|现行有效|本年废止|纠正|报备|报送"),
        None,
    ),
    _Indicator(
        "major_decisions_reviewed",
        re.compile(r"重大(?:行政)?决策"),
        frozenset({"件", "项"}),
        re.compile(r"目录|率"),
        re.compile(r"审查|审核|把关"),
    ),
    _Indicator(
        "penalty_cases",
        re.compile(r"行政处罚|处罚案件|立案查处|查处.{0,8}案件|处罚决定"),
        frozenset({"件", "起", "宗", "份"}),
        re.compile(r"免罚|不予处罚|减轻|从轻|罚没|金额|率|听证|复议|诉讼|案卷|事项|裁量|审核|重大"),
    ),
    _Indicator(
        "disputes_resolved",
        re.compile(
            r"(?:化解|调解|调处|调解成功|调处成功)[^，；。]{0,10}纠纷|"
            r"纠纷[^，；。]{0,6}(?:化解|调解|调处)|调解成功|调处成功|化解.{0,6}矛盾|矛盾纠纷"
        ),
        frozenset({"件", "起", "宗"}),
        re.compile(r"排查|受理|率|来访|信访|投诉"),
    ),  # "14个社区…调解室": not disputes
    _Indicator("legal_advisers", re.compile(r"法律顾问"), frozenset({"名", "人", "位"}), re.compile(r"意见|次|份|件")),
)
INDICATORS: tuple[str, ...] = tuple(i.name for i in INDICATOR_LIST)
_BY_NAME = {i.name: i for i in INDICATOR_LIST}

_MEASURE = (
    "个工作日|件次|人次|户次|家次|批次|万元|亿元|余件|余人|余条|余次|余名|余个|余起|余家|余项|"
    "件|次|人|条|个|项|名|起|宗|份|篇|场|期|家|户|卷|批|笔|张|所|支|元|吨|套|台|天|小时|%|％"
)
_NUMBER = re.compile(rf"(?<![\d.])(\d+(?:,\d{{3}})*(?:\.\d+)?)\s*(万|亿)?\s*({_MEASURE})")
_NOT_FIGURE_AFTER = re.compile(r"^(?:年|月|日|号|届|版|期间|时|分)")
_CLAUSE_CUT = re.compile(r"[，,；;。：:！？、]|其中")


@dataclass(frozen=True)
class Figure:
    index: int
    value: float
    unit: str
    indicator: str | None
    noun: str
    text: str
    table: bool = False

    def as_dict(self) -> dict:
        value: float | int = int(self.value) if float(self.value).is_integer() else self.value
        return {
            "index": self.index,
            "indicator": self.indicator,
            "value": value,
            "unit": self.unit,
            "noun": self.noun,
            "text": self.text,
            "table": self.table,
        }


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


# --- the 2021 format's tables ----------------------------------------------------------------------
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
