"""Hostile files (issue 17 items 10, 11 and 14): size limits, special files, and reports that give nothing."""

from __future__ import annotations

import io
import json
import os
import threading
import time
import zipfile
import zlib
from pathlib import Path

import pytest

import fazhi.reading.limits as limits
from fazhi.output.run import run_tag
from fazhi.pipeline.tag import expand_inputs
from fazhi.reading import UnreadableFile, read_report, read_report_bytes

SEEDLIKE = Path(__file__).parent / "data" / "seedlike_report.txt"
MB = 1024 * 1024


def docx_expanding_to(n_bytes: int) -> bytes:
    """A small .docx whose document.xml (valid WordprocessingML) expands to about n_bytes."""
    para = "<w:p><w:r><w:t>全面推进依法行政。</w:t></w:r></w:p>".encode()
    head = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document '
        b'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
    )
    tail = b"</w:body></w:document>"
    body = head + para * (n_bytes // len(para)) + tail
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/'
            'document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.'
            'main+xml"/></Types>',
        )
        z.writestr(
            "_rels/.rels",
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>',
        )
        z.writestr("word/document.xml", body)
    return buf.getvalue()


# --- item 10: limits ---------------------------------------------------------------------
def test_a_docx_within_the_limit_is_read():
    assert read_report_bytes(docx_expanding_to(2000), "small.docx").splitlines()[0] == "全面推进依法行政。"


def test_a_zip_bomb_docx_is_refused_on_its_declared_sizes_naming_the_limit_and_the_flag():
    bomb = docx_expanding_to(60 * MB)  # about 0.2 MB on disk
    assert len(bomb) < MB
    with pytest.raises(UnreadableFile) as refused:
        read_report_bytes(bomb, "bomb.docx")
    message = str(refused.value)
    assert (
        message.startswith("bomb.docx: its 3 parts expand to 60 MB, over the 50 MB limit")
        and "--max-file-mb" in message
    )
    # A file is read under a limit above what it expands to, and refused under one below.
    small = docx_expanding_to(150_000)
    assert read_report_bytes(small, "small.docx", max_bytes=4 * MB).count("\n") > 2000
    with pytest.raises(UnreadableFile, match=r"small.docx: its 3 parts expand to 0.1 MB, over the 98 KB limit"):
        read_report_bytes(small, "small.docx", max_bytes=100_000)


def test_a_docx_whose_directory_understates_a_part_fails_as_damaged_not_out_of_memory():
    raw = bytearray(docx_expanding_to(4 * MB))
    # Rewrite document.xml's declared size (local header and central directory) to 1 KB.
    with zipfile.ZipFile(io.BytesIO(bytes(raw))) as z:
        info = z.getinfo("word/document.xml")
    real = info.file_size.to_bytes(4, "little")
    assert raw.count(real) >= 2
    raw = bytearray(bytes(raw).replace(real, (1024).to_bytes(4, "little")))
    with pytest.raises(UnreadableFile, match="bomb.docx: (damaged|not a readable)"):
        read_report_bytes(bytes(raw), "bomb.docx", max_bytes=MB)


def test_a_file_over_the_limit_is_refused_on_its_size_before_it_is_read(tmp_path, monkeypatch):
    big = tmp_path / "big.txt"
    with open(big, "wb") as f:
        f.truncate(60 * MB)  # sparse: 60 MB of NULs that would otherwise be read whole
    read_bytes: list[Path] = []

    def counted_read_bytes(self: Path) -> bytes:
        read_bytes.append(self)
        return b""

    monkeypatch.setattr(Path, "read_bytes", counted_read_bytes)
    with pytest.raises(UnreadableFile) as refused:
        read_report(big)
    assert str(refused.value) == (
        f"{big}: the file is 60 MB, over the 50 MB limit on one report "
        "(raise it with --max-file-mb if the file is a real report)"
    )
    assert not read_bytes


def test_tag_skips_a_report_over_max_file_mb_and_tags_the_rest(tmp_path, shipped_model):
    small, large = tmp_path / "a.txt", tmp_path / "b.txt"
    small.write_text(SEEDLIKE.read_text(encoding="utf-8"), encoding="utf-8")
    large.write_text(SEEDLIKE.read_text(encoding="utf-8") * 200, encoding="utf-8")  # about 0.5 MB
    out, log = tmp_path / "u.jsonl", io.StringIO()
    result = run_tag([str(small), str(large)], shipped_model, units_output=str(out), log=log, max_file_mb=0.25)
    assert result.reports == 1 and [f.doc for f in result.failures] == [str(large)]
    assert "over the 0.2 MB limit" in log.getvalue() and "--max-file-mb" in log.getvalue()
    assert {json.loads(line)["doc"] for line in out.read_text(encoding="utf-8").splitlines()} == {str(small)}


