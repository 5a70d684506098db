"""A PDF laid out without first-line indents keeps its paragraphs and headings (issue 18, layout-aware text)."""

import re

import pytest
from render_formats import RUNNING_HEADER, match_units, save_flat_pdf

from fazhi.paths import WRITTEN_REPORTS_DIR as WRITTEN
from fazhi.reading import read_report
from fazhi.reading.layout import Line, join_wrapped


@pytest.mark.parametrize("report", ["written_c02.txt", "written_b03.txt"])
def test_pdf_without_indents_finds_the_units_and_headings_of_the_text(report, tmp_path):
    text = (WRITTEN / report).read_text(encoding="utf-8")
    got = read_report(save_flat_pdf(text, tmp_path / "flat.pdf"))
    m = match_units(text, got)
    assert m.headings >= 5
    assert m.unit_share >= 0.95, m
    assert m.heading_share >= 0.95, m


def test_seed_004_without_indents_keeps_its_16_headings(seeds_dir, tmp_path):
    text = next(seeds_dir.glob("004_*.txt")).read_text(encoding="utf-8")
    m = match_units(text, read_report(save_flat_pdf(text, tmp_path / "flat.pdf")))
    assert (m.headings_found, m.headings) == (16, 16)
    assert m.unit_share >= 0.95, m


def test_running_header_page_numbers_and_web_furniture_lines_stay_off_the_text(tmp_path):
    text = (WRITTEN / "written_b03.txt").read_text(encoding="utf-8")
    lines = read_report(save_flat_pdf(text, tmp_path / "flat.pdf")).splitlines()
    assert RUNNING_HEADER not in "\n".join(lines)
    assert not [l for l in lines if re.fullmatch(r"- \d+ -", l)]
    # 索引号 stays a line of its own (dropped as furniture by the segmenter), not glued to the first sentence.
    index_line = next(l for l in text.splitlines() if l.startswith("索引号"))
    assert index_line.strip() in lines


def _line(text, y, x=0.0, size=10.0):
    return Line(text, x, y, size, 0)


def test_a_short_line_ends_its_paragraph_and_a_wrapped_one_continues():
    # 20 characters fill the measure; a heading of 6 and a last line of 8 stop short.
    full = "全面推进严格规范公正文明执法持续深化行政执法"[:20]
    lines = [
        _line("二、存在的问题", 100),
        _line(full, 80),
        _line("部分执法人员业务能力不强。", 60),
        _line(full, 40),
        _line("8件", 20),
        _line(full, 0),
    ]
    assert join_wrapped(lines) == ["二、存在的问题", full + "部分执法人员业务能力不强。", full + "8件", full]


def test_a_number_the_line_had_no_room_for_goes_down_with_its_paragraph():
    full = "全面推进严格规范公正文明执法持续深化行政执法"[:20]
    # 18 characters and a 5-digit number (2.5 cells) that would not fit in the 2 left.
    lines = [_line(full, 60), _line(full[:18], 40), _line("12345件，全部办结。", 20), _line(full, 0)]
    assert join_wrapped(lines)[0] == full + full[:18] + "12345件，全部办结。"
