"""PDF reports: the text layer page by page, OCR for pages that have none, lines joined into paragraphs.

pypdf opens the file (encryption, damage, pictures); pdfium (pypdfium2) gives the text layer with each
character's box, size and weight. A page without a text layer (a scan) is drawn by pdfium at OCR_DPI and read
by Tesseract (fazhi.reading.ocr) when ``ocr`` is "auto"; "always" reads every page by OCR, "never" none.
Lines of both kinds go through the same layout rules (fazhi.reading.layout).
"""

from __future__ import annotations

import io
import logging
import os
from concurrent.futures import Future, ThreadPoolExecutor

from fazhi.errors import UnreadableFile
from fazhi.reading.image import prepare_page
from fazhi.reading.layout import Line, drop_page_furniture, join_wrapped
from fazhi.reading.ocr import OCR_MODES, OcrMode, Progress, check_ocr, ocr_page, repair_markers
from fazhi.reading.tables import is_figure

# 150 dpi: the resolution of most scans published online; Tesseract read a 150 dpi page as well as the same
# page drawn at 300 dpi, in 1.6 s instead of 2.1 s.
OCR_DPI = 150
# Pages read by OCR at once: one Tesseract process per core. A 4-page scan costs 5.4 s of Tesseract CPU either
# way; with the machine's 2 cores shared (load 3.3) two processes took 9.0-9.5 s against 9.9-10.3 s for one.
OCR_WORKERS = max(1, min(4, os.cpu_count() or 1))
# A page with fewer characters than this in its text layer and a picture is read as a scan.
_FEW_CHARS = 20


def _has_image(page) -> bool:
    try:
        xobjects = page["/Resources"].get_object().get("/XObject")
        if xobjects is None:
            return False
        xobjects = xobjects.get_object()
        return any(xobjects[k].get_object().get("/Subtype") == "/Image" for k in xobjects)
    except Exception:
        return False


def _origin_x(pdfium_c, textpage, k: int) -> float:
    """Where character k starts on its line (its origin: loose boxes of half-width glyphs can start late)."""
    import ctypes

    x, y = ctypes.c_double(), ctypes.c_double()
    pdfium_c.FPDFText_GetCharOrigin(textpage.raw, k, ctypes.byref(x), ctypes.byref(y))
    return x.value


# A gap this many characters wide between two inked characters of a line separates table cells (a default
# reportlab table leaves 1.2); words of prose, "首页 > 政务公开" menus and justified lines stay under one.
_CELL_GAP = 1.0


def _split_cells(inked: list[tuple[str, float, float, float, float, int]], size: float) -> list[str]:
    """A line's text split at the gaps wide enough to part table cells (one piece for prose)."""
    cells = [inked[0][0]]
    for prev, ch in zip(inked, inked[1:], strict=False):
        if ch[1] - prev[3] > _CELL_GAP * size:
            cells.append("")
        cells[-1] += ch[0]
    return cells


def _cells(cells: list[str]) -> list[str] | None:
    """The cells of a line printed as a table row, or None: three or more cells, or two with a figure."""
    if len(cells) >= 3 or (len(cells) == 2 and any(is_figure(c) for c in cells)):
        return cells
    return None


