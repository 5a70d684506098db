"""Reading report files into text: the formats reports are published in.

``read_report(path)`` and ``read_report_bytes(raw, name)`` turn a report into
plain text with one paragraph (or heading) per line, which is what the
segmenter expects:

- ``.txt``: UTF-8 (with or without BOM), UTF-16 with BOM, or GB18030/GBK.
- ``.html`` / ``.htm``: a saved government web page; only the main text is
  kept (scripts, styles, menus, headers and footers are dropped).
- ``.docx``: paragraphs and table rows of the document body, in order.
- ``.pdf`` with a text layer: lines wrapped by the page layout are joined back
  into paragraphs.

Anything that cannot give text (a scanned PDF, a binary file, an empty file, an
old ``.doc``) raises :class:`UnreadableFile` whose message says why.
Nothing here reaches the network.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "UnreadableFile",
    "SUPPORTED_SUFFIXES",
    "decode_text",
    "detect_format",
    "read_report",
    "read_report_bytes",
    "html_to_text",
    "docx_to_text",
    "pdf_to_text",
]


class UnreadableFile(ValueError):
    """A report file that cannot be turned into text; the message says why."""


# Suffix → format; a directory walk picks up exactly these.
SUPPORTED_SUFFIXES: dict[str, str] = {
    ".txt": "text",
    ".text": "text",
    ".html": "html",
    ".htm": "html",
    ".shtml": "html",
    ".xhtml": "html",
    ".docx": "docx",
    ".pdf": "pdf",
}
_UNSUPPORTED = {
    ".doc": "an old binary Word .doc file; save it as .docx",
    ".wps": "a WPS document; save it as .docx",
    ".rtf": "an RTF file; save it as .docx or .txt",
    ".xls": "a spreadsheet, not a report",
    ".xlsx": "a spreadsheet, not a report",
    ".png": "an image (scanned page?) with no text",
    ".jpg": "an image (scanned page?) with no text",
    ".jpeg": "an image (scanned page?) with no text",
    ".gif": "an image with no text",
    ".tif": "an image (scanned page?) with no text",
    ".tiff": "an image (scanned page?) with no text",
    ".zip": "an archive; unpack it first",
    ".rar": "an archive; unpack it first",
}

# Control characters other than tab, newline, carriage return and form feed
# do not occur in report text; many of them mean the bytes were not text.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


# --- plain text -------------------------------------------------------------
def decode_text(raw: bytes, name: str = "<bytes>") -> str:
    """Decode report bytes: UTF-8 (with or without BOM), UTF-16 with BOM, else GB18030 (a superset of GBK and GB2312)."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = raw.decode("utf-16")
        except UnicodeDecodeError:
            raise UnreadableFile(f"{name}: starts with a UTF-16 byte-order mark but is not valid UTF-16") from None
        return _check_text(text.lstrip("\ufeff"), name)
    if not raw.strip():
        raise UnreadableFile(f"{name}: file is empty")
    if b"\x00" in raw[:8192]:
        raise UnreadableFile(f"{name}: looks binary (NUL bytes), expected text")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        return _check_text(text, name)
    raise UnreadableFile(f"{name}: expected UTF-8 or GB18030/GBK text, could not decode")


