"""Report type and outline check (fazhi.review.outline) on the seeds and the written reports."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pytest

from fazhi.paths import REPO_DIR
from fazhi.pipeline.segment import segment
from fazhi.review.outline import check_outline, missing_parts, outline_markdown, report_type, without_section

WRITTEN = REPO_DIR / "data" / "reports" / "written"
GOLD = Path(__file__).parent / "data" / "review"
SEED_002 = "002_2e6ca2ac6e11755e.txt"


def units_of(text: str) -> list[dict]:
    return [asdict(u) for u in segment(text)]


def parts(units: list[dict], rtype: str | None = None) -> dict[str, dict]:
    return {e["part"]: e for e in check_outline(units, rtype)}


def heading_index(units: list[dict], starts: str) -> int:
    return next(u["index"] for u in units if u["is_heading"] and u["text"].startswith(starts))


def test_seed_002_outline_has_measures_shortcomings_and_plans(seed_texts):
    units = units_of(seed_texts[SEED_002])
    assert report_type(units) == "rule_of_law_annual"
    got = parts(units)
    for part in ("measures", "shortcomings", "plans"):
        assert got[part]["present"], part
        assert got[part]["units"], part
    # the section headed 二、存在问题和困难 is the shortcomings, and it gives no causes
    short = got["shortcomings"]
    assert short["heading"].startswith("二、")
    assert short["causes_given"] is False
    assert set(short["units"]).isdisjoint(got["plans"]["units"])


def test_seed_002_without_its_problems_section_has_no_shortcomings(seed_texts):
    text = seed_texts[SEED_002]
    units = units_of(text)
    cut = without_section(text, units, heading_index(units, "二、存在问题"))
    got = parts(units_of(cut), "rule_of_law_annual")
    assert got["shortcomings"]["present"] is False
    assert got["measures"]["present"] and got["plans"]["present"]
    assert "shortcomings" in missing_parts(list(got.values()))


def test_seed_with_shortcomings_in_closing_paragraphs_without_heading(seed_texts):
    # seed 001 states shortcomings and next year's plans in closing paragraphs, no heading at all
    units = units_of(seed_texts["001_5198beffa2de79c3.txt"])
    got = parts(units)
    assert got["shortcomings"]["present"] and not got["shortcomings"]["heading"]
    assert got["plans"]["present"]
    assert max(got["shortcomings"]["units"]) < min(got["plans"]["units"])


def test_combined_heading_counts_for_both_parts_and_sub_headings_split_it(seed_texts):
    # seed 004: 三、工作不足及2022年工作主要安排, with (一)存在的不足 and (二)2022年工作主要安排 under it
    units = units_of(seed_texts["004_4aea94131e29c9d0.txt"])
    got = parts(units)
    head = heading_index(units, "三、")
    assert head in got["shortcomings"]["units"] and head in got["plans"]["units"]
    body_short = set(got["shortcomings"]["units"]) - {head}
    body_plans = set(got["plans"]["units"]) - {head}
    assert body_short and body_plans and body_short.isdisjoint(body_plans)


def test_written_report_outline_and_missing_line():
    text = (WRITTEN / "written_k01.txt").read_text(encoding="utf-8")
    units = units_of(text)
    assert report_type(units) == "rule_of_law_annual"
    got = parts(units)
    assert all(got[p]["present"] for p in ("measures", "shortcomings", "leaders", "plans"))
    assert got["other_matters"]["required"] is False
    cut = without_section(text, units, heading_index(units, "九、"))
    outline = check_outline(units_of(cut), "rule_of_law_annual")
    assert missing_parts(outline) == ["plans"]
    md = outline_markdown("rule_of_law_annual", outline)
    assert "缺少：下一年度安排" in md


def test_heading_without_anything_under_it_is_not_enough():
    text = (WRITTEN / "written_k01.txt").read_text(encoding="utf-8")
    units = units_of(text)
    start = next(u for u in units if u["is_heading"] and u["text"].startswith("八、"))
    end = next(u for u in units if u["is_heading"] and u["text"].startswith("九、"))
    emptied = text[: start["end"]] + "\n" + text[end["start"] :]
    got = parts(units_of(emptied), "rule_of_law_annual")
    assert got["shortcomings"]["present"] is False
    assert got["shortcomings"]["units"] == []


def test_disclosure_report_parts_and_tables():
    units = units_of((WRITTEN / "written_g01.txt").read_text(encoding="utf-8"))
    assert report_type(units) == "disclosure_annual"
    got = parts(units)
    assert [e for e in got] == ["overview", "proactive", "requests", "appeals", "problems", "other_matters"]
    assert all(e["present"] for e in got.values())
    assert got["proactive"]["table"] and got["requests"]["table"] and got["appeals"]["table"]


@pytest.mark.parametrize(
    "doc, expected",
    [
        ("written_h01.txt", "area_report"),
        ("written_j02.txt", "area_report"),
        ("written_k02.txt", "rule_of_law_annual"),
        ("written_g03.txt", "disclosure_annual"),
    ],
)
def test_report_type_of_written_reports(doc, expected):
    assert report_type(units_of((WRITTEN / doc).read_text(encoding="utf-8"))) == expected


def test_report_type_unknown_for_text_that_is_no_report():
    assert report_type(units_of("今天天气很好。我们去公园散步。")) == "unknown"
    assert check_outline(units_of("今天天气很好。"), "unknown") == []


def test_written_gold_types_and_parts_are_met():
    # the hand-written gold of the written reports (seeds are covered by benchmarks/review_gold.py)
    rows = [json.loads(line) for line in (GOLD / "outline_gold.jsonl").read_text(encoding="utf-8").splitlines()]
    written = [r for r in rows if r["source"] == "written"]
    assert len(written) >= 30
    type_ok = part_ok = part_n = 0
    for r in written:
        units = units_of((WRITTEN / r["doc"]).read_text(encoding="utf-8"))
        type_ok += report_type(units) == r["type"]
        got = parts(units, r["type"])
        for part, present in r.get("parts", {}).items():
            part_n += 1
            part_ok += got[part]["present"] == present
    assert type_ok / len(written) >= 0.95
    assert part_ok / part_n >= 0.95


def test_bad_units_are_refused_with_what_was_expected():
    with pytest.raises(ValueError, match="expected unit dicts"):
        check_outline([{"text": "一、总体情况"}])
    with pytest.raises(ValueError, match="expected a report type"):
        check_outline([{"index": 0, "text": "x", "is_heading": False}], "annual")


def test_causes_given_only_for_reasons_stated_after_the_shortcomings():
    # f03 ends its shortcomings with 究其原因，主要是…; c01 with 这些问题的产生，既有客观原因…
    for doc in ("written_f03.txt", "written_c01.txt"):
        assert parts(units_of((WRITTEN / doc).read_text(encoding="utf-8")))["shortcomings"]["causes_given"] is True, doc
    # d05's heading promises 原因 and its section gives none; b05's "审查深度受到影响" is an effect, not a reason;
    # h01's "败诉原因剖析不深入" is a shortcoming about analysing causes
    for doc in ("written_d05.txt", "written_b05.txt", "written_h01.txt"):
        assert parts(units_of((WRITTEN / doc).read_text(encoding="utf-8")))["shortcomings"]["causes_given"] is False, (
            doc
        )


def test_disclosure_tables_written_as_label_and_value_rows_are_tables():
    # g05: "本年新收申请数：6（均为自然人）"; g07: "（一）收到申请数：58件";
    # g06: "行政处罚 上一年项目数量2310 … 处理决定数量1468"
    for doc, tables in (
        ("written_g05.txt", ("proactive", "requests", "appeals")),
        ("written_g07.txt", ("proactive", "requests", "appeals")),
        ("written_g06.txt", ("proactive", "requests")),
    ):
        got = parts(units_of((WRITTEN / doc).read_text(encoding="utf-8")), "disclosure_annual")
        assert [p for p in tables if not got[p]["table"]] == [], doc
    # g02 gives its appeals in sentences: no table
    got = parts(units_of((WRITTEN / "written_g02.txt").read_text(encoding="utf-8")), "disclosure_annual")
    assert got["appeals"]["present"] and got["appeals"]["table"] is False
