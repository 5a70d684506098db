"""A unit's context: the report's title and the headings above the unit.

Many real units only get their area from where they stand (TAXONOMY rule 11):
三是职权分解工作不到位 under a heading on enforcement, 无法提供26件 in a
disclosure report. The model reads such a unit with its context as a second
segment, for example

    某区2023年政府信息公开工作年度报告 › 三、收到和处理政府信息公开申请情况

Training builds the same context for labelled reports from their units (the
label rows are the segmenter's units, in order), so training and prediction
see contexts made by one function. A unit without a report around it (a
single sentence, a hard case) has the empty context.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence

from fazhi.labels import Row
from fazhi.pipeline.segment import Unit, segment

__all__ = ["SEPARATOR", "document_title", "unit_contexts", "row_contexts"]

SEPARATOR = " › "
# The genre sits at the end of a title (…政府信息公开工作年度报告), the topic at
# the start of a heading (三、收到和处理…): keep those ends when cutting.
TITLE_CHARS = 24
HEADING_CHARS = 16
HEADINGS_KEPT = 2
_TITLE_WORDS = re.compile(r"报告|总结|通报|要点|年报|情况|方案|意见|公报|说明|计划|纪要")
_TITLE_SEARCH_UNITS = 6
_CJK = re.compile(r"[\u4e00-\u9fff]")
_DOC_NUMBER = re.compile(r"〔\d{4}〕|\[\d{4}\]|\d{4}年\d{1,2}月\d{1,2}日$")


def _could_be_title(text: str) -> bool:
    return (
        len(_CJK.findall(text)) >= 6
        and len(text) <= 80
        and text[-1] not in "。；;：:！!？?，,"
        and not _DOC_NUMBER.search(text)
    )


def document_title(units: Sequence[Unit]) -> str:
    """The report's title: among its opening units (before the first heading), the first that names a
    document kind (报告, 总结, 通报 …), else the first that could be a title at all, else ''."""
    opening = []
    for u in units[:_TITLE_SEARCH_UNITS]:
        if u.is_heading:
            break
        if _could_be_title(u.text.strip()):
            opening.append(u.text.strip())
    named = [t for t in opening if _TITLE_WORDS.search(t)]
    return (named or opening or [""])[0]


def context_string(title: str, path: Sequence[str]) -> str:
    parts = [title[-TITLE_CHARS:]] + [h[:HEADING_CHARS] for h in path[-HEADINGS_KEPT:]]
    return SEPARATOR.join(p for p in parts if p)


def unit_contexts(units: Sequence[Unit]) -> list[str]:
    """The context of every unit of one report. The title itself gets no context of its own."""
    title = document_title(units)
    out = []
    for u in units:
        out.append("" if u.text == title and not u.path else context_string(title, u.path))
    return out


def row_contexts(rows: Sequence[Row]) -> list[str]:
    """Contexts for label rows: a row that carries its context keeps it; the other rows of a report (a doc
    named *.txt) are its units in order, so the report is rebuilt from them and segmented again; any other
    row (a hard case) gets ''."""
    by_doc: dict[str, list[int]] = defaultdict(list)
    out = [""] * len(rows)
    for i, r in enumerate(rows):
        if r.context is not None:
            out[i] = r.context
        elif r.doc.endswith(".txt"):
            by_doc[r.doc].append(i)
    for doc, idx in by_doc.items():
        texts = [rows[i].text for i in idx]
        units = segment("\n".join(texts))
        if [u.text for u in units] != texts:
            raise ValueError(f"the units of {doc} do not segment back into themselves; run tools/realign_labels.py")
        for i, c in zip(idx, unit_contexts(units), strict=True):
            out[i] = c
    return out