def _check_text(text: str, name: str) -> str:
    if not text.strip():
        raise UnreadableFile(f"{name}: file is empty")
    sample = text[:20000]
    if len(_CONTROL.findall(sample)) > max(2, len(sample) // 200):
        raise UnreadableFile(f"{name}: looks binary (control characters), expected text")
    return text


# --- format detection ---------------------------------------------------------
def detect_format(raw: bytes, suffix: str = "") -> str:
    """'text', 'html', 'docx' or 'pdf': from the suffix when known, else from the content.

    Raises UnreadableFile for formats that are recognised but not supported.
    """
    suffix = suffix.lower()
    if suffix in SUPPORTED_SUFFIXES:
        return SUPPORTED_SUFFIXES[suffix]
    if suffix in _UNSUPPORTED:
        raise UnreadableFile(f"unsupported format: {_UNSUPPORTED[suffix]}")
    head = raw[:2048]
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        if _is_docx(raw):
            return "docx"
        raise UnreadableFile("unsupported format: a ZIP archive that is not a .docx document")
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise UnreadableFile(f"unsupported format: {_UNSUPPORTED['.doc']}")
    probe = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if probe.startswith((b"<!doctype html", b"<html", b"<?xml")) or b"<body" in probe or b"<head" in probe:
        return "html"
    # An unknown suffix (.md, .csv, none…): treated as text if it decodes as text.
    return "text"


def _is_docx(raw: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as z:
            return "word/document.xml" in z.namelist()
    except zipfile.BadZipFile:
        return False


def read_report_bytes(raw: bytes, name: str = "<bytes>", suffix: str | None = None) -> str:
    """The text of a report given as bytes; suffix (e.g. '.pdf') picks the format, else the content does."""
    if suffix is None:
        suffix = Path(name).suffix
    try:
        fmt = detect_format(raw, suffix)
    except UnreadableFile as exc:
        raise UnreadableFile(f"{name}: {exc}") from None
    if not raw.strip():
        raise UnreadableFile(f"{name}: file is empty")
    if fmt == "html":
        text = html_to_text(raw, name)
    elif fmt == "docx":
        text = docx_to_text(raw, name)
    elif fmt == "pdf":
        text = pdf_to_text(raw, name)
    else:
        text = decode_text(raw, name)
    if not text.strip():
        raise UnreadableFile(f"{name}: no text found")
    return text


def read_report(path: Path) -> str:
    """The text of a report file in any supported format."""
    path = Path(path)
    if path.is_dir():
        raise UnreadableFile(f"{path}: is a directory")
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise UnreadableFile(f"{path}: no such file") from None
    except PermissionError:
        raise UnreadableFile(f"{path}: permission denied") from None
    except OSError as exc:
        raise UnreadableFile(f"{path}: cannot read ({exc.strerror or exc})") from None
    return read_report_bytes(raw, str(path), path.suffix)


# --- HTML ---------------------------------------------------------------------
# Elements that never hold report text.
_DROP_TAGS = (
    "script", "style", "noscript", "template", "iframe", "frame", "frameset", "svg", "canvas", "object",
    "embed", "map", "audio", "video", "head", "nav", "header", "footer", "aside", "form", "button",
    "select", "input", "textarea", "option", "menu", "dialog",
)
# id/class words of page furniture on government sites. Matched against whole
# words of the attribute (split at - _ space and camelCase), so "content-header"
# does not drop "content".
_FURNITURE_WORDS = {
    "nav", "navbar", "navigation", "menu", "menus", "mainnav", "topnav", "subnav", "footer", "foot", "bottom",
    "breadcrumb", "breadcrumbs", "crumb", "crumbs", "position", "location", "share", "sharing", "bdshare",
    "sidebar", "side", "toolbar", "tools", "tool", "copyright", "banner", "login", "search", "topbar",
    "friendlink", "friendlinks", "links", "link", "weixin", "wechat", "qrcode", "ewm", "print", "fontsize",
    "font", "zoomtool", "related", "relevant", "pager", "pagination", "comment", "comments", "ad", "ads",
    "advert", "skip", "accessibility", "wza", "header", "head", "top", "gotop", "backtop",
}
_WORD_SPLIT = re.compile(r"[-_\s]+|(?<=[a-z])(?=[A-Z])")
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_BLOCK_TAGS = {
    "address", "article", "aside", "blockquote", "body", "caption", "center", "dd", "details", "div", "dl",
    "dt", "fieldset", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "html", "li",
    "main", "ol", "p", "pre", "section", "summary", "table", "tbody", "tfoot", "thead", "tr", "ul",
}
_CELL_TAGS = {"td", "th"}
_CJK_CHAR = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_\-]+)""", re.I)
# Whitespace in HTML source is not significant; a line break between two
# Chinese characters is an artefact of the editor and disappears.
_WS_CJK = re.compile(r"(?<=[\u3000-\u9fff\uff00-\uffef])[ \t\r\n\f]*\n[ \t\r\n\f]*(?=[\u3000-\u9fff\uff00-\uffef])")
_WS = re.compile(r"[ \t\r\n\f]+")


def _decode_html(raw: bytes) -> str:
    """Page bytes as text: BOM, then the declared charset, then UTF-8, then GB18030; never fails."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="replace")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16", errors="replace").lstrip("\ufeff")
    declared = _META_CHARSET.search(raw[:8192])
    candidates = []
    if declared:
        enc = declared.group(1).decode("ascii").lower()
        if enc in ("gb2312", "gbk", "gb_2312-80", "x-gbk", "cp936", "gb18030"):
            enc = "gb18030"
        candidates.append(enc)
    candidates += ["utf-8", "gb18030"]
    for enc in candidates:
        try:
            return raw.decode(enc)
        except (UnicodeDecodeError, LookupError):
            continue
    return raw.decode("utf-8", errors="replace")


