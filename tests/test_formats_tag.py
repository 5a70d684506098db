"""`fazhi tag --ocr` reaches the readers (issue 18): never skips a scan with its reason, the rest is read."""

import json
import re

import pytest

from fazhi.cli import main


def test_tag_with_ocr_never_skips_a_scan_with_the_reason_and_tags_the_text(tmp_path, capsys):
    from reportlab.pdfgen import canvas

    scan = tmp_path / "scan.pdf"
    c = canvas.Canvas(str(scan))
    c.rect(50, 50, 400, 600, fill=1)  # a page that is all picture
    c.showPage()
    c.save()
    (tmp_path / "report.txt").write_text("一、主要工作\n全面推行行政执法公示制度。\n", encoding="utf-8")
    out = tmp_path / "units.jsonl"
    code = main(["tag", str(tmp_path), "--ocr", "never", "-o", str(out), "--summary-output", str(tmp_path / "s.jsonl")])
    err = capsys.readouterr().err
    assert code == 1
    assert "scan.pdf: the PDF has no text layer" in err and "--ocr never" in err
    docs = {json.loads(l)["doc"] for l in out.read_text(encoding="utf-8").splitlines()}
    assert docs == {str(tmp_path / "report.txt")}


def test_tag_refuses_an_unknown_ocr_mode(capsys):
    with pytest.raises(SystemExit) as caught:
        main(["tag", "x.txt", "--ocr", "sometimes"])
    assert caught.value.code == 2
    assert "--ocr" in capsys.readouterr().err


def test_tag_progress_counts_the_pages_of_a_report_read_page_by_page(tmp_path, shipped_model):
    import io

    from render_formats import save_flat_pdf

    from fazhi.output.run import run_tag
    from fazhi.paths import WRITTEN_REPORTS_DIR

    pdf = save_flat_pdf((WRITTEN_REPORTS_DIR / "written_c02.txt").read_text(encoding="utf-8"), tmp_path / "long.pdf")
    log = io.StringIO()
    run_tag(
        [str(pdf)],
        shipped_model,
        units_output=str(tmp_path / "u.jsonl"),
        summary_output=str(tmp_path / "s.jsonl"),
        progress=True,
        log=log,
    )
    shown = log.getvalue()
    totals = set(re.findall(r"long\.pdf: page \d+/(\d+)", shown))
    assert len(totals) == 1, shown[-500:]
    n = int(totals.pop())
    assert n >= 3 and all(f"long.pdf: page {k}/{n}" in shown for k in range(1, n + 1))
