"""What the elements of a saved government web page are: those that never hold report text, the id/class words
of page furniture, the block and cell elements that break lines."""

from __future__ import annotations

import re

# Elements that never hold report text.
_DROP_TAGS = (
    "script",
    "style",
    "noscript",
    "template",
    "iframe",
    "frame",
    "frameset",
    "svg",
    "canvas",
    "object",
    "embed",
    "map",
    "audio",
    "video",
    "head",
    "nav",
    "header",
    "footer",
    "aside",
    "form",
    "button",
    "select",
    "input",
    "textarea",
    "option",
    "menu",
    "dialog",
)
# id/class words of page furniture on government sites. Matched against whole
# words of the attribute (split at - _ space and camelCase), so "content-header"
# does not drop "content".
_FURNITURE_WORDS = {
    "nav",
    "navbar",
    "navigation",
    "menu",
    "menus",
    "mainnav",
    "topnav",
    "subnav",
    "footer",
    "foot",
    "bottom",
    "breadcrumb",
    "breadcrumbs",
    "crumb",
    "crumbs",
    "position",
    "location",
    "share",
    "sharing",
    "bdshare",
    "sidebar",
    "side",
    "toolbar",
    "tools",
    "tool",
    "copyright",
    "banner",
    "login",
    "search",
    "topbar",
    "friendlink",
    "friendlinks",
    "links",
    "link",
    "weixin",
    "wechat",
    "qrcode",
    "ewm",
    "print",
    "fontsize",
    "font",
    "zoomtool",
    "related",
    "relevant",
    "pager",
    "pagination",
    "comment",
    "comments",
    "ad",
    "ads",
    "advert",
    "skip",
    "accessibility",
    "wza",
    "header",
    "head",
    "top",
    "gotop",
    "backtop",
}
_WORD_SPLIT = re.compile(r"[-_\s]+|(?<=[a-z])(?=[A-Z])")
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_BLOCK_TAGS = {
    "address",
    "article",
    "aside",
    "blockquote",
    "body",
    "caption",
    "center",
    "dd",
    "details",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "html",
    "li",
    "main",
    "ol",
    "p",
    "pre",
    "section",
    "summary",
    "table",
    "tbody",
    "tfoot",
    "thead",
    "tr",
    "ul",
}
_CELL_TAGS = {"td", "th"}
_CJK_CHAR = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


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
