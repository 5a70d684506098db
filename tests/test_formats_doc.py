"""Old Word .doc (and .wps in the Word 97 format) read like the .docx they were saved from (issue 18)."""

import shutil
from pathlib import Path

import pytest

from fazhi.pipeline.segment import segment
from fazhi.reading import UnreadableFile, detect_format, read_report, read_report_bytes
from fazhi.reading import doc as doc_module

DATA = Path(__file__).parent / "data" / "formats"
DOC = DATA / "written_b03_part.doc"
DOCX = DATA / "written_b03_part.docx"

needs_antiword = pytest.mark.skipif(
    shutil.which("antiword") is None, reason="needs antiword (apt-get install antiword)"
)


def _units(text):
    return [(u.text, u.is_heading) for u in segment(text)]


@needs_antiword
def test_a_doc_reads_into_the_units_of_its_docx():
    units = _units(read_report(DOC))
    assert len(units) > 50 and sum(h for _, h in units) >= 5
    assert units == _units(read_report(DOCX))


@needs_antiword
def test_a_doc_table_of_figures_reads_row_by_row_like_its_docx_merged_cells_included():
    text = read_report(DATA / "disclosure_table.doc")
    assert text == read_report(DATA / "disclosure_table.docx")
    row = "主动公开 | 行政规范性文件 | 本年制发件数 | 11 | 本年废止件数 | 4 | 现行有效件数 | 63"
    assert [u.text for u in segment(text) if u.table][-1] == row


@needs_antiword
def test_a_wps_in_word_97_format_reads_like_the_doc_and_content_alone_says_doc(tmp_path):
    wps = tmp_path / "report.wps"
    wps.write_bytes(DOC.read_bytes())
    assert read_report(wps) == read_report(DOC)
    assert detect_format(DOC.read_bytes(), "") == "doc"
    assert read_report_bytes(DOC.read_bytes(), "<stdin>", suffix="") == read_report(DOC)


def test_a_wps_that_is_not_word_97_is_refused_with_what_to_do(tmp_path):
    path = tmp_path / "old.wps"
    path.write_bytes(b"\x00\x01WPS4 document of an older kind" * 4)
    with pytest.raises(UnreadableFile, match=r"old\.wps: a WPS document .*save it as \.docx"):
        read_report(path)


def test_without_antiword_or_catdoc_the_message_says_what_to_install(monkeypatch):
    monkeypatch.setattr(doc_module.shutil, "which", lambda _name: None)
    with pytest.raises(UnreadableFile, match="apt-get install antiword") as caught:
        read_report(DOC)
    assert "\n" not in str(caught.value)


# antiword's printing of tables, as it gave them for .doc files LibreOffice saved from .docx tables of our text.
def test_antiword_table_forms_read_as_the_docx_rows_wide_wrapped_and_back_to_back():
    wide = (
        "项目 |数量 |数量2 |数量3 | |一、本年新收申请数量 |86 |9 |100 | |二、上年结转申请数量 |3 |1 |4 | "
        "|三、本年度办理结果\n"
    )
    assert doc_module._paragraphs(wide).splitlines() == [
        "项目 | 数量 | 数量2 | 数量3",
        "一、本年新收申请数量 | 数量 | 86 | 数量2 | 9 | 数量3 | 100",
        "二、上年结转申请数量 | 数量 | 3 | 数量2 | 1 | 数量3 | 4",
        "三、本年度办理结果",
    ]
    wrapped = (
        "|项目                  |数量      |\n|（六）其他处理        |7件       |\n"
        "|1.申请人逾期不补正、行|6件       |\n|政机关不再处理        |          |\n"
    )
    assert doc_module._paragraphs(wrapped).splitlines()[-1] == "1.申请人逾期不补正、行政机关不再处理 | 数量 | 6件"
    back_to_back = (
        "|项目      |本年制发    |\n|规章      |0件         |\n|项目      |本年处理决定|\n|行政许可  |286件       |\n"
    )
    assert doc_module._paragraphs(back_to_back).splitlines() == [
        "项目 | 本年制发",
        "规章 | 本年制发 | 0件",
        "项目 | 本年处理决定",
        "行政许可 | 本年处理决定 | 286件",
    ]
