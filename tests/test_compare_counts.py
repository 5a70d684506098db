"""Compare counts problem statements by the one rule, and its new measures are this year's measures only."""

from fazhi.review.compare import compare_markdown, compare_reports, is_plan


def unit(index, text, category="other", problem=False, is_heading=False, heading=""):
    return {
        "index": index,
        "text": text,
        "category": category,
        "problem": problem,
        "is_heading": is_heading,
        "heading": heading,
    }


OLD = [
    unit(0, "一、主要工作", is_heading=True),
    unit(1, "全年办理行政复议案件120件。", "dispute", heading="一、主要工作"),
    unit(2, "二、存在的问题", problem=True, is_heading=True),
    unit(3, "行政复议办案人员只有4名，案多人少矛盾突出。", "dispute", True, heading="二、存在的问题"),
]
NEW = [
    unit(0, "一、主要工作", is_heading=True),
    unit(1, "全年办理行政复议案件135件。", "dispute", heading="一、主要工作"),
    unit(2, "建成覆盖全县的公共法律服务网络，设立村级工作室86个。", "dispute", heading="一、主要工作"),
    unit(3, "二、存在的问题", problem=True, is_heading=True),
    unit(4, "但也存在一些不足：", problem=True, heading="二、存在的问题"),
    unit(5, "行政复议办案人员仍只有4名，案多人少的矛盾没有缓解。", "dispute", True, heading="二、存在的问题"),
    unit(6, "针对执法文书不规范，本年度组织了两轮案卷评查。", "enforcement", heading="二、存在的问题"),
    unit(7, "三、2024年工作安排", is_heading=True),
    unit(8, "推行行政执法全过程记录，配备执法记录仪40台。", "enforcement", heading="三、2024年工作安排"),
    unit(9, "下一步，将进一步规范政府信息公开申请办理流程。", "disclosure"),
]


def test_compare_counts_problem_statements_not_the_section_heading_or_lead_in():
    result = compare_reports("2022", OLD, "2023", NEW)
    assert result["old"]["problems"] == 1 and result["new"]["problems"] == 1
    assert sum(a["new_problems"] for a in result["areas"]) == 1
    assert [m["new"]["index"] for m in result["carried_over"]] == [5] and result["new_problems"] == []
    assert "(1 of NEW's 1 problem statement)" in compare_markdown(result)


def test_new_measures_leave_out_plans_and_units_inside_the_problems_section():
    result = compare_reports("2022", OLD, "2023", NEW)
    measures = [u["index"] for units in result["new_measures"].values() for u in units]
    assert measures == [2]


def test_plans_are_recognised_by_their_heading_or_their_opening():
    assert is_plan(NEW[8]) and is_plan(NEW[9])
    assert not is_plan(NEW[2])
    assert not is_plan(unit(0, "将重大行政决策事项目录纳入政府常务会议议题。", "decision", heading="一、主要工作"))
