"""Saved government web pages: only the main text is kept (scripts, styles, menus, headers and footers are dropped)."""

from __future__ import annotations

import re

from fazhi.errors import UnreadableFile

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
