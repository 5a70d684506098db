"""One pass over a parsed web page, and the text of its elements.

The parsed page is measured in one pass (Chinese characters per element, in and outside links, with and without
furniture) and every later choice reads those figures, so the time is linear in the page: a walk of each
element's subtree made 4,000 nested <div>s take 12 s and 20,000 nested tables more than two minutes. Elements
past MAX_DEPTH are read as plain text, so no walk recurses without bound."""

from __future__ import annotations

import re

from fazhi.reading.html_elements import (
    _BLOCK_TAGS,
    _CELL_TAGS,
    _CJK_CHAR,
    _DROP_TAGS,
    _WORD_SPLIT,
    _is_furniture_element,
)
from fazhi.reading.tables import figure_table_rows

# Whitespace in HTML source is not significant; a line break between two
# Chinese characters is an artefact of the editor and disappears.
_WS_CJK = re.compile(r"(?<=[\u3000-\u9fff\uff00-\uffef])[ \t\r\n\f]*\n[ \t\r\n\f]*(?=[\u3000-\u9fff\uff00-\uffef])")
_WS = re.compile(r"[ \t\r\n\f]+")

# Elements nested deeper than this are not walked as elements: each one at this depth is read as plain
# text (its blocks one per line). Real pages nest a few dozen levels; a page of 100,000 nested <div>s
# then costs one linear pass instead of a walk per element, and no walk ever recurses past the limit.
MAX_DEPTH = 200
# A title above the main text is a small element: larger ones are not looked at for it.
_TITLE_MAX_NODES = 200
_TITLE_MAX_TRIES = 50


