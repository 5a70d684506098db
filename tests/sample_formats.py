"""Save a report text in the formats reports are published in.

Used by the tests and benchmarks to make .txt (UTF-8, UTF-8 with BOM,
GB18030), .html (a government page with menus, scripts and a footer around the
text), .docx and text-layer .pdf versions of the same report, so that
``fazhi tag`` can be checked to read them all alike. The PDF and DOCX writers
need the dev extra (reportlab) and python-docx.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

__all__ = ["FORMATS", "save_report_as"]

# format name → file suffix
FORMATS: dict[str, str] = {
    "txt-utf8": ".txt",
    "txt-utf8-bom": ".txt",
    "txt-gb18030": ".txt",
    "html": ".html",
    "html-gbk": ".htm",
    "docx": ".docx",
    "pdf": ".pdf",
}


def save_report_as(text: str, path: Path, fmt: str) -> Path:
    """Write text to path in format fmt (a key of FORMATS); returns path."""
    path = Path(path)
    if fmt == "txt-utf8":
        path.write_bytes(text.encode("utf-8"))
    elif fmt == "txt-utf8-bom":
        path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    elif fmt == "txt-gb18030":
        path.write_bytes(text.encode("gb18030"))
    elif fmt == "html":
        path.write_bytes(_html_page(text, "utf-8").encode("utf-8"))
    elif fmt == "html-gbk":
        path.write_bytes(_html_page(text, "gb2312").encode("gb18030"))
    elif fmt == "docx":
        _write_docx(text, path)
    elif fmt == "pdf":
        _write_pdf(text, path)
    else:
        raise ValueError(f"expected a format among {', '.join(FORMATS)}, found {fmt!r}")
    return path


def _lines(text: str) -> list[str]:
    return [l.strip() for l in text.splitlines() if l.strip()]


def _is_heading(line: str) -> bool:
    from fazhi.pipeline.segment import heading_level

    return heading_level(line) is not None and len(line) <= 40


_CJK_PAIR = re.compile(r"(?<=[\u4e00-\u9fff])(?=[\u4e00-\u9fff])")


def _wrap_source(line: str, width: int = 70) -> str:
    """Break a long paragraph in the HTML source between two Chinese characters, as page editors do."""
    if len(line) <= width:
        return html.escape(line, quote=False)
    out, last = [], 0
    for m in _CJK_PAIR.finditer(line):
        if m.start() - last >= width:
            out.append(html.escape(line[last : m.start()], quote=False))
            last = m.start()
    out.append(html.escape(line[last:], quote=False))
    return "\n      ".join(out)


def _html_page(text: str, charset: str) -> str:
    lines = _lines(text)
    title, body = (lines[0], lines[1:]) if lines else ("", [])
    paras = []
    for line in body:
        if _is_heading(line):
            paras.append(f"    <p style=\"text-indent:2em\"><strong>{html.escape(line, quote=False)}</strong></p>")
        else:
            paras.append(f"    <p style=\"text-indent:2em\">&nbsp;&nbsp;{_wrap_source(line)}</p>")
    paragraphs = "\n".join(paras)
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta http-equiv="Content-Type" content="text/html; charset={charset}">
<title>{html.escape(title)}_政务公开_某某区人民政府门户网站</title>
<style>body{{font-family:SimSun}} .nav li{{display:inline}} .hidden{{display:none}}</style>
<script type="text/javascript">var _hmt = _hmt || []; document.write("统计代码加载中");</script>
</head>
<body>
<div class="top-bar">无障碍浏览 | 长者模式 | 登录 | 注册 <a href="#">English</a></div>
<div class="header"><img src="logo.png" alt="某某区人民政府门户网站"><span>某某区人民政府门户网站</span></div>
<div id="nav" class="nav"><ul>
  <li><a href="/">首页</a></li><li><a href="/zwgk/">政务公开</a></li><li><a href="/zwfw/">政务服务</a></li>
  <li><a href="/hdjl/">互动交流</a></li><li><a href="/zjmq/">走进某某</a></li>
</ul></div>
<div class="position">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a> &gt; 法治政府建设年度报告</div>
<div class="main">
  <div class="article">
    <h1 class="article-title">{html.escape(title, quote=False)}</h1>
    <div class="article-info">发布时间：2024-03-01 10:15　来源：区司法局　浏览次数：<span id="count">1024</span>\
　【字号：<a>大</a> <a>中</a> <a>小</a>】</div>
    <div class="TRS_Editor article-content" id="zoom">
{paragraphs}
    </div>
    <div class="share">分享到：<a>微信</a> <a>微博</a> 【打印本页】【关闭窗口】</div>
  </div>
  <div class="sidebar"><h3>相关文章</h3><ul><li><a href="#">关于2022年度法治政府建设工作情况的报告</a></li>
  <li><a href="#">关于印发某某区依法行政工作要点的通知</a></li></ul></div>
</div>
<div class="footer">
  <p>主办单位：某某区人民政府办公室　承办：某某区大数据中心</p>
  <p>网站标识码：1234567890　<a href="https://beian.miit.gov.cn/">某ICP备12345678号</a>　某公网安备 12345678901234号</p>
  <p>版权所有 © 某某区人民政府 技术支持：某某科技有限公司</p>
</div>
<div class="hidden">隐藏的统计说明文字不应出现在正文中。</div>
<script>window.onload = function () {{ console.log("页面加载完成"); }};</script>
</body>
</html>
"""


def _write_docx(text: str, path: Path) -> None:
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    document = docx.Document()
    lines = _lines(text)
    for i, line in enumerate(lines):
        if i == 0:
            p = document.add_paragraph()
            run = p.add_run(line)
            run.bold = True
            run.font.size = Pt(18)
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        elif _is_heading(line):
            p = document.add_paragraph()
            p.add_run(line).bold = True
        else:
            p = document.add_paragraph(line)
            p.paragraph_format.first_line_indent = Pt(24)
    footer = document.sections[0].footer.paragraphs[0]
    footer.text = "— 1 —　页脚不属于正文"
    document.save(str(path))


_FONT = "STSong-Light"


def _write_pdf(text: str, path: Path) -> None:
    from xml.sax.saxutils import escape

    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    if _FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(_FONT))
    title_style = ParagraphStyle(
        "title", fontName=_FONT, fontSize=18, leading=28, alignment=1, spaceAfter=12, wordWrap="CJK"
    )
    heading_style = ParagraphStyle("heading", fontName=_FONT, fontSize=14, leading=24, wordWrap="CJK")
    body_style = ParagraphStyle("body", fontName=_FONT, fontSize=12, leading=20, firstLineIndent=24, wordWrap="CJK")

    def page_number(canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont(_FONT, 10)
        canvas.drawCentredString(A4[0] / 2, 12 * mm, f"- {doc.page} -")
        canvas.restoreState()

    story = []
    for i, line in enumerate(_lines(text)):
        style = title_style if i == 0 else heading_style if _is_heading(line) else body_style
        story.append(Paragraph(escape(line), style))
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
    doc.build(story, onFirstPage=page_number, onLaterPages=page_number)
