"""Text reports in Big5, UTF-16 without a BOM and GB18030 are told apart by their content (issue 18)."""

import warnings

import pytest

from fazhi.paths import WRITTEN_REPORTS_DIR
from fazhi.reading import read_report_bytes
from fazhi.reading.text import ReadingWarning, common_share, decode_text

TEXT = (WRITTEN_REPORTS_DIR / "written_b03.txt").read_text(encoding="utf-8")
# Traditional characters of our own: Big5 holds no simplified-only forms.
TRADITIONAL = (
    "一、過去一年的主要工作\n（一）依法履行政府職能。全年辦理行政復議案件35件，全部依法審結。\n"
    "二、存在的問題\n部分執法人員業務能力不強，法治意識有待提高。\n"
)


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


def test_traditional_text_is_tagged_as_its_simplified_form_and_keeps_its_own_characters(shipped_model):
    from fazhi.pipeline.tag import tag_text
    from fazhi.reading.text import to_simplified

    simplified = to_simplified(TRADITIONAL)
    assert simplified != TRADITIONAL and "执法人员业务能力不强" in simplified
    trad = tag_text("t.txt", TRADITIONAL, shipped_model).units
    simp = tag_text("s.txt", simplified, shipped_model).units
    assert [r["text"] for r in trad] == [TRADITIONAL[r["start"] : r["end"]] for r in trad]  # the output keeps 執法…
    assert "部分執法人員業務能力不強，法治意識有待提高。" in [r["text"] for r in trad]
    assert [(r["category"], r["scores"], r["problem"]) for r in trad] == [
        (r["category"], r["scores"], r["problem"]) for r in simp
    ]


def test_simplified_text_is_given_to_the_model_unchanged():
    from fazhi.reading.text import to_simplified

    assert to_simplified(TEXT) is TEXT