class _Page:
    """One pass over a parsed page, then every question about it (how much Chinese text an element holds,
    outside links, with or without furniture) answered from the figures of that pass: no subtree is
    walked twice."""

    def __init__(self, root, drop_furniture: bool) -> None:
        self.root = root
        self.skip: set[int] = set()  # elements that never hold report text (id)
        self.furniture: set[int] = set()  # page furniture by id/class/style (id), when dropping it
        self.deep: dict[int, str] = {}  # elements at MAX_DEPTH → their plain text
        # id → (Chinese chars, of them in links, same two without furniture, element count)
        self.counts: dict[int, tuple[int, int, int, int, int]] = {}
        self.use_furniture = drop_furniture
        self._measure(root, 0, False)

    def _measure(self, el, depth: int, in_link: bool) -> tuple[int, int, int, int, int]:
        from bs4 import NavigableString, Tag
        from bs4.element import PreformattedString

        link = in_link or el.name == "a"
        cjk = link_cjk = kept = kept_link = 0
        nodes = 1
        for child in el.contents:
            if isinstance(child, NavigableString):
                if not isinstance(child, PreformattedString):  # comments, doctype, CDATA
                    n = len(_CJK_CHAR.findall(child))
                    cjk += n
                    kept += n
                    if link:
                        link_cjk += n
                        kept_link += n
                continue
            if not isinstance(child, Tag) or child.name == "br":
                continue
            if child.name in _DROP_TAGS:
                self.skip.add(id(child))
                continue
            if depth + 1 >= MAX_DEPTH:
                text = _flat_text(child)
                self.deep[id(child)] = text
                n = len(_CJK_CHAR.findall(text))
                c = (n, n if link else 0, n, n if link else 0, 1 << 30)
                self.counts[id(child)] = c
            else:
                c = self._measure(child, depth + 1, link)
            if self.use_furniture and child.name not in ("html", "body") and _is_furniture_element(child):
                self.furniture.add(id(child))
                c = (c[0], c[1], 0, 0, c[4])
                self.counts[id(child)] = c
            cjk += c[0]
            link_cjk += c[1]
            kept += c[2]
            kept_link += c[3]
            nodes += c[4]
        counts = (cjk, link_cjk, kept, kept_link, min(nodes, 1 << 30))
        self.counts[id(el)] = counts
        return counts

    def keeps(self, el) -> bool:
        return id(el) not in self.skip and not (self.use_furniture and id(el) in self.furniture)

    def own_text(self, el) -> int:
        """Chinese characters of el outside links (and outside furniture when dropping it)."""
        c = self.counts.get(id(el), (0, 0, 0, 0, 0))
        return c[2] - c[3] if self.use_furniture else c[0] - c[1]

    def elements(self, el):
        from bs4 import Tag

        return [c for c in el.contents if isinstance(c, Tag) and c.name != "br" and self.keeps(c)]

    def main_container(self, body):
        """The deepest element holding most of the page's non-link Chinese text."""
        total = self.own_text(body)
        best = body
        if total <= 0:
            return body
        while id(best) not in self.deep:
            nxt = next((c for c in self.elements(best) if self.own_text(c) >= 0.85 * total), None)
            if nxt is None:
                break
            best = nxt
        return best

    def text(self, el, sep: str = "") -> str:
        buf: list[str] = []
        lines: list[str] = []
        self.collect(el, lines, buf)
        _flush(lines, buf)
        return sep.join(lines)

    def preceding(self, container) -> list:
        """The kept elements before container in document order (its ancestors excluded), nearest first."""
        from bs4 import Tag

        ancestors = {id(p) for p in container.parents}
        found: list = []
        stack = [self.root]
        while stack:
            el = stack.pop()
            if el is container:
                break
            if id(el) not in ancestors and el is not self.root:
                found.append(el)
            if id(el) in self.deep:
                continue
            stack.extend(reversed([c for c in el.contents if isinstance(c, Tag) and c.name != "br" and self.keeps(c)]))
        found.reverse()
        return found

    def title_before(self, container) -> str | None:
        """The page's article title when it sits outside the main text container (h1, h2, or a *title* element)."""
        tries = 0
        for el in self.preceding(container):
            words: set[str] = set()
            for key in ("id", "class"):
                v = el.attrs.get(key) if el.attrs else None
                for s in v if isinstance(v, list) else [v] if v else []:
                    words.update(w.lower() for w in _WORD_SPLIT.split(s) if w)
            if not (el.name in ("h1", "h2") or words & {"title", "biaoti", "bt"}):
                continue
            c = self.counts.get(id(el), (0, 0, 0, 0, 0))
            if c[0] == 0 or c[4] > _TITLE_MAX_NODES:
                continue
            tries += 1
            if tries > _TITLE_MAX_TRIES:
                return None
            text = _WS.sub(" ", self.text(el, " ")).strip()
            if len(text) <= 120:
                return text
        return None

    def collect(self, el, out: list[str], buf: list[str]) -> None:
        from bs4 import NavigableString, Tag
        from bs4.element import PreformattedString

        for child in el.contents:
            if isinstance(child, NavigableString):
                if not isinstance(child, PreformattedString):  # comments, doctype, CDATA
                    buf.append(str(child))
                continue
            if not isinstance(child, Tag):
                continue
            tag = child.name
            if tag == "br":
                buf.append(_BR)
                continue
            if not self.keeps(child):
                continue
            if id(child) in self.deep:
                _add_deep(self.deep[id(child)], tag in _BLOCK_TAGS, out, buf)
            elif tag == "table" and (rows := figure_table_rows(child)) is not None:
                _flush(out, buf)  # a table of figures: one row per line, each figure after its header
                out.extend(rows)
            elif tag in _CELL_TAGS:
                buf.append(" ")
                self.collect(child, out, buf)
                buf.append(" ")
            elif tag in _BLOCK_TAGS:
                _flush(out, buf)
                if tag == "pre":
                    out.extend(_flat_text(child, keep_lines=True, keeps=self.keeps).splitlines())
                else:
                    self.collect(child, out, buf)
                    _flush(out, buf)
            else:
                self.collect(child, out, buf)


def _add_deep(text: str, block: bool, out: list[str], buf: list[str]) -> None:
    """The plain text of an element past MAX_DEPTH: inline, or (a block element) on lines of its own."""
    if block:
        _flush(out, buf)
    buf.append(text)
    if block:
        _flush(out, buf)


def _flat_text(el, keep_lines: bool = False, keeps=None) -> str:
    """The text of el's subtree, read without recursion: scripts and the like (and what keeps refuses) left
    out, <br> and block boundaries as line breaks (keep_lines: only the source's own line breaks and <br>, for
    <pre>)."""
    from bs4 import NavigableString, Tag
    from bs4.element import PreformattedString

    parts: list[str] = []
    stack: list = [el]
    while stack:
        node = stack.pop()
        if node is None:  # the end of a block
            parts.append(_BR)
            continue
        if isinstance(node, NavigableString):
            if not isinstance(node, PreformattedString):
                parts.append(str(node))
            continue
        if not isinstance(node, Tag) or node.name in _DROP_TAGS or (keeps is not None and not keeps(node)):
            continue
        if node.name == "br":
            parts.append("\n" if keep_lines else _BR)
            continue
        if node.name in _BLOCK_TAGS and node is not el and not keep_lines:
            parts.append(_BR)
            stack.append(None)
        stack.extend(reversed(node.contents))
    return "".join(parts)


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
