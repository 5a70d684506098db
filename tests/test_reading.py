"""Reading reports in every published format gives the text the segmenter expects."""

import re

import pytest
from sample_formats import FORMATS, save_report_as

from fazhi.pipeline.segment import segment
from fazhi.reading import UnreadableFile, decode_text, detect_format, read_report, read_report_bytes

SEED = "004_4aea94131e29c9d0.txt"


def _units(text: str) -> list[tuple[str, str, bool]]:
    # HTML collapses runs of whitespace by definition; everything else is compared exactly.
    def ws(s):
        return re.sub(r"\s+", " ", s)

    return [(ws(u.text), ws(u.heading), u.is_heading) for u in segment(text)]


@pytest.fixture(scope="module")
def seed_files(tmp_path_factory, seed_texts):
    """Every seed report saved in every format: {(seed, format): path}."""
    root = tmp_path_factory.mktemp("formats")
    files = {}
    for name, text in seed_texts.items():
        for fmt, suffix in FORMATS.items():
            files[name, fmt] = save_report_as(text, root / f"{name[:-4]}_{fmt}{suffix}", fmt)
    return files


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_every_format_of_every_seed_segments_into_the_same_units_as_the_txt(fmt, seed_files, seed_texts):
    for name, text in seed_texts.items():
        assert _units(read_report(seed_files[name, fmt])) == _units(text), f"{name} as {fmt}"


def test_decode_text_reads_utf8_bom_utf16_and_gb18030(seed_texts):
    text = seed_texts[SEED]
    assert decode_text(text.encode("utf-8")) == text
    assert decode_text(b"\xef\xbb\xbf" + text.encode("utf-8")) == text
    assert decode_text(text.encode("gb18030")) == text
    assert decode_text(text.encode("utf-16")) == text  # with its byte-order mark


def test_gbk_encoded_report_is_detected_without_being_told(seed_texts):
    text = seed_texts["002_2e6ca2ac6e11755e.txt"]
    raw = text.encode("gbk")
    assert detect_format(raw, ".txt") == "text"
    assert read_report_bytes(raw, "report.txt") == text


@pytest.mark.parametrize(
    "raw, reason",
    [
        (b"", "empty"),
        (b"  \n\t ", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        (bytes(range(1, 32)) * 50, "binary"),
    ],
)
def test_empty_and_binary_text_files_are_refused_with_the_reason(raw, reason):
    with pytest.raises(UnreadableFile, match=reason):
        read_report_bytes(raw, "x.txt")


def test_html_main_text_drops_scripts_styles_menus_footers_and_hidden_text(seed_files):
    text = read_report(seed_files[SEED, "html"])
    # Strings that only the page around the report carries (the seed text has furniture of its own).
    for furniture in (
        "统计代码加载中",
        "页面加载完成",
        "font-family",
        "走进某某",
        "某某科技有限公司",
        "1234567890",
        "某ICP备",
        "分享到：",
        "依法行政工作要点的通知",
        "隐藏的统计说明",
        "长者模式",
        "浏览次数：",
    ):
        assert furniture not in text, furniture
    first = next(l for l in seed_files[SEED, "html"].read_text(encoding="utf-8").splitlines() if "<h1" in l)
    title = re.sub(r"<[^>]+>", "", first).strip()
    assert text.splitlines()[0] == title  # the article title above the text is kept


def test_html_declared_gbk_is_decoded(seed_files, seed_texts):
    raw = seed_files[SEED, "html-gbk"].read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert _units(read_report(seed_files[SEED, "html-gbk"])) == _units(seed_texts[SEED])


def test_html_page_with_plain_paragraphs_and_br_lines():
    page = (
        "<html><body><p>一、主要工作</p><p>全面推行行政执法公示制度。<br>严格落实重大执法决定法制审核制度。</p>"
        "<table><tr><td>行政复议案件</td><td>35件</td></tr></table></body></html>"
    ).encode()
    assert read_report_bytes(page, "page.html").splitlines() == [
        "一、主要工作",
        "全面推行行政执法公示制度。",
        "严格落实重大执法决定法制审核制度。",
        "行政复议案件 35件",
    ]


def test_docx_body_is_read_and_its_footer_is_not(seed_files):
    text = read_report(seed_files[SEED, "docx"])
    assert "页脚不属于正文" not in text


def test_pdf_page_numbers_are_dropped_and_wrapped_lines_joined(seed_files, seed_texts):
    text = read_report(seed_files["003_a5a9fb6f9abef0a0.txt", "pdf"])
    assert not re.search(r"^- \d+ -$", text, re.M)
    longest = max(seed_texts["003_a5a9fb6f9abef0a0.txt"].splitlines(), key=len).strip()
    assert longest in text.splitlines()  # a paragraph of several printed lines comes back whole


def test_scanned_pdf_without_text_layer_is_refused(tmp_path):
    from reportlab.pdfgen import canvas

    path = tmp_path / "scan.pdf"
    c = canvas.Canvas(str(path))
    c.rect(50, 50, 400, 600, fill=1)  # a page that is all picture, no text
    c.showPage()
    c.save()
    with pytest.raises(UnreadableFile, match="no text layer"):
        read_report(path)


def test_password_protected_pdf_is_refused(seed_files, tmp_path):
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(seed_files[SEED, "pdf"]))
    writer.encrypt("secret")
    path = tmp_path / "locked.pdf"
    with open(path, "wb") as f:
        writer.write(f)
    with pytest.raises(UnreadableFile, match="password"):
        read_report(path)


def test_damaged_pdf_and_docx_and_old_doc_are_refused_with_reasons(tmp_path, seed_files):
    cases = {
        "cut.pdf": (seed_files[SEED, "pdf"].read_bytes()[:300], "PDF"),
        "junk.docx": (b"this is not a zip file at all", "docx"),
        "old.doc": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, r"\.doc"),
        "photo.jpg": (b"\xff\xd8\xff\xe0" + b"\x00" * 50, "image"),
    }
    for name, (raw, reason) in cases.items():
        (tmp_path / name).write_bytes(raw)
        with pytest.raises(UnreadableFile, match=reason):
            read_report(tmp_path / name)


def test_missing_file_and_directory_are_refused(tmp_path):
    with pytest.raises(UnreadableFile, match="no such file"):
        read_report(tmp_path / "nope.txt")
    with pytest.raises(UnreadableFile, match="directory"):
        read_report(tmp_path)


@pytest.mark.parametrize("fmt", ["pdf", "docx", "html", "txt-gb18030"])
def test_format_is_sniffed_from_content_when_there_is_no_suffix(fmt, seed_files, seed_texts):
    """Standard input has no file name: the bytes say what they are."""
    raw = seed_files[SEED, fmt].read_bytes()
    assert _units(read_report_bytes(raw, "<stdin>", suffix="")) == _units(seed_texts[SEED])


def test_html_whose_content_has_a_furniture_like_class_is_still_read(seed_texts):
    """A site that names its article box "print-area" must not lose the report to the menu rules."""
    text = seed_texts["001_5198beffa2de79c3.txt"]
    paragraphs = "".join(f"<p>{line}</p>" for line in text.splitlines() if line.strip())
    page = f'<html><body><div class="nav"><a>首页</a></div><div class="print-area">{paragraphs}</div></body></html>'
    assert _units(read_report_bytes(page.encode("utf-8"), "page.html")) == _units(text)
