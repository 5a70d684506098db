"""Optical character recognition of report pages that are pictures (scanned PDF pages, .png/.jpg/.tif files).

Tesseract with its Simplified Chinese data (Debian: tesseract-ocr, tesseract-ocr-chi-sim) is run as one
process per page, asked for its TSV output: every recognised line with its box, so that the lines go through
the same layout rules as a PDF's text layer (fazhi.reading.layout) and a line the page wrapped does not become
a unit of its own. pytesseract would only wrap the same process call; calling it here saves a dependency.

OMP_THREAD_LIMIT=1: Tesseract's OpenMP threads spin-wait on a busy 2-core machine; one thread read a 150 dpi
A4 page in 1.6 s instead of 9.9 s (same text).

A page goes to Tesseract through fazhi.reading.image.prepare_page: a speckled page (a cheap scanner's, a fax's)
is median-filtered first; a clean one is left as it is, since the filter thins a 150 dpi page's one-pixel strokes.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from typing import Literal

from fazhi.errors import UnreadableFile
from fazhi.reading.layout import Line, visual_width

__all__ = [
    "OCR_MODES",
    "OcrMode",
    "OcrUnavailable",
    "INSTALL_HINT",
    "Progress",
    "check_ocr",
    "ocr_lines",
    "ocr_page",
    "repair_markers",
    "normalize_ocr_text",
]

OcrMode = Literal["auto", "never", "always"]
OCR_MODES: tuple[str, ...] = ("auto", "never", "always")
# (pages done, pages in all): called after each page a reader has finished, OCR or not.
Progress = Callable[[int, int], None]

# The program and language; a test points TESSERACT elsewhere to check the message for a missing engine.
TESSERACT = "tesseract"
LANGUAGE = "chi_sim"
INSTALL_HINT = "install Tesseract and its Chinese data: apt-get install tesseract-ocr tesseract-ocr-chi-sim"
# A page that takes longer than this is a fault of the engine, not a slow page (a dense 150 dpi page takes 2 s).
PAGE_TIMEOUT_S = 300


class OcrUnavailable(UnreadableFile):
    """A page needs OCR and the engine (or its Chinese data) is not installed."""


@functools.lru_cache(maxsize=4)
def _languages(program: str) -> frozenset[str] | None:
    path = shutil.which(program)
    if path is None:
        return None
    try:
        out = subprocess.run([path, "--list-langs"], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return frozenset(l.strip() for l in (out.stdout + out.stderr).splitlines()[1:] if l.strip())


def check_ocr(name: str, why: str) -> None:
    """Raise OcrUnavailable (one line: what needs OCR, what to install) unless Tesseract reads Chinese here."""
    langs = _languages(TESSERACT)
    if langs is None:
        raise OcrUnavailable(
            f"{name}: {why}, but Tesseract is not installed ({INSTALL_HINT}); or give the report as text"
        )
    if LANGUAGE not in langs:
        raise OcrUnavailable(
            f"{name}: {why}, but Tesseract has no {LANGUAGE} (Chinese) data "
            f"(found: {', '.join(sorted(langs)) or 'none'}; {INSTALL_HINT})"
        )


# --- text clean-up -------------------------------------------------------------
_CJK = "\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef"
# Tesseract puts a space between every pair of words; in Chinese there is none.
_SPACE_NEAR_CJK = re.compile(rf"(?<=[{_CJK}])\s+|\s+(?=[{_CJK}])")
_HALF_TO_FULL = {",": "，", ":": "：", ";": "；", "?": "？", "!": "！", "(": "（", ")": "）"}
_HALF_PUNCT_BY_CJK = re.compile(rf"(?<=[{_CJK}])[,:;?!()]|[,:;?!()](?=[{_CJK}])")


def normalize_ocr_text(s: str) -> str:
    """One OCR line as a report prints it: no spaces beside Chinese, full-width punctuation beside Chinese."""
    s = s.strip()
    for _ in range(4):  # "年) :" → "年）:" → "年）：": each pass makes more neighbours full-width
        t = _HALF_PUNCT_BY_CJK.sub(lambda m: _HALF_TO_FULL[m.group()], _SPACE_NEAR_CJK.sub("", s))
        if t == s:
            break
        s = t
    return s


_END_PUNCT = "，。、；：？！）》」』”’,.;:?!)%％“‘《（(「『\"' "


class _Quotes:
    """Chinese quotation marks back from what Tesseract reads them as: '"' opens and closes in turn (“…”), and
    an opening one read as "'" before a Chinese character is “ when a '"' closes it later on the line. The turn
    carries over from line to line of a page, since a quotation may wrap. On a written report printed at
    150 dpi this took the character error rate from 1.02% to 0.42%."""

    def __init__(self) -> None:
        self.open = False

    def __call__(self, line: str) -> str:
        if not re.search(r"[\u4e00-\u9fff]", line):
            return line
        out = []
        for i, ch in enumerate(line):
            if ch == '"':
                out.append("”" if self.open else "“")
                self.open = not self.open
            elif (
                ch == "'"
                and not self.open
                and re.match(r"[\u4e00-\u9fff]", line[i + 1 : i + 2])
                and '"' in line[i + 1 :]
            ):
                out.append("“")
                self.open = True
            else:
                out.append(ch)
        return "".join(out)


_NUMERALS = "一二三四五六七八九十"
_LEVEL1_MISREAD = re.compile(rf"^([{_NUMERALS}]{{1,2}})[,，.．](?=\S)")
_LEVEL1 = re.compile(rf"^[{_NUMERALS}]{{1,2}}、")
_LEVEL2 = re.compile(rf"^[（(]([{_NUMERALS}]{{1,2}})[)）]")
# "（三）" read as one character and a bracket ("伍)", "全)"): one character, not a numeral, then ) at the start.
_LEVEL2_MISREAD = re.compile(rf"^[^\s（(\d{_NUMERALS}\W][)）]")


def repair_markers(paragraphs: list[str]) -> list[str]:
    """Heading markers back from what OCR of a poor scan makes of them: "一," or "一." at the start of a
    paragraph is "一、", and "伍)" (the three strokes of "（三）" read as one character) is the level-2 marker
    that follows the one before it under the same level-1 heading. Only ever applied to OCR text."""
    out = []
    last = 0  # the number of the last （N） under the current level-1 heading
    for p in paragraphs:
        p = _LEVEL1_MISREAD.sub(r"\1、", p)
        if _LEVEL1.match(p):
            last = 0
        elif m := _LEVEL2.match(p):
            last = _NUMERALS.find(m.group(1)[-1]) + 1 if len(m.group(1)) == 1 else last + 1
        elif _LEVEL2_MISREAD.match(p) and last < 9:
            last += 1
            p = f"（{_NUMERALS[last - 1]}）" + p[2:]
        out.append(p)
    return out


# --- the engine --------------------------------------------------------------------
def ocr_lines(image: bytes, dpi: int, name: str, page: int) -> list[tuple[str, float, float, float, float]]:
    """The lines Tesseract reads on one page image (PNG/JPEG/TIFF bytes): (text, left, top, right, height) in pixels,
    in reading order. Raises OcrUnavailable when the engine is missing, UnreadableFile when it fails."""
    check_ocr(name, f"page {page + 1} needs OCR")
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    cmd = [TESSERACT, "stdin", "stdout", "-l", LANGUAGE, "--dpi", str(dpi), "--psm", "3", "tsv"]
    try:
        out = subprocess.run(cmd, input=image, capture_output=True, timeout=PAGE_TIMEOUT_S, env=env, check=False)
    except subprocess.TimeoutExpired:
        raise UnreadableFile(f"{name}: OCR of page {page + 1} took more than {PAGE_TIMEOUT_S} s") from None
    except OSError as exc:
        raise OcrUnavailable(f"{name}: cannot run Tesseract ({exc.strerror or exc}; {INSTALL_HINT})") from None
    if out.returncode != 0:
        msg = out.stderr.decode("utf-8", "replace").strip().splitlines()
        raise UnreadableFile(f"{name}: OCR of page {page + 1} failed ({msg[-1] if msg else f'exit {out.returncode}'})")
    return _tsv_lines(out.stdout.decode("utf-8", "replace"))


def _tsv_lines(tsv: str) -> list[tuple[str, float, float, float, float]]:
    words: dict[tuple[int, int, int, int], list[tuple[int, int, int, int, str]]] = {}
    for record in tsv.splitlines()[1:]:
        f = record.split("\t")
        if len(f) < 12 or f[0] != "5" or not f[11].strip():
            continue
        key = (int(f[1]), int(f[2]), int(f[3]), int(f[4]))  # page, block, paragraph, line
        words.setdefault(key, []).append((int(f[6]), int(f[7]), int(f[8]), int(f[9]), f[11]))
    boxes = []
    for key in sorted(words):
        ws = words[key]
        heights = sorted(w[3] for w in ws)
        boxes.append(
            (
                min(w[0] for w in ws),
                min(w[1] for w in ws),
                max(w[0] + w[2] for w in ws),
                max(w[1] + w[3] for w in ws),
                float(heights[len(heights) // 2]),
                " ".join(w[4] for w in ws),
            )
        )
    # Tesseract sometimes gives the end of a printed line as a block of its own, listed after the page's other
    # blocks: pieces that share a row are one line, read left to right, rows top to bottom.
    boxes.sort(key=lambda b: (b[1], b[0]))
    rows: list[list[tuple[int, int, int, int, float, str]]] = []
    for box in boxes:
        for row in rows:
            top, bottom = min(b[1] for b in row), max(b[3] for b in row)
            overlap = min(bottom, box[3]) - max(top, box[1])
            if overlap > 0.5 * min(bottom - top, box[3] - box[1]):
                row.append(box)
                break
        else:
            rows.append([box])
    lines = []
    for row in sorted(rows, key=lambda r: min(b[1] for b in r)):
        row.sort(key=lambda b: b[0])
        text = normalize_ocr_text(" ".join(b[5] for b in row))
        if text:
            lines.append(
                (
                    text,
                    float(row[0][0]),
                    float(min(b[1] for b in row)),
                    float(max(b[2] for b in row)),
                    max(b[4] for b in row),
                )
            )
    return lines


def ocr_page(image: bytes, dpi: int, name: str, page: int) -> list[Line]:
    """The lines of one page image as layout Lines (y grows up the page, as in a PDF).

    A line's character size is its inked width over its characters (punctuation at its ends, whose ink stops
    short, left out), so that sizes compare like a PDF's font sizes. A line of fewer than six characters has
    too few for that, and Tesseract's boxes of such lines are often much too tall: it takes the page's body size.
    """
    found = ocr_lines(image, dpi, name, page)

    def cells(text: str) -> float:
        return visual_width(text.strip(_END_PUNCT))

    sizes = sorted((r - l) / cells(t) for t, l, _, r, _ in found if cells(t) >= 6)
    body_size = sizes[len(sizes) // 2] if sizes else None
    out = []
    quotes = _Quotes()
    for text, left, top, right, height in found:
        text = quotes(text)
        n = cells(text)
        size = (right - left) / n if n >= 6 or (body_size is None and n) else (body_size or height)
        out.append(Line(text, left, -top, size, page, w=right - left))
    return out
