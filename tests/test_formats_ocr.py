"""Scanned pages are read by OCR (Tesseract chi_sim), page by page beside text-layer pages (issue 18)."""

import io

import pytest
from render_formats import (
    char_error_rate,
    degrade,
    image_bytes,
    match_units,
    render_pages,
    save_flat_pdf,
    scan_font,
)

from fazhi.paths import WRITTEN_REPORTS_DIR
from fazhi.reading import OcrUnavailable, UnreadableFile, read_report, read_report_bytes
from fazhi.reading import ocr as ocr_module
from fazhi.reading.ocr import normalize_ocr_text

# The printed part of a written report: its first dozen paragraphs fill one A4 page at 12 pt.
REPORT = "written_c02.txt"

needs_ocr = pytest.mark.skipif(
    ocr_module._languages(ocr_module.TESSERACT) is None
    or ocr_module.LANGUAGE not in (ocr_module._languages(ocr_module.TESSERACT) or ()),
    reason="needs Tesseract with chi_sim (apt-get install tesseract-ocr tesseract-ocr-chi-sim)",
)
needs_font = pytest.mark.skipif(scan_font() is None, reason="the scans are drawn with fonts-wqy-zenhei")


def _printed(paragraphs=12) -> str:
    lines = [l for l in (WRITTEN_REPORTS_DIR / REPORT).read_text(encoding="utf-8").splitlines() if l.strip()]
    return "\n".join(lines[:paragraphs]) + "\n"


@pytest.fixture(scope="module")
def scan_page():
    text = _printed()
    pages = render_pages(text)
    assert len(pages) == 1
    return text, pages[0]


@pytest.fixture(scope="module")
def scanned_pdf(scan_page):
    _, page = scan_page
    buf = io.BytesIO()
    page.save(buf, "PDF", resolution=150.0)
    return buf.getvalue()


@needs_ocr
@needs_font
@pytest.mark.slow
def test_a_scanned_pdf_is_read_by_ocr_into_the_units_of_its_text(scan_page, scanned_pdf):
    text, _ = scan_page
    pages = []
    got = read_report_bytes(scanned_pdf, "scan.pdf", progress=lambda done, total: pages.append((done, total)))
    assert pages == [(1, 1)]
    assert char_error_rate(text, got) <= 0.03
    m = match_units(text, got)
    assert m.unit_share >= 0.9, m
    # A paragraph printed over several lines comes back as one line, so its sentences are whole units.
    longest = max(text.splitlines(), key=len)
    assert len(longest) > 3 * 37
    assert any(len(line) > 0.9 * len(longest) and longest[:6] in line for line in got.splitlines())


@needs_ocr
@needs_font
@pytest.mark.slow
def test_a_png_page_is_read_by_ocr_like_a_scanned_pdf(scan_page, tmp_path):
    text, page = scan_page
    png = tmp_path / "page.png"
    png.write_bytes(image_bytes(page, "PNG"))
    got = read_report(png)
    assert char_error_rate(text, got) <= 0.03
    assert match_units(text, got).unit_share >= 0.9


@needs_ocr
@needs_font
@pytest.mark.slow
def test_a_mixed_pdf_keeps_its_text_layer_and_reads_its_scanned_page(scanned_pdf, tmp_path):
    from pypdf import PdfReader, PdfWriter

    first = (WRITTEN_REPORTS_DIR / "written_b03.txt").read_text(encoding="utf-8").splitlines()[3]
    text_pdf = save_flat_pdf(first + "\n", tmp_path / "text.pdf", furniture=False)
    writer = PdfWriter()
    writer.append(PdfReader(text_pdf))
    writer.append(PdfReader(io.BytesIO(scanned_pdf)))
    out = io.BytesIO()
    writer.write(out)
    seen = []
    got = read_report_bytes(out.getvalue(), "mixed.pdf", progress=lambda d, t: seen.append((d, t)))
    assert seen == [(1, 2), (2, 2)]
    assert got.splitlines()[0] == first.strip()  # page 1 from its text layer, exactly
    assert char_error_rate(_printed(), "".join(got.splitlines()[1:])) <= 0.03


@needs_font
def test_only_a_speckled_page_is_median_filtered_before_ocr(scan_page):
    from PIL import ImageChops

    from fazhi.reading.image import SPECKLED, prepare_page, speck_share

    _, page = scan_page
    assert speck_share(page) == 0.0
    assert ImageChops.difference(prepare_page(page), page.convert("L")).getbbox() is None  # left alone
    speckled = degrade(page)
    assert speck_share(speckled) > 2 * SPECKLED
    assert speck_share(prepare_page(speckled)) < SPECKLED / 4


