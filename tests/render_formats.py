"""Print a report text the ways the harder published forms come: a PDF laid out without indents, and scans.

Used by tests/test_formats_*.py and benchmarks/reading.py, always on our own text (the seeds or
data/reports/written/). Needs reportlab (dev extra) for PDFs with a text layer and Pillow with the Debian
font fonts-wqy-zenhei for scans; `scan_font()` is None where the font is missing.

- `save_flat_pdf`: one line of text per paragraph, no first-line indent, one font size for body and headings
  (typesetting exports), a running header and page numbers on every page.
- `save_scanned_pdf` / `render_pages`: the text drawn into page images at a resolution (150 dpi by default),
  with first-line indents and page numbers, saved as an image-only PDF or image files.
- `match_units`: how many of the expected units come back (character similarity ≥ 0.9), and of the headings.
"""

from __future__ import annotations

import difflib
import io
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

FONT_PATHS = ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", "/usr/share/fonts/wqy-zenhei/wqy-zenhei.ttc")
RUNNING_HEADER = "某某区人民政府2023年度法治政府建设情况报告"


def _paragraphs(text: str) -> list[str]:
    return [l.strip() for l in text.splitlines() if l.strip()]


def scan_font() -> str | None:
    for p in FONT_PATHS:
        if Path(p).is_file():
            return p
    return None


# --- text-layer PDF without indents ----------------------------------------------------
_PDF_FONT = "STSong-Light"


def save_flat_pdf(text: str, path: Path, furniture: bool = True) -> Path:
    """Every paragraph from the left margin at one size; a running header and '- n -' on every page (furniture)."""
    from xml.sax.saxutils import escape

    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    if _PDF_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(_PDF_FONT))
    body = ParagraphStyle("flat", fontName=_PDF_FONT, fontSize=12, leading=20, firstLineIndent=0, wordWrap="CJK")

    def page_furniture(canvas, doc) -> None:
        if not furniture:
            return
        canvas.saveState()
        canvas.setFont(_PDF_FONT, 9)
        canvas.drawCentredString(A4[0] / 2, A4[1] - 15 * mm, RUNNING_HEADER)
        canvas.drawCentredString(A4[0] / 2, 12 * mm, f"- {doc.page} -")
        canvas.restoreState()

    story = []
    for line in _paragraphs(text):
        story.append(Paragraph(escape(line), body))
    doc = SimpleDocTemplate(
        str(path),
        pagesize=A4,
        leftMargin=25 * mm,
        rightMargin=25 * mm,
        topMargin=25 * mm,
        bottomMargin=25 * mm,
        title="report",
        author="fazhi",
        invariant=1,
    )
    doc.build(story, onFirstPage=page_furniture, onLaterPages=page_furniture)
    return Path(path)


# --- scans --------------------------------------------------------------------------
_NO_LINE_START = "，。、；：？！）》」』”’,.;:?!)%"


def _wrap(text: str, font, measure: float) -> list[str]:
    """Lines as a word processor breaks them: as many characters as the measure holds, a closing mark never
    first on a line (it takes the character before it down)."""
    lines: list[str] = []
    current = ""
    for ch in text:
        if current and font.getlength(current + ch) > measure:
            if ch in _NO_LINE_START and len(current) > 1:
                lines.append(current[:-1])
                current = current[-1]
            else:
                lines.append(current)
                current = ""
        current += ch
    if current:
        lines.append(current)
    return lines


