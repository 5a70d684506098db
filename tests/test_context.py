"""A unit's context: the report title and the headings above it, the same in training and in `fazhi tag`."""

from collections import defaultdict

from fazhi.paths import REPO_DIR
from fazhi.pipeline.context import SEPARATOR, document_title, row_contexts, unit_contexts
from fazhi.pipeline.segment import segment

REPORT = """\
首页 | 机构概况 | 政务公开 | 互动交流
某县人民政府2023年政府信息公开工作年度报告
发布时间：2024-01-20  浏览次数：310
一、总体情况
（一）主动公开
全年主动公开政府信息1200条。
三、收到和处理政府信息公开申请情况
无法提供 2件
"""


def test_the_title_is_the_first_opening_unit_that_names_a_document_kind():
    units = segment(REPORT)
    assert document_title(units) == "某县人民政府2023年政府信息公开工作年度报告"
    assert (
        document_title(segment("国务院：\n某市2020年依法行政工作情况报告\n一、主要工作\n"))
        == "某市2020年依法行政工作情况报告"
    )
    assert (
        document_title(segment("城区政协召开提案交办会\n4月18日，城区政协召开提案交办会。\n"))
        == "城区政协召开提案交办会"
    )
    assert document_title(segment("全年办理复议案件5件。\n")) == ""


def test_every_unit_reads_the_title_and_the_two_innermost_headings_above_it():
    units = segment(REPORT)
    contexts = dict(zip([u.text for u in units], unit_contexts(units), strict=True))
    title_tail = "某县人民政府2023年政府信息公开工作年度报告"[-24:]
    assert contexts["某县人民政府2023年政府信息公开工作年度报告"] == ""  # the title itself
    assert contexts["全年主动公开政府信息1200条。"] == SEPARATOR.join([title_tail, "一、总体情况", "（一）主动公开"])
    assert contexts["无法提供 2件"] == SEPARATOR.join([title_tail, "三、收到和处理政府信息公开申请情况"[:16]])
    assert contexts["一、总体情况"] == title_tail


def test_label_rows_get_the_contexts_their_reports_give_in_fazhi_tag(label_rows, seeds_dir):
    """Training rebuilds each report from its label rows; the contexts match those of the real file."""
    rows = [r for r in label_rows if r.doc.endswith(".txt")]
    contexts = row_contexts(rows)
    by_doc = defaultdict(list)
    for r, c in zip(rows, contexts, strict=True):
        by_doc[r.doc].append(c)
    same = total = 0
    for doc, got in by_doc.items():
        path = seeds_dir / doc if (seeds_dir / doc).exists() else REPO_DIR / "data" / "reports" / "written" / doc
        want = unit_contexts(segment(path.read_text(encoding="utf-8-sig")))
        same += sum(a == b for a, b in zip(got, want, strict=True))
        total += len(got)
    # Only a heading that runs into its paragraph mid-line is read differently once the units stand on lines of their
    # own.
    assert same / total > 0.99, (same, total)
    assert sum(1 for c in contexts if c) > 0.9 * len(contexts)
    hard_cases = [r for r in label_rows if not r.doc.endswith(".txt")][:50]
    assert row_contexts(hard_cases) == [""] * len(hard_cases)
