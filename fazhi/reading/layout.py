"""Printed lines → paragraphs: the layout rules shared by a PDF's text layer and OCR of page images.

A page prints a paragraph as several lines and a heading as one short line; the segmenter wants one
paragraph or heading per line. The rules read where each line starts and ends, its size and weight, the gap
above it and the words it opens with, so that a layout without first-line indents keeps its headings:

- a new paragraph starts at a change of font size (or of weight after a sentence end), an indented line, a
  wider gap than the line spacing, or a heading marker (一、 （一） 1. 第X条…) after a finished line;
- a line continues into the next when the next line's first word would not have fitted at its end (the
  printer wrapped it), and ends its paragraph when it stops short with room to spare;
- page numbers and running headers and footers (the same line at the top or bottom of most pages) go;
- consecutive lines split into cells (a PDF table) are read as table rows (fazhi.reading.tables).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace

from fazhi.reading.patterns import starts_heading
from fazhi.reading.tables import table_lines

__all__ = ["Line", "join_wrapped", "drop_page_furniture", "visual_width"]

_PAGE_NUMBER = re.compile(
    r"^\s*(?:[-—–－]\s*\d{1,4}\s*[-—–－]|第\s*\d{1,4}\s*页(?:\s*[,，/]?\s*共\s*\d{1,4}\s*页)?|\d{1,4}\s*/\s*\d{1,4}|\d{1,4}"
    r"|[-—–－]?\s*[（(]?\s*\d{1,4}\s*[)）]?\s*[-—–－]?)\s*$"
)
_SENTENCE_END = "。！？；!?;：:"
_CLOSERS = "”’」』）)】》\"'"
# Characters a Chinese line may not start with: the printer moves the one before them down too.
_NO_LINE_START = "，。、；：？！）》」』”’,.;:?!)%％"
_ASCII_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9.,%/:\-_+]*")
# ... and characters a line may not end with: they go down with what follows them.
_NO_LINE_END = "“‘《（(「『【〔［["


def visual_width(s: str) -> float:
    """Width in full-width character cells: CJK and full-width forms count 1, others ½."""
    w = 0.0
    for ch in s:
        w += 1.0 if unicodedata.east_asian_width(ch) in ("W", "F", "A") else 0.5
    return w


@dataclass
class Line:
    """One printed line: where it starts (x, and y growing up the page), its character size and page.

    w: its printed width where the source knows it (OCR boxes); else estimated from the characters.
    """

    text: str
    x: float
    y: float
    size: float
    page: int
    bold: bool = False
    w: float | None = None
    cells: list[str] | None = None  # a table row: the text of each cell, left to right
    split: list[str] | None = None  # the text split at gaps wide enough to part cells, where the source knows them

    @property
    def width(self) -> float:
        return self.w if self.w is not None else visual_width(self.text) * self.size

    @property
    def right(self) -> float:
        return self.x + self.width


def _first_word_width(text: str, size: float) -> float:
    """Width of what the printer could not break off the start of a line: an ASCII run, or a character with
    the punctuation that may not start a line after it."""
    k = 0
    while k < len(text) - 1 and text[k] in _NO_LINE_END:
        k += 1
    m = _ASCII_WORD.match(text, k)
    k = m.end() if m else k + 1
    while k < len(text) and (text[k] in _NO_LINE_START or "\xa0" in (text[k], text[k - 1])):
        k += 1  # a no-break space holds the next character on the line too
    return visual_width(text[:k]) * size


def _median(values: list[float]) -> float:
    values = sorted(values)
    return values[len(values) // 2] if values else 0.0


def _same_size(a: Line, b: Line) -> bool:
    return abs(a.size - b.size) < max(0.5, 0.12 * max(a.size, b.size))


def _furniture_key(text: str) -> str:
    return re.sub(r"\d+", "#", re.sub(r"\s+", "", text))


def drop_page_furniture(pages: list[list[Line]]) -> list[list[Line]]:
    """Pages without their page numbers and running headers and footers.

    A page number is a line of just a number ('- 3 -', '第3页 共9页', '3/9') at the top or bottom of a page;
    a running header or footer is a line (numbers aside) that stands among the top or bottom two lines of at
    least two pages and half of them.
    """
    counts: dict[str, int] = {}
    for lines in pages:
        edge = {_furniture_key(l.text) for l in lines[:2] + lines[-2:]}
        for key in edge:
            counts[key] = counts.get(key, 0) + 1
    running = {k for k, n in counts.items() if n >= 2 and n * 2 >= len(pages)}
    out = []
    for lines in pages:
        lines = list(lines)
        for _ in range(2):
            for end in (0, -1):
                if lines and (_PAGE_NUMBER.match(lines[end].text) or _furniture_key(lines[end].text) in running):
                    lines.pop(end)
        out.append(lines)
    return out


@dataclass
class _Margins:
    """Where a page's body text starts and ends, and its line spacing: what join_wrapped reads each line against."""

    left: float
    right: float
    right_max: float  # the margin a wrapped line could have reached: the longest lines, a stray one aside
    leading: float

    @property
    def middle(self) -> float:
        return (self.left + self.right) / 2

    def indented(self, l: Line) -> bool:
        return l.x - self.left > 0.5 * l.size

    def centred(self, l: Line) -> bool:
        return l.x - self.left > 2 * l.size and abs(l.x + l.width / 2 - self.middle) < 1.5 * l.size


