"""PDF reports with a text layer: lines wrapped by the page layout are joined back into paragraphs."""

from __future__ import annotations

import io
import re
import unicodedata
from dataclasses import dataclass

from fazhi.errors import UnreadableFile

_PAGE_NUMBER = re.compile(r"^\s*(?:[-—–－]\s*\d{1,4}\s*[-—–－]|第\s*\d{1,4}\s*页(?:\s*[,，/]?\s*共\s*\d{1,4}\s*页)?|\d{1,4}\s*/\s*\d{1,4}|\d{1,4})\s*$")
_SENTENCE_END = "。！？；!?;：:"


def _visual_width(s: str) -> float:
    """Width in full-width character cells: CJK and full-width forms count 1, others ½."""
    w = 0.0
    for ch in s:
        w += 1.0 if unicodedata.east_asian_width(ch) in ("W", "F", "A") else 0.5
    return w


def _starts_heading(line: str) -> bool:
    from fazhi.pipeline.segment import heading_level

    return heading_level(line.strip()) is not None


@dataclass
class _Line:
    text: str
    x: float
    y: float
    size: float
    page: int

    @property
    def width(self) -> float:
        return _visual_width(self.text) * self.size

    @property
    def right(self) -> float:
        return self.x + self.width


def _page_lines(page, page_no: int) -> list[_Line]:
    """The text lines of one page with the position and font size where each starts, top to bottom."""
    lines: list[_Line] = []
    buf: list[str] = []
    pos: list[float] | None = None

    def flush() -> None:
        nonlocal pos
        text = "".join(buf).strip()
        buf.clear()
        if text and pos is not None:
            lines.append(_Line(text, pos[0], pos[1], pos[2], page_no))
        pos = None

    def visit(text: str, cm, tm, _font_dict, font_size) -> None:
        nonlocal pos
        if not text:
            return
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        size = abs(font_size * (tm[3] * cm[3] + tm[1] * cm[2])) or abs(font_size) or 1.0
        parts = text.split("\n")
        for k, part in enumerate(parts):
            if pos is None and part.strip():
                pos = [x, y, size]
            buf.append(part)
            if k < len(parts) - 1:
                flush()

    page.extract_text(visitor_text=visit)
    flush()
    lines.sort(key=lambda l: -l.y)  # top to bottom; stable for lines on one baseline
    for end in (0, -1):  # a page number above or below the text
        if lines and _PAGE_NUMBER.match(lines[end].text):
            lines.pop(end)
    return lines


def _median(values: list[float]) -> float:
    values = sorted(values)
    return values[len(values) // 2] if values else 0.0


def _join_wrapped(lines: list[_Line]) -> list[str]:
    """Join lines the page layout wrapped back into paragraphs, from their positions.

    A new paragraph starts at a change of font size, an indented line, or a
    wider gap than the line spacing. Otherwise a line continues into the next
    when it reaches the right margin (within two characters), or when it stops
    short with no sentence punctuation (a line cut early before an unbreakable
    number, a wrapped centred title) and the next line opens no heading.
    """
    if not lines:
        return []
    sizes = [round(l.size, 1) for l in lines]
    left = _median([round(l.x) for l in lines if round(l.size, 1) == _median(sizes)])
    wide = [l.right for l in lines if _visual_width(l.text) >= 10]
    right = sorted(wide)[int(len(wide) * 0.8)] if wide else max(l.right for l in lines)
    gaps = [a.y - b.y for a, b in zip(lines, lines[1:], strict=False) if a.page == b.page and round(a.size, 1) == round(b.size, 1) and a.y > b.y]
    leading = _median(gaps) or 1.5 * _median(sizes)
    middle = (left + right) / 2

    def indented(l: _Line) -> bool:
        return l.x - left > 0.5 * l.size

    def centred(l: _Line) -> bool:
        return l.x - left > 2 * l.size and abs(l.x + l.width / 2 - middle) < 1.5 * l.size

    paragraphs: list[str] = []
    current = ""
    for i, line in enumerate(lines):
        current += line.text
        nxt = lines[i + 1] if i + 1 < len(lines) else None
        joins = False
        if nxt is not None and abs(nxt.size - line.size) < 0.5:
            ends_sentence = line.text[-1] in _SENTENCE_END
            next_heading = _starts_heading(nxt.text)
            wide_gap = nxt.page == line.page and line.y - nxt.y > 1.4 * leading
            reaches_right = line.right >= right - 2 * line.size
            if centred(nxt) and (centred(line) or reaches_right):
                joins = not ends_sentence and not wide_gap
            elif indented(nxt) or wide_gap:
                joins = False
            elif reaches_right:
                joins = True
            else:
                joins = not ends_sentence and not next_heading
        if not joins:
            paragraphs.append(current)
            current = ""
    if current:
        paragraphs.append(current)
    return paragraphs


def pdf_to_text(raw: bytes, name: str = "<pdf>") -> str:
    """The text layer of a PDF, with page numbers dropped and wrapped lines joined into paragraphs."""
    import logging

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(raw))
        if reader.is_encrypted:
            try:
                ok = bool(reader.decrypt(""))
            except Exception:
                ok = False
            if not ok:
                raise UnreadableFile(f"{name}: the PDF is encrypted with a password")
        lines = [line for i, page in enumerate(reader.pages) for line in _page_lines(page, i)]
    except UnreadableFile:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, OSError, RecursionError) as exc:
        raise UnreadableFile(f"{name}: damaged or unreadable PDF ({exc.__class__.__name__}: {exc})") from None
    except Exception as exc:
        raise UnreadableFile(f"{name}: damaged or unreadable PDF ({exc.__class__.__name__}: {exc})") from None
    if not lines:
        n = len(reader.pages)
        raise UnreadableFile(f"{name}: the PDF has no text layer ({n} page{'s' if n != 1 else ''}; a scanned document needs OCR first)")
    return "\n".join(_join_wrapped(lines)) + "\n"