def _is_furniture_element(el) -> bool:
    attrs = el.attrs or {}
    words: set[str] = set()
    for key in ("id", "class", "role"):
        value = attrs.get(key)
        if not value:
            continue
        for v in value if isinstance(value, list) else [value]:
            words.update(w.lower() for w in _WORD_SPLIT.split(v) if w)
    if words & {"navigation", "banner", "contentinfo", "search"} and attrs.get("role"):
        return True
    if words & _FURNITURE_WORDS:
        # "article-head" or "content-top" may carry the title: keep elements
        # whose words also name main content.
        return not (words & {"content", "article", "main", "text", "title", "body", "detail", "zoom"})
    style = attrs.get("style")
    return bool(style and _HIDDEN_STYLE.search(style))


def _collect_lines(el, out: list[str], buf: list[str]) -> None:
    from bs4 import NavigableString, Tag
    from bs4.element import PreformattedString

    for child in el.children:
        if isinstance(child, NavigableString):
            if not isinstance(child, PreformattedString):  # comments, doctype, CDATA
                buf.append(str(child))
            continue
        if not isinstance(child, Tag):
            continue
        tag = child.name
        if tag in _CELL_TAGS:
            buf.append(" ")
            _collect_lines(child, out, buf)
            buf.append(" ")
        elif tag in _BLOCK_TAGS:
            _flush(out, buf)
            if tag == "pre":
                out.extend(child.get_text().splitlines())
            else:
                _collect_lines(child, out, buf)
                _flush(out, buf)
        else:
            _collect_lines(child, out, buf)


def _flush(out: list[str], buf: list[str]) -> None:
    """Turn the inline text gathered so far into lines: source whitespace collapses, <br> breaks a line."""
    if not buf:
        return
    raw = "".join(buf)
    buf.clear()
    text = _WS_CJK.sub("", raw.replace("\xa0", " "))
    for line in text.split(_BR):
        line = _WS.sub(" ", line).strip(" ")
        if line:
            out.append(line)


_BR = "\u2028"  # placeholder for <br>: a line separator that never survives _WS


def _cjk_count(el) -> int:
    return len(_CJK_CHAR.findall(el.get_text()))


def _link_cjk_count(el) -> int:
    return sum(len(_CJK_CHAR.findall(a.get_text())) for a in el.find_all("a"))


def _main_container(body):
    """The deepest element holding most of the page's non-link Chinese text."""
    total = _cjk_count(body) - _link_cjk_count(body)
    if total <= 0:
        return body
    best = body
    while True:
        nxt = None
        for child in best.find_all(True, recursive=False):
            own = _cjk_count(child) - _link_cjk_count(child)
            if own >= 0.85 * total:
                nxt = child
                break
        if nxt is None:
            return best
        best = nxt


def _title_before(container, body) -> str | None:
    """The page's article title when it sits outside the main text container (h1, h2, or a *title* element)."""
    from bs4 import Tag

    for el in container.find_all_previous(True):
        if not isinstance(el, Tag) or el is body:
            continue
        if any(p is container for p in el.parents):
            continue
        words: set[str] = set()
        for key in ("id", "class"):
            v = el.attrs.get(key) if el.attrs else None
            for s in (v if isinstance(v, list) else [v] if v else []):
                words.update(w.lower() for w in _WORD_SPLIT.split(s) if w)
        if el.name in ("h1", "h2") or words & {"title", "biaoti", "bt"}:
            text = _WS.sub(" ", el.get_text(" ")).strip()
            if _CJK_CHAR.search(text) and len(text) <= 120:
                return text
    return None


