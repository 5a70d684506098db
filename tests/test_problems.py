"""The problem-count rule (fazhi.pipeline.problems): flagged headings and lead-ins open a section, statements count."""

import pytest

from fazhi.pipeline.problems import (
    is_lead_in,
    names_shortcoming,
    opens_problem_section,
    problem_section_flags,
    problem_statements,
    states_problem,
)


def row(text, problem=True, is_heading=False, index=0, heading=""):
    return {
        "index": index,
        "text": text,
        "problem": problem,
        "is_heading": is_heading,
        "heading": heading,
        "category": "other",
    }


@pytest.mark.parametrize(
    "text",
    [
        "二、存在问题",
        "（一）存在的不足",
        "二、存在的问题和不足",
        "七、存在的问题和下一步打算",
        "二、当前工作中存在的薄弱环节和突出问题",
        "三、工作不足及2022年工作主要安排",
        "二、存在问题和困难",
    ],
)
def test_a_flagged_heading_that_names_no_shortcoming_opens_the_section_and_is_not_counted(text):
    r = row(text, is_heading=True)
    assert opens_problem_section(r) and not states_problem(r)


@pytest.mark.parametrize(
    "text", ["（六）法治人才队伍支撑不足。", "（三）政务公开的精准度不够。", "3.行政复议应诉工作压力较大。"]
)
def test_a_flagged_heading_that_names_a_shortcoming_is_counted(text):
    assert states_problem(row(text, is_heading=True))


@pytest.mark.parametrize(
    "text",
    [
        "但也存在一些不足:",
        "主要是：",
        "对照上级要求和群众期盼，我局工作还有一些差距，主要表现在：",
        "存在的主要问题如下",
        "总的看，全厅法治建设虽有进展，但也存在一些薄弱环节。",
        "对照新纲要要求，我局工作还存在一些短板。",
        "在肯定成绩的同时，我们也清醒看到，全县工作还存在一些不容忽视的问题。",
    ],
)
def test_lead_ins_open_the_section_and_are_not_counted(text):
    assert is_lead_in(text)
    assert not states_problem(row(text))


@pytest.mark.parametrize(
    "text",
    [
        "行政执法监督力量不足，全县仅有专职监督人员2名。",
        "部分执法案卷程序瑕疵较多，文书制作较为粗糙；",
        "“12345”热线部分诉求存在转办多、解决少的情况。",
        "三是重大事项决策中群众参与的范围还比较窄。",
        "四是行政复议案件增长较快，办案人员长期超负荷运转；",
        "二是工程建设领域的违规招投标问题，共9件。",
        "涉企行政检查仍存在多头检查、重复检查现象。",
    ],
)
def test_statements_of_a_shortcoming_are_counted(text):
    assert names_shortcoming(text)
    assert states_problem(row(text))


@pytest.mark.parametrize(
    "text",
    [
        "三、执法案卷质量与评查标准相比还存在较大差距；",
        "二是基层司法所与工作任务要求差距明显。",
        "（二）重大决策社会稳定风险评估与规定要求还相距甚远。",
        "四是乡镇综合执法队伍建设仍有薄弱之处；",
    ],
)
def test_an_item_of_a_numbered_problem_list_is_counted_though_its_words_are_new_to_the_rule(text):
    assert not is_lead_in(text) and states_problem(row(text))


@pytest.mark.parametrize("text", ["（一）存在的主要问题。", "二、主要存在问题", "三、存在的问题和不足"])
def test_a_numbered_line_of_only_the_generic_words_still_opens_the_section(text):
    assert opens_problem_section(row(text))  # outside a heading too, as run-on web text gives it


@pytest.mark.parametrize(
    "text",
    [
        "3个乡镇将上级专项补助资金用于弥补办公经费86万元。",
        "全年有9件行政复议决定超过法定期限作出。",
        "有的单位仍依据已经废止的文件实施行政许可。",
        "县水利局将应缴财政的罚没收入42万元滞留在单位账户。",
        "部分企业反映同一事项一年内被重复检查3次。",
        "已整改的问题中有4个出现反弹。",
    ],
)
def test_an_audit_or_inspection_finding_is_counted_though_it_names_no_general_shortcoming(text):
    assert names_shortcoming(text) and states_problem(row(text))


def test_units_the_model_does_not_flag_are_never_counted():
    assert not states_problem(row("行政执法监督力量不足。", problem=False))
    assert not opens_problem_section(row("二、存在的问题", problem=False, is_heading=True))


def test_a_written_problems_section_counts_its_statements_only():
    rows = [
        row("一、主要工作", problem=False, is_heading=True, index=0),
        row("全年办理行政复议案件120件。", problem=False, index=1),
        row("二、存在的问题", is_heading=True, index=2),
        row("一年来，我县法治政府建设虽然取得了一定成效，但也存在一些不足：", index=3),
        row("一是基层执法人员法律素养不高。", index=4),
        row("二是重大行政决策后评估尚未实质性开展。", index=5),
        row("三是政务公开栏部分内容更新不及时。", index=6),
        row("三、下一步工作打算", problem=False, is_heading=True, index=7),
        row("进一步加强执法队伍建设。", problem=False, index=8),
    ]
    assert [r["index"] for r in problem_statements(rows)] == [4, 5, 6]
    assert problem_section_flags(rows) == [False, False, True, True, True, True, True, False, False]


def test_a_problems_section_keeps_its_subheadings_and_ends_at_the_next_section():
    rows = [
        row("二、存在的问题", is_heading=True, index=0),
        row("（一）执法能力与改革任务不相适应。", is_heading=True, index=1),
        row("部分乡镇执法人员未取得执法证件。", index=2),
        row("（二）监督制约方面", problem=False, is_heading=True, index=3),
        row("内部监督制约还需加强。", index=4),
        row("三、2024年工作安排", problem=False, is_heading=True, index=5),
        row("（一）加强执法队伍建设", problem=False, is_heading=True, index=6),
    ]
    assert problem_section_flags(rows) == [True, True, True, True, True, False, False]


def test_on_the_seeds_every_flagged_generic_section_heading_is_left_out_of_the_count(seed_texts, shipped_model):
    """Real reports through the shipped model: the numbered "存在的问题" headings it flags are never counted."""
    from fazhi.pipeline.tag import tag_text

    flagged_headings = counted = 0
    for name, text in seed_texts.items():
        units = tag_text(name, text, shipped_model).units
        for u in units:
            if (
                u["problem"]
                and u["is_heading"]
                and "存在" in u["text"]
                and ("问题" in u["text"] or "不足" in u["text"])
            ):
                flagged_headings += 1
                assert not states_problem(u), u["text"]
        counted += len(problem_statements(units))
    assert flagged_headings >= 2 and counted > 0