def _page_lines(document, page_no: int) -> list[Line]:
    """The text lines of one page, top to bottom, with the box, font size and weight pdfium gives their characters.

    Boxes are exact (pdfium's loose character boxes, from the font's advance widths), so the layout rules can
    tell a line the printer wrapped from one that stops short.
    """
    import pypdfium2.raw as pdfium_c

    textpage = document[page_no].get_textpage()
    lines: list[Line] = []
    chars: list[tuple[str, float, float, float, float, int]] = []  # (char, left, bottom, right, size, weight)

    def flush() -> None:
        inked = [c for c in chars if not c[0].isspace()]
        if inked:
            text = "".join(c[0] for c in chars).strip()
            sizes = sorted(c[4] for c in inked)
            size = sizes[len(sizes) // 2] or 1.0
            bold = sum(c[5] >= 600 for c in inked) * 2 > len(inked)
            left, right = chars[0][1], max(c[3] for c in inked)  # a line the printer starts with a space starts there
            cells = _split_cells(inked, size)
            lines.append(
                Line(
                    text, left, inked[0][2], size, page_no, bold=bold, w=right - left, cells=_cells(cells), split=cells
                )
            )
        chars.clear()

    for k in range(textpage.count_chars()):
        code = pdfium_c.FPDFText_GetUnicode(textpage.raw, k)
        ch = chr(code) if code else ""
        if ch in ("\r", "\n", "\ufffe", "\x02"):
            flush()
            continue
        if not ch:
            continue
        _left, bottom, right, _top = textpage.get_charbox(k, loose=True)
        left = _origin_x(pdfium_c, textpage, k)
        size = pdfium_c.FPDFText_GetFontSize(textpage.raw, k)
        if chars and not ch.isspace() and abs(bottom - chars[-1][2]) > 0.5 * max(size, 1.0):
            flush()  # a new baseline without a line break in the text stream
        chars.append((ch, left, bottom, right, size, pdfium_c.FPDFText_GetFontWeight(textpage.raw, k)))
    flush()
    lines.sort(key=lambda l: -l.y)  # top to bottom; stable for lines on one baseline
    return lines


def _page_image(document, index: int) -> bytes:
    """Page index drawn at OCR_DPI in grey and made ready for Tesseract (image.prepare_page), as PNG bytes."""
    image = prepare_page(document[index].render(scale=OCR_DPI / 72, grayscale=True).to_pil())
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return buf.getvalue()


def _text_layer(document, page, index: int, ocr: OcrMode) -> list[Line]:
    """The lines of page index's text layer; none where the page is to be read by OCR instead."""
    lines = [] if ocr == "always" else _page_lines(document, index)
    if ocr == "auto" and lines and sum(len(l.text) for l in lines) < _FEW_CHARS and _has_image(page):
        lines = []  # a scan with a stamp or a scanner app's mark as its only text
    return lines


class _Pages:
    """Each page's lines, in page order, as they come in (from the text layer at once, from OCR when Tesseract is
    done); progress(pages done, pages) is called after each page."""

    def __init__(self, n: int, progress: Progress | None) -> None:
        self.n = n
        self.progress = progress
        self.slots: list[list[Line] | None] = [None] * n
        self.done = 0

    def finished(self, index: int, lines: list[Line]) -> None:
        self.slots[index] = lines
        self.done += 1
        if self.progress is not None:
            self.progress(self.done, self.n)


def _read_pages(
    reader, document, n: int, name: str, ocr: OcrMode, progress: Progress | None
) -> tuple[list[list[Line]], bool]:
    """The lines of every page, from its text layer or by OCR, and whether any page was read by OCR."""
    pages = _Pages(n, progress)
    any_ocr = False
    # Tesseract runs on OCR_WORKERS pages at once (one process each, one thread per process); pdfium draws
    # the pages here, in this thread, since it is not thread-safe.
    pool = ThreadPoolExecutor(max_workers=OCR_WORKERS)
    pending: dict[int, Future[list[Line]]] = {}
    try:
        for i, page in enumerate(reader.pages):
            lines = _text_layer(document, page, i, ocr)
            if lines or ocr == "never":
                pages.finished(i, lines)
            else:
                if not any_ocr:
                    check_ocr(
                        name,
                        "--ocr always reads every page by OCR"
                        if ocr == "always"
                        else f"page {i + 1} has no text layer and needs OCR",
                    )
                    any_ocr = True
                pending[i] = pool.submit(ocr_page, _page_image(document, i), OCR_DPI, name, i)
            for j in [j for j, f in pending.items() if f.done()]:
                pages.finished(j, pending.pop(j).result())
        for j in sorted(pending):
            pages.finished(j, pending.pop(j).result())
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return [p or [] for p in pages.slots], any_ocr


def _decrypt(reader, name: str) -> None:
    """An encrypted PDF opened with the empty password (as viewers do), or UnreadableFile where it needs one."""
    try:
        ok = bool(reader.decrypt(""))
    except Exception:
        ok = False
    if not ok:
        raise UnreadableFile(f"{name}: the PDF is encrypted with a password")


def _no_text(name: str, n: int, ocr: OcrMode) -> UnreadableFile:
    """The error for a PDF of n pages that gave no line of text."""
    s = "s" if n != 1 else ""
    if ocr == "never":
        return UnreadableFile(
            f"{name}: the PDF has no text layer ({n} page{s}; a scanned document needs OCR: drop --ocr never)"
        )
    return UnreadableFile(f"{name}: the PDF has no text layer and OCR found no text on its {n} page{s}")


def pdf_to_text(raw: bytes, name: str = "<pdf>", ocr: OcrMode = "auto", progress: Progress | None = None) -> str:
    """The text of a PDF, page by page from its text layer or by OCR, page numbers and running headers dropped,
    wrapped lines joined into paragraphs. progress(pages done, pages) is called after each page."""
    if ocr not in OCR_MODES:
        raise ValueError(f"ocr: expected one of {', '.join(OCR_MODES)}, found {ocr!r}")
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(raw))
        if reader.is_encrypted:
            _decrypt(reader, name)
        n = len(reader.pages)
        import pypdfium2

        document = pypdfium2.PdfDocument(raw, password="" if reader.is_encrypted else None)
        pages, any_ocr = _read_pages(reader, document, n, name, ocr, progress)
    except UnreadableFile:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, OSError, RecursionError) as exc:
        raise UnreadableFile(f"{name}: damaged or unreadable PDF ({exc.__class__.__name__}: {exc})") from None
    except Exception as exc:
        raise UnreadableFile(f"{name}: damaged or unreadable PDF ({exc.__class__.__name__}: {exc})") from None
    lines = [l for page_lines in drop_page_furniture(pages) for l in page_lines]
    if not lines:
        raise _no_text(name, n, ocr)
    paragraphs = join_wrapped(lines)
    return "\n".join(repair_markers(paragraphs) if any_ocr else paragraphs) + "\n"
