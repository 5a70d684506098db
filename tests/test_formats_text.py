"""`fazhi text FILE` prints the text that unit offsets index (issue 18, item 5)."""

import json

from sample_formats import save_report_as

from fazhi.cli import main
from fazhi.paths import WRITTEN_REPORTS_DIR
from fazhi.pipeline.segment import segment
from fazhi.reading.extract import extracted_text


def test_fazhi_text_prints_what_the_offsets_of_fazhi_segment_index(tmp_path, capsys):
    text = (WRITTEN_REPORTS_DIR / "written_b03.txt").read_text(encoding="utf-8")
    docx = save_report_as(text, tmp_path / "report.docx", "docx")
    assert main(["text", str(docx)]) == 0
    shown = capsys.readouterr().out
    assert main(["segment", str(docx)]) == 0
    units = [json.loads(l) for l in capsys.readouterr().out.splitlines()]
    assert len(units) > 20
    assert all(shown[u["start"] : u["end"]] == u["text"] for u in units)
    assert shown == extracted_text(docx)


def test_fazhi_text_units_marks_each_unit_and_its_headings(tmp_path, capsys):
    text = (WRITTEN_REPORTS_DIR / "written_c02.txt").read_text(encoding="utf-8")
    path = tmp_path / "report.txt"
    path.write_text(text, encoding="utf-8")
    assert main(["text", "--units", str(path)]) == 0
    rows = [l.split("\t") for l in capsys.readouterr().out.splitlines()]
    units = segment(text)
    assert [(r[0], r[1] == "H", r[2]) for r in rows] == [(f"{u.start}-{u.end}", u.is_heading, u.text) for u in units]
    assert sum(r[1] == "H" for r in rows) >= 5


def test_fazhi_text_of_an_unreadable_file_is_one_line_and_exit_2(tmp_path, capsys):
    (tmp_path / "scan.pdf").write_bytes(b"%PDF-1.4 cut")
    assert main(["text", str(tmp_path / "scan.pdf")]) == 2
    err = capsys.readouterr().err.strip()
    assert "scan.pdf" in err and "\n" not in err
