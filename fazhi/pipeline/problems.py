"""Which flagged units count as problem statements: the one rule every count of problems uses.

The model flags a unit ``problem`` when it states a shortcoming *or opens a
section of them* (TAXONOMY.md, label 2): "二、存在的问题", "（一）存在的不足",
"但也存在一些不足:". A reviewer told "9 problem statements" expects nine
admissions, so summaries, the page, compare and the corpus view count only
the flagged units that state one. This is a reading of the model's output;
labels and the model are unchanged.

A flagged unit **opens a problem section** (shown as that section, not
counted) when

- it is a heading whose own text names no shortcoming ("二、存在问题和困难",
  "七、存在的问题和下一步打算"); a heading that names one ("（六）法治人才队伍支撑
  不足。") states it and is counted; or
- it is a lead-in: a short unit (at most LEAD_IN_MAX_CHARS characters) ending
  in ：/: or 如下 ("主要是：", "对照上级要求，我局工作还有一些差距，主要表现在："), or
  a unit whose own text names no shortcoming once the generic words for one
  (存在一些问题/不足/短板/差距/薄弱环节) are set aside ("总的看，全厅法治建设虽有
  进展，但也存在一些薄弱环节。").

Every other flagged unit **states a problem** and is counted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from fazhi.pipeline.segment import heading_level

__all__ = [
    "LEAD_IN_MAX_CHARS",
    "names_shortcoming",
    "is_lead_in",
    "opens_problem_section",
    "states_problem",
    "problem_statements",
    "problem_sections",
    "is_problem_heading",
    "problem_section_flags",
]

# A lead-in that ends in a colon is one clause; the longest in the seeds and written reports is 29 characters.
LEAD_IN_MAX_CHARS = 60

_Row = Mapping[str, Any]

# The generic words for "a shortcoming": they open a section of problems without naming one.
_GENERIC_NOUN = r"(?:问题|不足之处|不足|短板|弱项|差距|薄弱环节|薄弱之处|困难|挑战|短处)"
_QUALIFIER = r"(?:一些|一定的?|部分|不少|诸多|以下|如下|这些|几个|若干|某些|明显的?|较多|许多)"
_CONCERN = r"(?:不容忽视|亟待解决|需要改进|需要正视|需要解决|值得注意|值得重视)"
# 问题和不足, 不足与短板: one generic noun joined to the next.
_MORE = rf"(?:(?:[和与及、]|以及)(?:突出|主要)?{_GENERIC_NOUN})*"
_GENERIC = re.compile(
    # 存在一些不容忽视的问题, 仍有差距, 还存在着以下不足, 工作中的不足和短板, 问题与短板, 这些问题, 不足及原因
    rf"(?:(?:存在|有)着?{_QUALIFIER}*(?:{_CONCERN})?的?(?:突出|主要|薄弱)?的?{_GENERIC_NOUN}{_MORE}"
    rf"|(?:这些|上述|以上|主要|突出|以下)的?{_GENERIC_NOUN}{_MORE}"
    rf"|的{_GENERIC_NOUN}(?![过较很]){_MORE}"
    rf"|{_GENERIC_NOUN}(?:[和与及、]|以及)"
    rf"|^{_GENERIC_NOUN})"
)
# What a statement of a shortcoming says: the evaluative words of TAXONOMY.md label 2 and their kin.
# 不 counts except where it opens a word that is no judgement (不断 continuously, 不仅, 不得 must not, 不少, ...).
_SHORTCOMING = re.compile(
    r"不(?!断|仅|但|论|得|少|同|再|忘|懈|折不扣|移|让|容)|未|尚无|没有|无法|无预算|无人|缺|欠|弱|薄|滞后|有待|亟待|亟需|亟须|仍需|还需|尚需"
    r"|需要进一步|偏[低少长大高慢弱多重小窄]|较[低少弱慢差长窄]|低于|高于|相差|过[多少长高低大]|单一|粗糙|缓慢|迟缓|老化|老龄|空白|盲区"
    r"|瑕疵|漏洞|窄|局限|突出|压力[较很]?大|困难[较很]?[多大]|瓶颈|隐患|风险|短板|弱项|难以|难度|难点|参差|失衡|脱节|流于形式|重[^，。；]{1,8}轻|仍有发生"
    r"|时有发生|反复出现|屡[审查]屡犯|败诉|撤销|纠错|退回|未果|仅有?|只有|尚[未不]|还[不没]|较为传统|任务重|问题较多|疲于|应付|敷衍"
    r"|超负荷|超(?:预算|标准|范围|期限|时限|编制)|高位运行|占用|违规|违反|违法|闲置|多[付计支]|骗取|谋取|私利|雷同|拖延|沉淀"
    r"|存在[^，。；：:]{2,24}?(?:的)?(?:情况|现象|问题|倾向)"
    # what audits and inspections find: late, over the limit, diverted, kept back, relapsed, still applying what is void
    r"|超[过出][^，。；]{0,10}(?:期限|时限|规定|标准|范围)|逾期|滞留|截留|挪用|挤占|套取|用于弥补|用于非|代替整改|以[^，。；]{1,6}代替"
    r"|反弹|扣分|重复检查|多头检查|已(?:经)?(?:废止|失效|明令取消)|沿用|未经|擅自"
)
_LEAD_IN_END = re.compile(r"(?:[：:]|如下[：:。．.]?)\s*$")


def names_shortcoming(text: str) -> bool:
    """True when text names a shortcoming of its own, beyond the generic words that open a section of them."""
    return bool(_SHORTCOMING.search(_GENERIC.sub("", text)))


_ITEM = re.compile(r"^(?:[一二三四五六七八九十]+是|第[一二三四五六七八九十]+[，,、]?)")


def is_lead_in(text: str) -> bool:
    """True for a unit that only leads into problem statements: short and ending in ：/: or 如下, or naming none.

    An item of a numbered list ("六是…仍有薄弱之处；", or "三、工作质量和效果与要求还存在较大差距；" holding none of the
    generic words) is one of the statements a lead-in opens, not a lead-in, even where its wording names no
    shortcoming we know.
    """
    stripped = text.strip()
    if len(stripped) <= LEAD_IN_MAX_CHARS and _LEAD_IN_END.search(stripped):
        return True
    if _ITEM.match(stripped) or (heading_level(stripped) is not None and not _GENERIC.search(stripped)):
        return False  # 二是… items are never a section's title; 三、… is, when it holds only the generic words
    return not names_shortcoming(stripped)


def opens_problem_section(row: _Row) -> bool:
    """A flagged unit that opens a section of problems (a heading or lead-in naming none) rather than stating one."""
    if not row.get("problem"):
        return False
    text = row.get("text", "")
    if row.get("is_heading"):
        return not names_shortcoming(text)
    return is_lead_in(text)


def states_problem(row: _Row) -> bool:
    """The count rule: a flagged unit that states a shortcoming (not a heading or lead-in that only opens a section)."""
    return bool(row.get("problem")) and bool(row.get("text", "").strip()) and not opens_problem_section(row)


def problem_statements(rows: Iterable[_Row]) -> list[_Row]:
    """The rows that count as problem statements, in order."""
    return [r for r in rows if states_problem(r)]


def problem_sections(rows: Iterable[_Row]) -> list[_Row]:
    """The flagged rows that open a section of problems (headings and lead-ins), in order."""
    return [r for r in rows if opens_problem_section(r)]


# A heading that names the problems section even when the model did not flag it ("二、存在的问题").
def is_problem_heading(row: _Row) -> bool:
    """A heading that opens a section of problems: flagged by the model, or made of the generic words for one."""
    if not row.get("is_heading"):
        return False
    text = row.get("text", "")
    return bool(row.get("problem")) or (bool(_GENERIC.search(text)) and not names_shortcoming(text))


def problem_section_flags(rows: Sequence[_Row]) -> list[bool]:
    """For each row in report order, True when it sits in a section of problems (the section's heading included).

    A section of problems opens at a problem heading and runs to the next heading
    of its level or above that is not one; headings below it (（一）…) stay inside.
    """
    flags: list[bool] = []
    open_level: int | None = None  # outline level of the problem heading whose section is open
    for r in rows:
        if r.get("is_heading"):
            level = heading_level(r.get("text", "").strip()) or 1
            if is_problem_heading(r):
                if open_level is None or level <= open_level:
                    open_level = level
            elif open_level is not None and level <= open_level:
                open_level = None
        flags.append(open_level is not None)
    return flags
