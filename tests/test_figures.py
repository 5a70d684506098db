"""Key figures (fazhi.review.figures) on the seeds and the written reports."""

from __future__ import annotations

from dataclasses import asdict

from fazhi.paths import REPO_DIR
from fazhi.pipeline.segment import segment
from fazhi.review.figures import extract_figures, figure_rows
from fazhi.review.outline import check_outline, report_type

WRITTEN = REPO_DIR / "data" / "reports" / "written"


def figures_of(text: str) -> list[dict]:
    units = [asdict(u) for u in segment(text)]
    rtype = report_type(units)
    return [f.as_dict() for f in extract_figures(units, check_outline(units, rtype), rtype)]


def pairs(figs: list[dict]) -> set[tuple[str | None, float]]:
    return {(f["indicator"], f["value"]) for f in figs}


def test_seed_002_figures_include_reconsideration_cases_and_proactive_disclosures(seed_texts):
    got = pairs(figures_of(seed_texts["002_2e6ca2ac6e11755e.txt"]))
    assert ("reconsideration_cases", 123) in got
    assert ("proactive_disclosures", 4274) in got


def test_seed_000_court_appearance_rate(seed_texts):
    figs = figures_of(seed_texts["000_90a92f8b898623fa.txt"])
    rate = [f for f in figs if f["indicator"] == "court_appearance_rate"]
    assert [(f["value"], f["unit"]) for f in rate] == [(100, "%")]


def test_written_report_figures_with_units_nouns_and_breakdowns():
    figs = figures_of((WRITTEN / "written_a01.txt").read_text(encoding="utf-8"))
    got = pairs(figs)
    assert ("reconsideration_cases", 438) in got and ("reconsideration_corrected", 49) in got
    assert ("reconsideration_correction_rate", 13.2) in got
    assert ("proactive_disclosures", 586000) in got  # 58.6万条
    assert ("lawsuits", 4127) in got
    # the part after 其中 is not the total: 省政府门户网站发布信息3.7万条 keeps no indicator
    part = [f for f in figs if f["value"] == 37000]
    assert part and part[0]["indicator"] is None
    # a number that fits no indicator keeps the noun it counts
    other = [f for f in figs if f["indicator"] is None and f["value"] == 1870]
    assert other and "案卷" in other[0]["noun"] + other[0]["text"]


def test_years_dates_and_document_numbers_are_not_figures():
    figs = figures_of("2021年3月5日，依据国办公开办函〔2021〕30号，第3批试点启动，全年办理行政复议案件12件。")
    assert pairs(figs) == {("reconsideration_cases", 12)}


def test_disclosure_tables_read_into_the_indicators():
    figs = figures_of((WRITTEN / "written_g01.txt").read_text(encoding="utf-8"))
    table = {(f["indicator"], f["value"]) for f in figs if f["table"]}
    assert ("disclosure_requests", 168) in table  # 本年新收政府信息公开申请数量
    assert ("reconsideration_cases", 3) in table  # 行政复议 总计
    assert ("lawsuits", 2) in table and ("lawsuits", 1) in table  # 行政诉讼 总计, both columns


def test_table_rows_marked_by_the_reader_with_cells():
    units = [
        {"index": 0, "text": "某某局2022年政府信息公开工作年度报告", "is_heading": False},
        {"index": 1, "text": "一、总体情况", "is_heading": True},
        {"index": 2, "text": "全年工作平稳。", "is_heading": False},
        {"index": 3, "text": "四、政府信息公开行政复议、行政诉讼情况", "is_heading": True},
        {"index": 4, "text": "行政复议 | 结果纠正 | 2", "is_heading": False, "table": True},
        {"index": 5, "text": "行政复议 | 总计 | 9", "is_heading": False, "table": True},
    ]
    outline = check_outline(units, "disclosure_annual")
    figs = {(f.indicator, f.value) for f in extract_figures(units, outline, "disclosure_annual")}
    assert ("reconsideration_corrected", 2) in figs and ("reconsideration_cases", 9) in figs


def test_figure_rows_carry_doc_category_and_text():
    figs = figures_of("全年共办理行政复议案件123件。")
    rows = figure_rows("a.txt", figs, {0: "dispute"})
    assert rows == [
        {
            "doc": "a.txt",
            "indicator": "reconsideration_cases",
            "value": 123,
            "unit": "件",
            "noun": rows[0]["noun"],
            "category": "dispute",
            "index": 0,
            "text": "全年共办理行政复议案件123件。",
        }
    ]


def test_bare_outcome_rows_of_a_reconsideration_report_are_its_corrections():
    # h01: "撤销 29件" under "（一）收案和审结情况"; only the title says the report is on 行政复议
    got = pairs(figures_of((WRITTEN / "written_h01.txt").read_text(encoding="utf-8")))
    assert {("reconsideration_corrected", v) for v in (29, 21, 11, 3)} <= got
    # h04 writes label and value with a colon: "撤销：21件", "责令履行：12件"
    got = pairs(figures_of((WRITTEN / "written_h04.txt").read_text(encoding="utf-8")))
    assert ("reconsideration_corrected", 21) in got and ("reconsideration_corrected", 12) in got
    # and its "收到申请数：428件" is no disclosure request
    assert ("disclosure_requests", 428) not in got


def test_a_count_qualified_by_its_cause_and_a_count_of_places_are_not_the_indicator():
    figs = pairs(
        figures_of(
            "岚川市行政复议工作报告\n全年因程序违法被撤销或确认违法的案件有9件。在14个社区设立物业纠纷调解室，全年调处纠纷410件。"
        )
    )
    assert ("reconsideration_corrected", 9) not in figs
    assert ("disputes_resolved", 14) not in figs and ("disputes_resolved", 410) in figs


def test_a_count_of_information_published_under_a_proactive_disclosure_heading_is_proactive_disclosures():
    # "（一）主动公开。" then "全年在县政府网发布各类政府信息6238条": the clause leaves 主动公开 to its heading
    got = pairs(figures_of((WRITTEN / "written_g03.txt").read_text(encoding="utf-8")))
    assert ("proactive_disclosures", 6238) in got
    # the same words under another heading are no proactive disclosure
    other = figures_of("某县2023年政府信息公开工作年度报告\n（四）平台建设\n全年在县政府网发布各类政府信息6238条。")
    assert ("proactive_disclosures", 6238) not in pairs(other)
