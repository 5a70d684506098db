"""Tables of figures are read one row per unit, each figure after its column header (issue 18, item 4)."""

import docx

from fazhi.pipeline.segment import segment
from fazhi.reading import read_report, read_report_bytes
from fazhi.reading.docx import table_lines

# A disclosure table in the form of data/reports/written/written_g01.txt, "主动公开" merged down its rows.
HEADER = ["类别", "信息内容", "本年制发件数", "本年废止件数", "现行有效件数"]
ROWS = [["主动公开", "规章", "0", "0", "0"], ["主动公开", "行政规范性文件", "11", "4", "63"]]


def _docx_with_table(path):
    document = docx.Document()
    document.add_paragraph("二、主动公开政府信息情况")
    table = document.add_table(rows=1 + len(ROWS), cols=len(HEADER))
    for j, h in enumerate(HEADER):
        table.cell(0, j).text = h
    for i, row in enumerate(ROWS, start=1):
        for j, value in enumerate(row):
            if j == 0 and i > 1:
                continue
            table.cell(i, j).text = value
    table.cell(1, 0).merge(table.cell(len(ROWS), 0))  # 主动公开 spans both rows
    document.add_paragraph("三、收到和处理政府信息公开申请情况")
    document.save(str(path))
    return path


def test_a_docx_table_row_keeps_its_headers_and_is_one_unit(tmp_path):
    text = read_report(_docx_with_table(tmp_path / "disclosure.docx"))
    lines = text.splitlines()
    assert "主动公开 | 规章 | 本年制发件数 | 0 | 本年废止件数 | 0 | 现行有效件数 | 0" in lines
    row = "主动公开 | 行政规范性文件 | 本年制发件数 | 11 | 本年废止件数 | 4 | 现行有效件数 | 63"
    assert row in lines
    assert row in [u.text for u in segment(text)]
    assert lines[-1] == "三、收到和处理政府信息公开申请情况"  # the text after the table stays in order


def test_a_table_of_prose_is_read_cell_by_cell_without_headers():
    assert table_lines([["单位", "职责"], ["司法局", "负责备案审查"]]) == ["单位 职责", "司法局 负责备案审查"]


def _pdf_with_table(path):
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table

    if "STSong-Light" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    body = ParagraphStyle("b", fontName="STSong-Light", fontSize=12, leading=20, wordWrap="CJK")
    table = Table([HEADER[1:]] + [row[1:] for row in ROWS] + [["行政许可", "8364", "0", "0"]])
    table.setStyle([("FONTNAME", (0, 0), (-1, -1), "STSong-Light"), ("FONTSIZE", (0, 0), (-1, -1), 10)])
    story = [
        Paragraph("二、主动公开政府信息情况", body),
        Paragraph("全年主动公开政府信息2890条，其中规范性文件11件。", body),
        table,
        Paragraph("三、收到和处理政府信息公开申请情况", body),
    ]
    SimpleDocTemplate(str(path), pagesize=A4, invariant=1).build(story)
    return path


def test_a_pdf_table_row_is_one_line_with_its_headers_between_the_paragraphs_around_it(tmp_path):
    lines = read_report(_pdf_with_table(tmp_path / "disclosure.pdf")).splitlines()
    assert lines == [
        "二、主动公开政府信息情况",
        "全年主动公开政府信息2890条，其中规范性文件11件。",
        "信息内容 | 本年制发件数 | 本年废止件数 | 现行有效件数",
        "规章 | 本年制发件数 | 0 | 本年废止件数 | 0 | 现行有效件数 | 0",
        "行政规范性文件 | 本年制发件数 | 11 | 本年废止件数 | 4 | 现行有效件数 | 63",
        "行政许可 | 本年制发件数 | 8364 | 本年废止件数 | 0 | 现行有效件数 | 0",
        "三、收到和处理政府信息公开申请情况",
    ]


def test_an_html_table_of_figures_keeps_headers_over_rowspan_and_colspan():
    page = (
        "<html><body><p>二、主动公开政府信息情况</p><table>"
        "<tr><th colspan='2'>信息内容</th><th>本年制发件数</th><th>现行有效件数</th></tr>"
        "<tr><td rowspan='2'>主动公开</td><td>规章</td><td>3</td><td>12</td></tr>"
        "<tr><td>行政规范性文件</td><td>11</td><td>63</td></tr>"
        "</table><p>三、收到和处理政府信息公开申请情况</p></body></html>"
    )
    assert read_report_bytes(page.encode("utf-8"), "page.html").splitlines() == [
        "二、主动公开政府信息情况",
        "信息内容 | 本年制发件数 | 现行有效件数",
        "主动公开 | 规章 | 本年制发件数 | 3 | 现行有效件数 | 12",
        "主动公开 | 行政规范性文件 | 本年制发件数 | 11 | 现行有效件数 | 63",
        "三、收到和处理政府信息公开申请情况",
    ]


def test_an_html_layout_table_holding_paragraphs_is_read_as_before():
    page = "<html><body><table><tr><td><p>一、主要工作</p><p>全年办理复议案件35件。</p></td></tr></table></body></html>"
    assert read_report_bytes(page.encode("utf-8"), "page.html").splitlines() == [
        "一、主要工作",
        "全年办理复议案件35件。",
    ]


def test_table_rows_are_tagged_with_table_true_one_unit_each_and_prose_is_not(tmp_path, shipped_model):
    from fazhi.pipeline.tag import tag_text

    text = read_report(_docx_with_table(tmp_path / "disclosure.docx"))
    # A row whose label cell ends a sentence or opens like a heading still reads as one unit.
    text += "（一）予以公开 | 本年度办理结果。 | 件数 | 12\n"
    rows = tag_text("disclosure.docx", text, shipped_model).units
    table = [r for r in rows if r["table"]]
    assert [r["text"] for r in table] == [
        "主动公开 | 规章 | 本年制发件数 | 0 | 本年废止件数 | 0 | 现行有效件数 | 0",
        "主动公开 | 行政规范性文件 | 本年制发件数 | 11 | 本年废止件数 | 4 | 现行有效件数 | 63",
        "（一）予以公开 | 本年度办理结果。 | 件数 | 12",
    ]
    assert all(text[r["start"] : r["end"]] == r["text"] and not r["is_heading"] for r in table)
    assert [r["text"] for r in rows if not r["table"]] == [
        "二、主动公开政府信息情况",
        "三、收到和处理政府信息公开申请情况",
    ]
    assert table[0]["heading"] == "二、主动公开政府信息情况"


def test_a_two_column_pdf_table_broken_over_a_page_keeps_its_header_row(tmp_path):
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table

    if "STSong-Light" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    body = ParagraphStyle("b", fontName="STSong-Light", fontSize=12, leading=20, wordWrap="CJK")
    # Two cells and no figure: the header row alone does not look like a table row.
    table = Table([["项目", "本年处理决定数量"], ["行政许可", "462件"], ["行政处罚", "138件"]])
    table.setStyle([("FONTNAME", (0, 0), (-1, -1), "STSong-Light"), ("FONTSIZE", (0, 0), (-1, -1), 10)])
    path = tmp_path / "broken.pdf"
    story = [Paragraph("二、主动公开政府信息情况", body), Spacer(1, 640), table]  # the page breaks after the header
    SimpleDocTemplate(str(path), pagesize=A4, invariant=1).build(story)
    lines = read_report(path).splitlines()
    assert lines[-2:] == ["行政许可 | 本年处理决定数量 | 462件", "行政处罚 | 本年处理决定数量 | 138件"]
    assert [u.text for u in segment("\n".join(lines)) if u.table] == lines[-2:]