def test_standard_input_past_the_limit_is_refused_without_reading_it_all(shipped_model):
    class Endless(io.BytesIO):  # a BinaryIO, as sys.stdin.buffer is
        asked: list[int] = []

        def read(self, n=-1):
            assert n > 0, "read to the end of an endless stream"
            self.asked.append(n)
            return "法治。".encode() * (n // 9 + 1)

    log = io.StringIO()
    result = run_tag(
        ["-"],
        shipped_model,
        units_output=None,
        default_units_stream=io.StringIO(),
        stdin=Endless(),
        log=log,
        max_file_mb=1,
    )
    assert result.reports == 0 and "<stdin>: standard input holds more, over the 1.0 MB limit" in log.getvalue()
    assert Endless.asked == [MB + 1]


# --- item 11: special files --------------------------------------------------------------
def test_a_folder_walk_reads_only_regular_files_and_names_the_others(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text("全面推进依法行政。\n", encoding="utf-8")
    os.symlink(folder / "a.txt", folder / "b_link.txt")  # a link to a report is a report
    os.mkfifo(folder / "c_fifo.txt")
    os.symlink("/dev/zero", folder / "d_zero.txt")
    os.symlink(folder / "gone.txt", folder / "e_dangling.txt")
    sources, skipped = expand_inputs([str(folder)])
    assert [s.doc for s in sources] == [str(folder / "a.txt"), str(folder / "b_link.txt")]
    reasons = {f.doc: f.reason for f in skipped}
    assert reasons[str(folder / "c_fifo.txt")].startswith(f"{folder}/c_fifo.txt: a FIFO, not a regular file")
    assert reasons[str(folder / "d_zero.txt")].startswith(
        f"{folder}/d_zero.txt: a link to character device, not a regular"
    )
    assert reasons[str(folder / "e_dangling.txt")].startswith(f"{folder}/e_dangling.txt: a link to nothing")
    # A pattern reads like a folder.
    sources, skipped = expand_inputs([str(folder / "*.txt")])
    assert len(sources) == 2 and len(skipped) == 3


def test_a_fifo_named_on_the_command_line_with_no_writer_is_announced_and_given_up(tmp_path, monkeypatch, capsys):
    fifo = tmp_path / "r.txt"
    os.mkfifo(fifo)
    monkeypatch.setattr(limits, "PIPE_WAIT_S", 1.5)
    start = time.monotonic()
    with pytest.raises(UnreadableFile, match="nothing was written to it for 1.5 s"):
        read_report(fifo)
    assert time.monotonic() - start < 10
    assert capsys.readouterr().err == f"fazhi: waiting up to 1.5 s for something to be written to {fifo}\n"


def test_a_fifo_named_on_the_command_line_is_read_when_a_writer_comes(tmp_path):
    fifo = tmp_path / "r.txt"
    os.mkfifo(fifo)

    def write() -> None:
        time.sleep(0.2)
        with open(fifo, "wb") as f:
            f.write(SEEDLIKE.read_bytes())

    writer = threading.Thread(target=write)
    writer.start()
    try:
        assert read_report(fifo) == SEEDLIKE.read_text(encoding="utf-8")
    finally:
        writer.join()


def test_a_device_named_on_the_command_line_is_refused_at_the_limit(tmp_path):
    link = tmp_path / "zero.txt"
    os.symlink("/dev/zero", link)
    with pytest.raises(UnreadableFile, match="the file is more than 1.0 MB, over the 1.0 MB limit"):
        read_report(link, max_bytes=MB)


def test_a_pipe_from_process_substitution_is_read():
    r, w = os.pipe()
    os.write(w, SEEDLIKE.read_bytes())
    os.close(w)
    try:
        assert read_report(Path(f"/dev/fd/{r}")) == SEEDLIKE.read_text(encoding="utf-8")
    finally:
        os.close(r)


# --- item 14: empties --------------------------------------------------------------------
def test_a_report_that_gives_no_sentences_is_skipped_with_its_likely_reason(tmp_path, shipped_model):
    good = tmp_path / "a.txt"
    good.write_text(SEEDLIKE.read_text(encoding="utf-8"), encoding="utf-8")
    glyphs = tmp_path / "b_glyphs.txt"  # what a PDF whose fonts map to no Unicode gives: private-use characters
    glyphs.write_text("\ue000\ue001\ue002\ue003\n\ue004\ue005\n", encoding="utf-8")
    numbers = tmp_path / "c_numbers.txt"
    numbers.write_text("1\n2\n3\n。。。\n", encoding="utf-8")
    summary = tmp_path / "s.jsonl"
    result = run_tag(
        [str(good), str(glyphs), str(numbers)],
        shipped_model,
        units_output=str(tmp_path / "u.jsonl"),
        summary_output=str(summary),
        log=io.StringIO(),
    )
    assert result.reports == 1
    rows = [json.loads(line) for line in summary.read_text(encoding="utf-8").splitlines()]
    skipped = {r["skipped"]: r["reason"] for r in rows if "skipped" in r}
    assert skipped[str(glyphs)].startswith("no sentences: its 7 characters of text hold no Chinese")
    assert "declared charset is wrong" in skipped[str(glyphs)]
    assert skipped[str(numbers)].startswith("no sentences: its 9 characters of text hold no Chinese")
    assert [r["doc"] for r in rows if "doc" in r] == [str(good)]


@pytest.mark.parametrize(
    "declared,encoding", [("iso-8859-1", "utf-8"), ("iso-8859-1", "gbk"), ("utf-16", "utf-8"), ("gbk", "utf-8")]
)
def test_an_html_page_whose_charset_lies_is_read_in_its_real_encoding(declared, encoding):
    body = "<p>一、主要工作</p><p>全面推行行政执法公示制度。</p>"
    raw = f'<html><head><meta charset="{declared}"></head><body>{body}</body></html>'.encode(encoding)
    assert read_report_bytes(raw, "page.html").splitlines() == ["一、主要工作", "全面推行行政执法公示制度。"]


def test_the_command_line_takes_max_file_mb_and_refuses_a_limit_of_nothing(tmp_path, capsys):
    from fazhi.cli import main

    out = tmp_path / "u.jsonl"
    assert main(["tag", str(SEEDLIKE), "--max-file-mb", "0.001", "-o", str(out)]) == 2  # no usable input
    assert (
        f"{SEEDLIKE}: the file is {SEEDLIKE.stat().st_size} bytes, over the 1048 bytes limit" in capsys.readouterr().err
    )
    assert main(["tag", str(SEEDLIKE), "--max-file-mb", "1", "-o", str(out)]) == 0
    assert main(["tag", str(SEEDLIKE), "--max-file-mb", "0", "-o", str(out)]) == 2
    assert "expected --max-file-mb above 0, found 0" in capsys.readouterr().err


# --- item 10: what a report may hold for its limit ------------------------------------------
def pdf_inflating_to(n_bytes: int) -> bytes:
    """A one-page PDF whose content stream is small on disk and inflates to about n_bytes of drawing operators."""
    op = b"BT /F1 12 Tf 72 720 Td (x) Tj ET\n"
    data = zlib.compress(op * (n_bytes // len(op)), 1)
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + data + b"\nendstream",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objs, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % i + body + b"\nendobj\n")
    xref = out.tell()
    out.write(
        b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1) + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    )
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref))
    return out.getvalue()