def html_to_text(raw: bytes | str, name: str = "<html>") -> str:
    """The main text of a saved web page, one block (paragraph, heading, table row) per line."""
    markup = raw if isinstance(raw, str) else _decode_html(raw)
    lines = _html_lines(markup, name, drop_furniture=True)
    if lines is None:
        # The id/class rules would remove most of the text: this page names
        # its content unusually, so only scripts, styles and <nav>/<header>/
        # <footer> elements go (the segmenter still drops furniture lines).
        lines = _html_lines(markup, name, drop_furniture=False) or []
    text = "\n".join(lines)
    if not text.strip():
        raise UnreadableFile(f"{name}: no text found in the HTML page")
    return text + "\n"


def _html_lines(markup: str, name: str, drop_furniture: bool) -> list[str] | None:
    """Lines of the main text; None when dropping furniture by id/class would remove most of the text."""
    from bs4 import BeautifulSoup

    try:
        soup = BeautifulSoup(markup, "lxml")
    except Exception as exc:  # lxml rejects some broken documents outright
        raise UnreadableFile(f"{name}: cannot parse HTML ({exc})") from None
    for br in soup.find_all("br"):
        br.replace_with(_BR)
    for tag in soup.find_all(_DROP_TAGS):
        tag.decompose()
    if drop_furniture:
        root = soup.body or soup
        before = _cjk_count(root)
        for el in soup.find_all(True):
            if getattr(el, "decomposed", False):
                continue
            if el.name not in ("html", "body") and _is_furniture_element(el):
                el.decompose()
        if _cjk_count(soup.body or soup) < 0.5 * before:
            return None
    body = soup.body or soup
    container = _main_container(body)
    lines: list[str] = []
    if container is not body:
        title = _title_before(container, body)
        if title:
            lines.append(title)
    buf: list[str] = []
    _collect_lines(container, lines, buf)
    _flush(lines, buf)
    return lines


# --- DOCX ---------------------------------------------------------------------
def docx_to_text(raw: bytes, name: str = "<docx>") -> str:
    """Paragraphs and table rows of a .docx body, in document order, one per line."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(io.BytesIO(raw))
    except (zipfile.BadZipFile, PackageNotFoundError, KeyError, ValueError) as exc:
        raise UnreadableFile(f"{name}: not a readable .docx document ({exc.__class__.__name__})") from None
    except Exception as exc:  # a damaged package can fail deep inside the XML reader
        raise UnreadableFile(f"{name}: damaged .docx document ({exc.__class__.__name__}: {exc})") from None
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    lines: list[str] = []
    for block in document.iter_inner_content():
        if isinstance(block, Paragraph):
            lines.extend(block.text.split("\n"))
        elif isinstance(block, Table):
            for row in block.rows:
                cells: list[str] = []
                for cell in row.cells:
                    t = " ".join(cell.text.split())
                    if t and (not cells or cells[-1] != t):  # merged cells repeat their text
                        cells.append(t)
                if cells:
                    lines.append(" ".join(cells))
    text = "\n".join(lines)
    if not text.strip():
        raise UnreadableFile(f"{name}: the .docx document has no text")
    return text + "\n"


# --- PDF ----------------------------------------------------------------------
_PAGE_NUMBER = re.compile(r"^\s*(?:[-—–－]\s*\d{1,4}\s*[-—–－]|第\s*\d{1,4}\s*页(?:\s*[,，/]?\s*共\s*\d{1,4}\s*页)?|\d{1,4}\s*/\s*\d{1,4}|\d{1,4})\s*$")
_SENTENCE_END = "。！？；!?;：:"


def _visual_width(s: str) -> float:
    """Width in full-width character cells: CJK and full-width forms count 1, others ½."""
    w = 0.0
    for ch in s:
        w += 1.0 if unicodedata.east_asian_width(ch) in ("W", "F", "A") else 0.5
    return w


def _starts_heading(line: str) -> bool:
    from fazhi.segment import heading_level

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
