"""The indicators a key figure may count (what names each in a clause, its units, what rules it out), and the
figure itself."""

from __future__ import annotations

import re
from dataclasses import dataclass


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