def test_a_pdf_whose_page_inflates_past_the_limit_is_refused_before_it_is_drawn():
    bomb = pdf_inflating_to(3 * MB)
    assert len(bomb) < 100_000
    with pytest.raises(
        UnreadableFile, match="bomb.pdf: its page content inflates to more than 1.0 MB, over the 1.0 MB limit"
    ):
        read_report_bytes(bomb, "bomb.pdf", max_bytes=MB)


def test_more_sentences_than_the_limit_allows_are_refused_before_segmenting():
    # 1 MB allows 1,024 sentence units.
    assert read_report_bytes("依法行政。".encode() * 1000, "ok.txt", max_bytes=MB).count("。") == 1000
    with pytest.raises(UnreadableFile, match=r"many.txt: about 2,000 sentences, over the 1,024 that the 1.0 MB limit"):
        read_report_bytes("依法行政。".encode() * 2000, "many.txt", max_bytes=MB)


def test_a_page_with_more_tags_than_the_limit_allows_is_refused_before_parsing():
    with pytest.raises(UnreadableFile, match=r"tags.html: about 6,00\d tags, over the 5,120 that the 1.0 MB limit"):
        read_report_bytes(b"<html><body>" + b"<span>x</span>" * 3000 + b"</body></html>", "tags.html", max_bytes=MB)


def test_a_docx_with_more_paragraphs_than_the_limit_allows_is_refused_before_parsing():
    many = docx_expanding_to(300_000)  # about 6,000 paragraphs in 0.3 MB
    with pytest.raises(UnreadableFile, match=r"many.docx: more than 1,024 paragraphs, over what the 1.0 MB limit"):
        read_report_bytes(many, "many.docx", max_bytes=MB)


def test_a_pdf_with_more_pages_than_the_limit_allows_is_refused_before_its_pages_are_read():
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    c = canvas.Canvas(out)
    for k in range(120):  # 1 MB allows 102 pages
        c.drawString(72, 720, f"Line {k}")
        c.showPage()
    c.save()
    with pytest.raises(UnreadableFile, match=r"pages.pdf: 120 pages, over the 102 that the 1.0 MB limit"):
        read_report_bytes(out.getvalue(), "pages.pdf", max_bytes=MB)
