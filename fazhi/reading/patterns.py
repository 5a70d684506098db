"""Heading markers (一、 （一） 1. 第X部分 第X条…): the patterns both the readers' layout rules and the segmenter
use, kept here in the reading layer so that reading never imports the pipeline above it."""

from __future__ import annotations

import re

__all__ = ["CN_NUM", "HEADING_PATTERNS", "heading_level", "starts_heading"]

CN_NUM = "一二三四五六七八九十"
HEADING_PATTERNS: list[tuple[int, re.Pattern[str]]] = [
    (1, re.compile(rf"^第[{CN_NUM}]+[部分章节]")),
    (1, re.compile(rf"^[{CN_NUM}]{{1,3}}\s*[、.．]")),
    (2, re.compile(rf"^[（(]\s*[{CN_NUM}]{{1,3}}\s*[)）]")),
    (3, re.compile(r"^\d{1,2}\s*[、．](?!\d)|^\d{1,2}\.(?!\d)")),
    (4, re.compile(r"^[（(]\s*\d{1,2}\s*[)）]")),
    (5, re.compile(r"^[①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳]")),
]
# An article of a regulation (第三条, 第12条): starts its own paragraph in a printed layout, though the
# segmenter gives it no outline level.
_ARTICLE = re.compile(r"^第[一二三四五六七八九十百零〇\d]+条")


def heading_level(text: str) -> int | None:
    """Outline level of a heading marker at the start of text (1 = 一、), else None."""
    for level, pattern in HEADING_PATTERNS:
        if pattern.match(text):
            return level
    return None


def starts_heading(text: str) -> bool:
    """Whether a printed line opens with a heading marker or an article number (第X条)."""
    text = text.strip()
    return heading_level(text) is not None or bool(_ARTICLE.match(text))