def render_pages(text: str, dpi: int = 150, max_pages: int | None = None, indent: bool = True):
    """The text drawn on A4 page images (Pillow 'L' images): 12 pt body, 16 pt title, 1.6 line spacing."""
    from PIL import Image, ImageDraw, ImageFont

    font_path = scan_font()
    if font_path is None:
        raise RuntimeError("the scans need the font fonts-wqy-zenhei (apt-get install fonts-wqy-zenhei)")
    width, height = int(8.27 * dpi), int(11.69 * dpi)
    margin = int(25 / 25.4 * dpi)
    body_px = round(12 / 72 * dpi)
    body = ImageFont.truetype(font_path, body_px)
    title = ImageFont.truetype(font_path, round(16 / 72 * dpi))
    small = ImageFont.truetype(font_path, round(9 / 72 * dpi))
    measure = width - 2 * margin
    printed: list[tuple[str, ImageFont.FreeTypeFont, int]] = []  # (line, font, x offset)
    for i, para in enumerate(_paragraphs(text)):
        if i == 0:
            w = title.getlength(para)
            printed.append((para, title, max(0, int((width - 2 * margin - w) / 2))))
            continue
        for line in _wrap(("\u3000\u3000" if indent else "") + para, body, measure):
            printed.append((line, body, 0))
    pages: list[Image.Image] = []
    y = height  # start a page at once
    page = draw = None
    for line, font, dx in printed:
        if y > height - margin - body_px * 2:
            if page is not None:
                pages.append(page)
            if max_pages is not None and len(pages) >= max_pages:
                break
            page = Image.new("L", (width, height), 255)
            draw = ImageDraw.Draw(page)
            draw.text((width // 2, height - margin // 2), f"- {len(pages) + 1} -", font=small, fill=0, anchor="mm")
            y = margin
        assert draw is not None
        draw.text((margin + dx, y), line, font=font, fill=0)
        y += int(body_px * 1.6) if font is body else int(body_px * 2.4)
    else:
        if page is not None:
            pages.append(page)
    return pages


def degrade(page, seed: int = 0):
    """A page as a cheap office scanner gives it: turned 0.6°, softened, speckled and saved as JPEG at quality 50."""
    import random

    from PIL import Image, ImageFilter

    rng = random.Random(seed)
    page = page.rotate(0.6, resample=Image.Resampling.BICUBIC, fillcolor=255).filter(ImageFilter.GaussianBlur(0.6))
    pixels = page.load()
    for _ in range(page.width * page.height // 400):  # 0.25% of the pixels flipped to a random grey
        pixels[rng.randrange(page.width), rng.randrange(page.height)] = rng.randrange(256)
    buf = io.BytesIO()
    page.save(buf, "JPEG", quality=50)
    return Image.open(io.BytesIO(buf.getvalue())).convert("L")


def save_scanned_pdf(
    text: str, path: Path, dpi: int = 150, max_pages: int | None = None, degraded: bool = False
) -> Path:
    """An image-only PDF of the rendered pages (no text layer), as a scanner writes; degraded: see degrade()."""
    pages = render_pages(text, dpi, max_pages)
    if degraded:
        pages = [degrade(p, seed=k) for k, p in enumerate(pages)]
    pages[0].save(str(path), "PDF", resolution=float(dpi), save_all=True, append_images=pages[1:])
    return Path(path)


def image_bytes(page, fmt: str = "PNG", dpi: int = 150) -> bytes:
    buf = io.BytesIO()
    page.save(buf, fmt, dpi=(dpi, dpi))
    return buf.getvalue()


# --- measuring ----------------------------------------------------------------------
@dataclass
class Match:
    units: int  # units of the expected text
    found: int  # of them, found again with character similarity >= 0.9
    headings: int
    headings_found: int
    got: int  # units read

    @property
    def unit_share(self) -> float:
        return self.found / self.units if self.units else 1.0

    @property
    def heading_share(self) -> float:
        return self.headings_found / self.headings if self.headings else 1.0


def align_texts(want: list[str], got: list[str], threshold: float = 0.9) -> list[int | None]:
    """For each text of want, the index of a text of got near its place that reads alike (the same, or
    difflib ratio >= threshold, half- and full-width forms alike), else None."""
    want_n = [unicodedata.normalize("NFKC", t) for t in want]
    got_n = [unicodedata.normalize("NFKC", t) for t in got]
    out: list[int | None] = []
    for k, u in enumerate(want_n):
        centre = round(k * len(got_n) / max(1, len(want_n)))
        best = None
        for j in range(max(0, centre - 25), min(len(got_n), centre + 25)):
            g = got_n[j]
            if g == u or difflib.SequenceMatcher(None, u, g, autojunk=False).ratio() >= threshold:
                best = j
                break
        out.append(best)
    return out


def match_units(expected_text: str, got_text: str, threshold: float = 0.9) -> Match:
    """Each unit of expected_text is found when a unit of got_text near its place reads alike (align_texts);
    a heading only when it is found as a heading. Half- and full-width forms count alike (see char_error_rate)."""
    from fazhi.pipeline.segment import segment

    want = segment(unicodedata.normalize("NFKC", expected_text))
    got = segment(unicodedata.normalize("NFKC", got_text))
    pairs = align_texts([u.text for u in want], [g.text for g in got], threshold)
    found = sum(j is not None for j in pairs)
    headings_found = sum(
        1 for u, j in zip(want, pairs, strict=True) if j is not None and u.is_heading and got[j].is_heading
    )
    return Match(len(want), found, sum(u.is_heading for u in want), headings_found, len(got))


def char_error_rate(expected: str, got: str) -> float:
    """Edit distance over characters / expected characters; whitespace ignored, and half- and full-width forms
    (',' and '，') alike, since some reports print one where a scan's OCR reads the other."""
    a = "".join(unicodedata.normalize("NFKC", expected).split())
    b = "".join(unicodedata.normalize("NFKC", got).split())
    sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
    edits = 0
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        if op != "equal":
            edits += max(i2 - i1, j2 - j1)
    return edits / max(1, len(a))


# --- tables of figures -----------------------------------------------------------------
_VALUE = re.compile(r"[-+]?\d[\d,]*(?:\.\d+)?\s*(?:件次|万元|亿元|人次|件|条|个|人|次|项|份|天|日|家|元|%|％)?")
_LABEL_VALUE = re.compile(r"(?P<label>\D.*?)(?P<value>" + _VALUE.pattern + r")")


@dataclass
class Table:
    header: list[str]
    rows: list[list[str]]
    names: int  # leading label columns

    def expected_lines(self) -> list[str]:
        """Each row as the readers should give it: its labels, then every figure after its column header."""
        out = []
        for row in self.rows:
            pairs = [x for h, v in zip(self.header[self.names :], row[self.names :], strict=True) for x in (h, v)]
            out.append(" | ".join(row[: self.names] + pairs))
        return out


def _table_row(line: str) -> tuple[list[str], list[tuple[str, str]]] | None:
    """A printed row of a disclosure table written as text ("行政许可 本年处理决定 2738件", "规章 0 0 0",
    "予以公开　5件"): its label cells and its (column label or '', figure) pairs; None for prose."""
    s = line.strip()
    if not s or len(s) > 80 or re.search(r"[。，,；;：:|]", s):
        return None
    names: list[str] = []
    values: list[tuple[str, str]] = []
    label = ""
    for tok in s.split():
        if _VALUE.fullmatch(tok):
            values.append((label, tok))
            label = ""
        elif (m := _LABEL_VALUE.fullmatch(tok)) and names:
            values.append((m["label"], m["value"]))
        elif names and not values and not label:
            label = tok  # a column label before its figure ("本年制发 0件"), or a second label cell
        elif not values:
            names.append(tok)
        else:
            return None
    if label and not values:
        names.append(label)
    elif label:
        return None
    if not names or not values:
        return None
    return names, values


def tables_in(text: str) -> list[str | Table]:
    """The report as paragraphs and tables: each run of two or more printed table rows of the same shape
    (label cells, column labels) becomes a Table; unlabelled figure columns are headed 数量, 数量2…"""
    blocks: list[str | Table] = []
    run: list[tuple[list[str], list[tuple[str, str]]]] = []

    def shape(r) -> tuple:
        return len(r[0]), tuple(lab for lab, _ in r[1])

    def flush() -> None:
        if len(run) >= 2:
            names, values = run[0]
            heads = [lab or ("数量" if k == 0 else f"数量{k + 1}") for k, (lab, _) in enumerate(values)]
            blocks.append(
                Table(["项目"] * len(names) + heads, [n + [v for _, v in vals] for n, vals in run], len(names))
            )
        else:
            blocks.extend(" ".join(n + [f"{lab} {v}".strip() for lab, v in vals]) for n, vals in run)
        run.clear()

    for line in _paragraphs(text):
        row = _table_row(line)
        if row is not None and (not run or shape(row) == shape(run[0])):
            run.append(row)
            continue
        flush()
        if row is not None:
            run.append(row)
        else:
            blocks.append(line)
    flush()
    return blocks


def save_with_tables(blocks: list[str | Table], path: Path, fmt: str) -> Path:
    """The paragraphs and tables saved as a .docx (Word tables), .html (<table>) or text-layer .pdf (ruled
    reportlab tables): the published forms whose tables the readers read row by row."""
    path = Path(path)
    if fmt == "docx":
        import docx

        document = docx.Document()
        for b in blocks:
            if isinstance(b, Table):
                t = document.add_table(rows=1 + len(b.rows), cols=len(b.header))
                for i, row in enumerate([b.header, *b.rows]):
                    for j, cell in enumerate(row):
                        t.cell(i, j).text = cell
            else:
                document.add_paragraph(b)
        document.save(str(path))
    elif fmt == "html":
        import html

        body = []
        for b in blocks:
            if isinstance(b, Table):
                trs = "".join(
                    "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in [b.header, *b.rows]
                )
                body.append(f"<table border='1'>{trs}</table>")
            else:
                body.append(f"<p>{html.escape(b)}</p>")
        path.write_text(
            "<html><head><meta charset='utf-8'></head><body>" + "\n".join(body) + "</body></html>", encoding="utf-8"
        )
    elif fmt == "pdf":
        from xml.sax.saxutils import escape

        from reportlab.lib.pagesizes import A4
        from reportlab.lib.styles import ParagraphStyle
        from reportlab.lib.units import mm
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.cidfonts import UnicodeCIDFont
        from reportlab.platypus import Paragraph, SimpleDocTemplate
        from reportlab.platypus import Table as PdfTable

        if _PDF_FONT not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(UnicodeCIDFont(_PDF_FONT))
        body_style = ParagraphStyle(
            "b", fontName=_PDF_FONT, fontSize=12, leading=20, firstLineIndent=24, wordWrap="CJK"
        )
        story = []
        for b in blocks:
            if isinstance(b, Table):
                t = PdfTable([b.header, *b.rows])
                t.setStyle(
                    [
                        ("FONTNAME", (0, 0), (-1, -1), _PDF_FONT),
                        ("FONTSIZE", (0, 0), (-1, -1), 9),
                        ("GRID", (0, 0), (-1, -1), 0.5, (0, 0, 0)),
                    ]
                )
                story.append(t)
            else:
                story.append(Paragraph(escape(b), body_style))
        SimpleDocTemplate(str(path), pagesize=A4, leftMargin=25 * mm, rightMargin=25 * mm, invariant=1).build(story)
    else:
        raise ValueError(f"expected docx, html or pdf, found {fmt!r}")
    return path
