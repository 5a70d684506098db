"""OFD (GB/T 33190) reports read into the units of the PDF of the same text (issue 18, item 3)."""

import io
import zipfile
from pathlib import Path

import pytest
from sample_formats import save_report_as

from fazhi.paths import WRITTEN_REPORTS_DIR
from fazhi.pipeline.segment import segment
from fazhi.reading import UnreadableFile, read_report, read_report_bytes

OFD = Path(__file__).parent / "data" / "formats" / "written_b03_part.ofd"


def _units(text):
    return [(u.text, u.is_heading) for u in segment(text)]


def test_an_ofd_reads_into_the_units_of_the_pdf_of_its_text(tmp_path):
    lines = [l for l in (WRITTEN_REPORTS_DIR / "written_b03.txt").read_text(encoding="utf-8").splitlines() if l.strip()]
    pdf = save_report_as("\n".join(lines[:32]) + "\n", tmp_path / "part.pdf", "pdf")
    units = _units(read_report(OFD))
    assert len(units) > 50 and sum(h for _, h in units) >= 5
    assert units == _units(read_report(pdf))
    assert read_report_bytes(OFD.read_bytes(), "<stdin>", suffix="") == read_report(OFD)  # told by its content


def test_a_zip_without_ofd_xml_or_a_missing_page_is_refused_with_the_reason(tmp_path):
    bad = tmp_path / "bad.ofd"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("readme.txt", "x")
    bad.write_bytes(buf.getvalue())
    with pytest.raises(UnreadableFile, match="OFD.xml"):
        read_report(bad)
    buf = io.BytesIO()
    with zipfile.ZipFile(OFD) as src, zipfile.ZipFile(buf, "w") as z:
        for n in src.namelist():
            if not n.endswith("Page_1/Content.xml"):
                z.writestr(n, src.read(n))
    bad.write_bytes(buf.getvalue())
    with pytest.raises(UnreadableFile, match="page 2 .* is missing"):
        read_report(bad)
