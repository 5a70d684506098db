"""Saved government web pages: only the main text is kept (scripts, styles, menus, headers and footers are dropped).

The page is measured in one pass and read from those figures (fazhi/reading/html_page.py), so the time is linear in
the page."""

from __future__ import annotations

import re

from fazhi.errors import UnreadableFile
from fazhi.reading.html_elements import _CJK_CHAR
from fazhi.reading.html_page import _flush, _Page

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_\-]+)""", re.I)


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
        # A declaration can lie: bytes that are valid UTF-8 are UTF-8 (GBK text almost never is), unless a
        # UTF-16/32 page without a BOM says so and has the NUL bytes to show it; a page declared in a
        # single-byte charset (latin-1, windows-1252…) that gives no Chinese is tried as GB18030 (a lying
        # declaration once gave mojibake, or no sentences at all).
        if enc.startswith(("utf-16", "utf-32", "utf16", "utf32")) and b"\x00" in raw[:8192]:
            candidates.append(enc)
        elif enc not in ("utf-8", "utf8", "gb18030", "big5", "big5-hkscs"):
            candidates += ["utf-8", f"?{enc}"]
        else:
            candidates.append(enc)
    candidates += ["utf-8", "gb18030"]
    for enc in candidates:
        guarded = enc.startswith("?")
        try:
            text = raw.decode(enc.lstrip("?"))
        except (UnicodeDecodeError, LookupError):
            continue
        if guarded and not _CJK_CHAR.search(text):
            try:
                gb = raw.decode("gb18030")
                if _CJK_CHAR.search(gb):
                    return gb
            except UnicodeDecodeError:
                pass
        return text
    return raw.decode("utf-8", errors="replace")


def html_to_text(raw: bytes | str, name: str = "<html>") -> str:
    """The main text of a saved web page, one block (paragraph, heading, table row) per line."""
    from bs4 import BeautifulSoup

    markup = raw if isinstance(raw, str) else _decode_html(raw)
    try:
        soup = BeautifulSoup(markup, "lxml")
    except Exception as exc:  # lxml rejects some broken documents outright
        raise UnreadableFile(f"{name}: cannot parse HTML ({exc})") from None
    body = soup.body or soup
    page = _Page(soup, drop_furniture=True)
    c = page.counts.get(id(body), (0, 0, 0, 0, 0))
    if c[2] < 0.5 * c[0]:
        # The id/class rules would remove most of the text: this page names
        # its content unusually, so only scripts, styles and <nav>/<header>/
        # <footer> elements go (the segmenter still drops furniture lines).
        page.use_furniture = False
    lines = _main_lines(page, body)
    text = "\n".join(lines)
    if not text.strip():
        raise UnreadableFile(f"{name}: no text found in the HTML page")
    return text + "\n"


def _main_lines(page: _Page, body) -> list[str]:
    """Lines of the page's main text, its title first when the title sits outside the main text."""
    container = page.main_container(body)
    lines: list[str] = []
    if container is not body:
        title = page.title_before(container)
        if title:
            lines.append(title)
    buf: list[str] = []
    if id(container) in page.deep:
        buf.append(page.deep[id(container)])
    else:
        page.collect(container, lines, buf)
    _flush(lines, buf)
    return lines
