"""Text reports in Big5, UTF-16 without a BOM and GB18030 are told apart by their content (issue 18)."""

import warnings

import pytest

from fazhi.paths import WRITTEN_REPORTS_DIR
from fazhi.reading import read_report_bytes
from fazhi.reading.text import ReadingWarning, common_share, decode_text

TEXT = (WRITTEN_REPORTS_DIR / "written_b03.txt").read_text(encoding="utf-8")
# Traditional characters of our own: Big5 holds no simplified-only forms.
TRADITIONAL = ("一、過去一年的主要工作\n（一）依法履行政府職能。全年辦理行政復議案件35件，全部依法審結。\n"
               "二、存在的問題\n部分執法人員業務能力不強，法治意識有待提高。\n")


def test_a_big5_report_is_read_correctly_with_a_warning_that_it_is_traditional():
    raw = TRADITIONAL.encode("big5")
    raw.decode("gb18030")  # GB18030 takes these bytes too, as mojibake: the content must decide
    with pytest.warns(ReadingWarning, match="Big5"):
        assert read_report_bytes(raw, "report.txt") == TRADITIONAL


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_byte_order_mark_is_read_not_called_binary(encoding):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a sure pick says nothing
        assert decode_text(TEXT.encode(encoding), "report.txt") == TEXT


def test_gbk_stays_gbk_without_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert decode_text(TEXT.encode("gbk")) == TEXT


def test_common_share_tells_a_report_from_mojibake():
    assert common_share(TEXT) > 0.6
    assert common_share(TEXT.encode("gbk").decode("big5", errors="ignore")) < 0.2
    assert common_share(TRADITIONAL.encode("big5").decode("gb18030")) < 0.2
