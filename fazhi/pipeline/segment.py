"""Report text → sentence units, following the unit rules of TAXONOMY.md.

Offsets always point into the text exactly as given: nothing is normalised
before splitting, so callers can highlight units in the original document.
`fazhi segment FILE` prints the units of a report as JSON Lines.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from fazhi.reading.patterns import CN_NUM as _CN_NUM
from fazhi.reading.patterns import heading_level
from fazhi.reading.tables import is_table_row

__all__ = ["Unit", "segment", "iter_units", "is_furniture", "heading_level"]


@dataclass(frozen=True)
class Unit:
    """One sentence unit of a report."""

    index: int
    start: int  # offset of the first character in the original text
    end: int  # offset one past the last character
    text: str
    heading: str  # nearest enclosing section heading above the unit ("" if none)
    is_heading: bool = False
    path: tuple[str, ...] = ()  # every open heading above the unit, outermost first (heading == path[-1])
    table: bool = False  # a row of a table of figures, read whole ('主动公开 | 规章 | 本年制发件数 | 3')


# --- page furniture ---------------------------------------------------------
# Saved government web pages carry navigation, counters and footers around the
# report. They are dropped line by line; a line is only dropped when it looks
# like furniture as a whole, so a real sentence that mentions 网站 survives.
_FURNITURE_ANYWHERE = re.compile(
    r"阅读次数|浏览次数|阅读量|访问量|点击[数量率]|浏览量|"
    r"字号|字体|大\s*中\s*小|扫一扫|二维码|手机扫描|在手机打开|"
    r"网站标识码|ICP\s*备|ICP证|公网安备|公安备案|版权所有|Copyright|©|"
    r"技术支持|网站地图|联系我们|设为首页|加入收藏|无障碍|长者模式|适老化|"
    r"语音播报|天气预报|分享到|我要打印|打印本页|关闭窗口|返回顶部|"
    r"上一篇|下一篇|相关链接|相关文章|相关阅读|责任编辑|"
    r"当前位置|您的位置|现在的位置|文章来源|稿件来源|网站维护|技术电话|我要(?:找|问|查|看)|"
    r"【\s*(?:打印|关闭|收藏|分享|纠错)\s*】|"
    r"\[\s*(?:打印|关闭|收藏|分享|纠错)\s*\]",
    re.IGNORECASE,
)
# Account controls: furniture only as a short line without figures, since
# report text says 政务新媒体账号 or 新注册市场主体1.2万户 too.
_ACCOUNT_WORDS = re.compile(r"登录|注册|退出|账号|密码")
_FURNITURE_START = re.compile(
    r"^\s*[\[【［]?\s*(?:索引号|发文字号|文\s*号|主题分类|体裁分类|发布机构|"
    r"有\s*效\s*性|成文日期|发布日期|发布时间|信息来源|信息时间|来\s*源|"
    r"主办单位|主办|承办单位|承办|协办|联系电话|电话|地址|邮编|传真|"
    r"分享|作者|编辑|审核|日期|时间|浏览)\s*[\]】］:：]"
)
_PIPE_NAV = re.compile(r"[|｜].*[|｜]|(?:\s>\s|＞|›|»).*(?:\s>\s|＞|›|»)")
_BUTTONS_ONLY = re.compile(
    r"^[\s【】\[\]()（）]*(?:(?:打印|关闭|收藏|分享|返回|顶部|纠错|复制链接)[\s【】\[\]()（）|｜]*)+$"
)
_SITE_NAME = re.compile(r"(?:人民政府|政府|网|门户网站|网站|首页|政府网)$")


def is_furniture(line: str) -> bool:
    """True when a whole line is web-page furniture rather than report text."""
    s = line.strip()
    if not s:
        return False
    has_stop = "。" in s
    if _BUTTONS_ONLY.match(s):
        return True
    # A sentence that ends in 。 is report text even when it mentions 访问量.
    if _FURNITURE_ANYWHERE.search(s) and not has_stop:
        return True
    if _ACCOUNT_WORDS.search(s) and len(s) <= 20 and not has_stop and not re.search(r"\d", s):
        return True
    if _FURNITURE_START.match(s) and len(s) <= 80:
        return True
    # A table row read with its headers ("规章 | 本年制发件数 | 0") ends in a figure; a menu bar does not.
    if _PIPE_NAV.search(s) and not has_stop and not re.search(r"[|｜]\s*[-+]?\d[\d,，.]*\s*\S{0,2}$", s):
        return True
    # A lone site name ("宜宾市司法局门户网站") or a bulleted link title under 相关链接.
    if len(s) <= 30 and re.search(r"(?:门户网站|政府网|网站)$", s) and not re.search(r"[，,。；;：:]", s):
        return True
    if s[0] in "·•" and not has_stop and len(s) <= 80:
        return True
    tokens = s.split()
    if len(tokens) >= 2 and not has_stop and "关于" not in s and "报告" not in s:
        # "辽宁省人民政府 营口市人民政府": a row of site names
        if all(_SITE_NAME.search(t) for t in tokens):
            return True
        # a menu bar: many short words, no punctuation and no figures (a table
        # row saved as text, "检查单位 68家 立案 11件", has figures)
        if len(tokens) >= 4 and all(len(t) <= 6 for t in tokens) and not re.search(r"[，,。；;：:、\d]", s):
            return True
    return False


# --- headings ---------------------------------------------------------------
_MAX_HEADING_CHARS = 40
# A numbered line that ends in a figure is a table row saved as text
# ("（三）不予公开 5", "（一）新收案件 428件"), not a section heading.
_ENDS_IN_COUNT = re.compile(r"\d[\d.,，]*\s*(?:件|条|次|个|人次|人|家|项|卷|份|起|户|宗|万元|亿元|元|%|％)?$")


# --- splitting --------------------------------------------------------------
_CJK = "\u4e00-\u9fff"
_CLOSERS = "”’」』）)】》\"'"
# A sentence ends at 。！？；!?; (plus closing quotes), or at a half-width
# period that follows a CJK character and is not part of a number or heading.
_END = re.compile(rf"[。！？；!?;…]+[{_CLOSERS}]*|(?<=[{_CJK}{_CLOSERS}])\.(?![\d.])[{_CLOSERS}]*")
# Enumerations inside a paragraph start a new unit when they open a clause.
_ENUM_START = re.compile(
    rf"(?<=[，,：:；;。\s）)])\s*(?=[{_CN_NUM}]{{1,3}}是|"
    rf"[（(][{_CN_NUM}\d]{{1,3}}[)）]|\d{{1,2}}[、．](?!\d)|[①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳])"
)
# Published text sometimes loses the comma before a later enumeration
# ("…等内容三是理顺部门职责"); once a line has said 一是, a later 二是…十是
# starts a new unit even without punctuation before it.
_LATE_ENUM = re.compile(r"(?<![其第这那])[二三四五六七八九十]是")
_LINE = re.compile(r"[^\r\n\u2028\u2029]+")
_INVISIBLE = "\ufeff\u200b\u200c\u200d\u2060"
_PUNCT_ONLY = re.compile(r"^[\W_]+$")


def _strip(s: str, left: bool) -> str:
    """Strip every Unicode space (en spaces and ideographic spaces pad signatures) and zero-width marks."""
    while True:
        t = s.lstrip().lstrip(_INVISIBLE) if left else s.rstrip().rstrip(_INVISIBLE)
        if t == s:
            return s
        s = t


def _pieces(line: str, base: int) -> list[tuple[int, int]]:
    """Split one line into (start, end) spans at sentence ends and enumerations."""
    cuts = {0, len(line)}
    for m in _END.finditer(line):
        cuts.add(m.end())
    for m in _ENUM_START.finditer(line):
        cuts.add(m.end())
    first = line.find("一是")
    if first >= 0:
        for m in _LATE_ENUM.finditer(line, first + 2):
            cuts.add(m.start())
    ordered = sorted(cuts)
    spans = []
    for a, b in zip(ordered, ordered[1:], strict=False):
        piece = line[a:b]
        lead = len(piece) - len(_strip(piece, left=True))
        trail = len(piece) - len(_strip(piece, left=False))
        s, e = a + lead, b - trail
        if e - s >= 2 and not _PUNCT_ONLY.match(line[s:e]):
            spans.append((base + s, base + e))
    return spans


def segment(text: str) -> list[Unit]:
    """Split report text into sentence units with offsets and section headings.

    Empty or whitespace-only input gives an empty list.
    """
    return list(iter_units(text))


def iter_units(text: str) -> Iterator[Unit]:
    """The units of segment(text), one at a time: a caller with a limit stops reading a huge text early."""
    count = 0
    stack: list[tuple[int, str]] = []  # open headings as (level, text)
    for line_match in _LINE.finditer(text):
        line = line_match.group()
        if not _strip(line, left=True) or is_furniture(line):
            continue
        if is_table_row(line):  # one unit per table row, however many cells end in 。 or open with （一）
            s = line_match.start() + len(line) - len(_strip(line, left=True))
            e = line_match.end() - (len(line) - len(_strip(line, left=False)))
            path = tuple(h for _, h in stack)
            yield Unit(count, s, e, text[s:e], path[-1] if path else "", False, path, table=True)
            count += 1
            continue
        for i, (s, e) in enumerate(_pieces(line, line_match.start())):
            piece = text[s:e]
            level = heading_level(piece)
            # Mid-line, only the top two outline levels count as headings: a
            # "(1)" inside a paragraph is an enumeration, not a section.
            is_heading = (
                level is not None
                and len(piece) <= _MAX_HEADING_CHARS
                and (i == 0 or level <= 2)
                and piece[-1] not in "，,；;："
                and not _ENDS_IN_COUNT.search(piece)
            )
            if is_heading and level is not None:
                while stack and stack[-1][0] >= level:
                    stack.pop()
                path = tuple(h for _, h in stack)
                yield Unit(count, s, e, piece, path[-1] if path else "", True, path)
                stack.append((level, piece))
            else:
                path = tuple(h for _, h in stack)
                yield Unit(count, s, e, piece, path[-1] if path else "", False, path)
            count += 1