@needs_ocr
@needs_font
@pytest.mark.slow
def test_a_turned_blurred_speckled_jpeg_scan_is_read_back_with_its_headings(scan_page, tmp_path):
    text, page = scan_page
    jpg = tmp_path / "page.jpg"
    jpg.write_bytes(image_bytes(degrade(page), "JPEG"))
    got = read_report(jpg)
    m = match_units(text, got)
    assert m.unit_share >= 0.9, m
    assert m.heading_share >= 0.9, m
    assert char_error_rate(text, got) <= 0.03


@needs_font
def test_ocr_never_refuses_a_scan_and_says_how_to_read_it(scanned_pdf):
    with pytest.raises(UnreadableFile, match="no text layer.*--ocr never"):
        read_report_bytes(scanned_pdf, "scan.pdf", ocr="never")


@needs_font
def test_a_missing_ocr_engine_is_one_line_naming_the_packages(scanned_pdf, monkeypatch, tmp_path):
    monkeypatch.setattr(ocr_module, "TESSERACT", "fazhi-no-such-tesseract")
    with pytest.raises(OcrUnavailable) as caught:
        read_report_bytes(scanned_pdf, "scan.pdf")
    message = str(caught.value)
    assert "\n" not in message
    assert "scan.pdf: page 1 has no text layer" in message
    assert "apt-get install tesseract-ocr tesseract-ocr-chi-sim" in message
    (tmp_path / "page.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    with pytest.raises(OcrUnavailable, match="tesseract-ocr-chi-sim"):
        read_report(tmp_path / "page.png")


def test_an_unknown_ocr_mode_is_refused():
    with pytest.raises(ValueError, match="auto, never, always"):
        read_report_bytes("一、主要工作\n".encode(), "a.txt", ocr="sometimes")  # type: ignore[arg-type]


def test_ocr_lines_lose_tesseracts_spaces_and_get_full_width_punctuation():
    assert (
        normalize_ocr_text("发挥 职能 作用 , 统筹 推进 (2021 - 2025年) : ")
        == "发挥职能作用，统筹推进（2021 - 2025年）："
    )
    assert normalize_ocr_text("covered 95 % of cases") == "covered 95 % of cases"


def test_ocr_always_reads_even_a_page_with_a_text_layer_by_ocr(monkeypatch, tmp_path):
    text_pdf = save_flat_pdf("一、主要工作\n全面推行行政执法公示制度。\n", tmp_path / "text.pdf", furniture=False)
    monkeypatch.setattr(ocr_module, "TESSERACT", "fazhi-no-such-tesseract")
    assert read_report(text_pdf, ocr="auto").splitlines()[0] == "一、主要工作"  # the text layer needs no engine
    with pytest.raises(OcrUnavailable, match="--ocr always reads every page by OCR, but Tesseract is not installed"):
        read_report(text_pdf, ocr="always")


def test_an_image_with_ocr_never_is_refused_with_the_reason(tmp_path):
    (tmp_path / "page.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    with pytest.raises(UnreadableFile, match="image of a page has no text without OCR"):
        read_report(tmp_path / "page.png", ocr="never")


def test_quotation_marks_read_as_ascii_come_back_chinese_across_a_wrapped_line():
    quotes = ocr_module._Quotes()
    assert (
        quotes('开展"双随机、一公开"抽查，推行\'首违不罚"清单，建设"法治')
        == "开展“双随机、一公开”抽查，推行“首违不罚”清单，建设“法治"
    )
    assert quotes('政府"示范创建。') == "政府”示范创建。"


def test_heading_markers_misread_on_a_poor_scan_are_repaired_in_sequence():
    from fazhi.reading.ocr import repair_markers

    got = repair_markers(
        [
            "一,2021年工作情况",
            "（一）坚持党的领导",
            "全)持续优化法治营商环境",
            "伍)依法依规科学决策",
            "二、存在的问题",
            "伍)执法能力不强",
            "全年办结案件35件。",
        ]
    )
    assert got == [
        "一、2021年工作情况",
        "（一）坚持党的领导",
        "（二）持续优化法治营商环境",
        "（三）依法依规科学决策",
        "二、存在的问题",
        "（一）执法能力不强",
        "全年办结案件35件。",
    ]