def _margins(lines: list[Line]) -> _Margins:
    """The margins and line spacing of the body text: the median size's lines, the wide lines' right ends."""
    body_size = _median([round(l.size, 1) for l in lines])
    left = _median([round(l.x) for l in lines if abs(l.size - body_size) < max(0.5, 0.12 * body_size)])
    wide = sorted(l.right for l in lines if visual_width(l.text) >= 10)
    right = wide[int(len(wide) * 0.8)] if wide else max(l.right for l in lines)
    right_max = wide[int(len(wide) * 0.95)] if wide else right
    gaps = [
        a.y - b.y for a, b in zip(lines, lines[1:], strict=False) if a.page == b.page and _same_size(a, b) and a.y > b.y
    ]
    leading = _median(gaps) or 1.5 * body_size
    return _Margins(left, right, right_max, leading)


def _tables(lines: list[Line]) -> tuple[dict[int, list[str]], set[int]]:
    """Two or more lines in a row split into cells are a table: read by rows, figures after their headers.

    Returns the table rows' text at each table's first line and the indices of all table lines. A header row found
    above a table is marked in lines (the caller's copy) as split into its cells.
    """
    table_at: dict[int, list[str]] = {}
    in_table: set[int] = set()
    k = 0
    while k < len(lines):
        if not lines[k].cells:
            k += 1
            continue
        # A two-column table's header row ("项目 | 本年处理决定数量") holds no figure, so it is no row by itself;
        # a line above split into as many cells is its header, on the page before too when the table broke.
        above = lines[k - 1] if k > 0 and k - 1 not in in_table else None
        if above is not None and not above.cells and len(above.split or []) == len(lines[k].cells or []) >= 2:
            k -= 1
            lines[k] = replace(above, cells=above.split)
        end = k
        while end + 1 < len(lines) and lines[end + 1].cells:
            end += 1
        if end > k:
            table_at[k] = table_lines([list(l.cells or []) for l in lines[k : end + 1]])
            in_table.update(range(k, end + 1))
        k = end + 1
    return table_at, in_table


def _joins(line: Line, nxt: Line, m: _Margins) -> bool:
    """Whether line's paragraph goes on into nxt, a line of the same size (see the module doc)."""
    ends_sentence = line.text.rstrip(_CLOSERS)[-1:] in _SENTENCE_END
    next_heading = starts_heading(nxt.text)
    wide_gap = nxt.page == line.page and line.y - nxt.y > 1.4 * m.leading
    reaches_right = line.right >= m.right - 2 * line.size
    # The printer wrapped this line: the next one's first word would not have fitted after it.
    wrapped = line.right + _first_word_width(nxt.text, nxt.size) > m.right_max - 0.25 * line.size
    if m.centred(nxt) and (m.centred(line) or reaches_right):
        return not ends_sentence and not wide_gap
    if m.indented(nxt) or wide_gap:
        return False
    if nxt.bold != line.bold and ends_sentence:
        return False
    if next_heading and (ends_sentence or not reaches_right):
        return False
    return wrapped or (reaches_right and not ends_sentence)


def join_wrapped(lines: list[Line]) -> list[str]:
    """Join the lines the page layout wrapped back into paragraphs, from their positions (see the module doc)."""
    if not lines:
        return []
    margins = _margins(lines)
    lines = list(lines)  # a header row found by _tables is marked in this copy, not in the caller's lines
    table_at, in_table = _tables(lines)
    paragraphs: list[str] = []
    current = ""
    for i, line in enumerate(lines):
        if i in in_table:
            if current:
                paragraphs.append(current)
                current = ""
            paragraphs.extend(table_at.get(i, []))
            continue
        current += line.text
        nxt = lines[i + 1] if i + 1 < len(lines) else None
        if nxt is None or i + 1 in in_table or not _same_size(nxt, line) or not _joins(line, nxt, margins):
            paragraphs.append(current)
            current = ""
    if current:
        paragraphs.append(current)
    return paragraphs
