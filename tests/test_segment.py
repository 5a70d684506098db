import re

import pytest

from fazhi.pipeline.segment import heading_level, is_furniture, segment

FURNITURE_MARKERS = [
    "阅读次数",
    "字号",
    "我要打印",
    "扫一扫",
    "索引号",
    "发文字号",
    "主题分类",
    "发布机构",
    "成文日期",
    "发布日期",
    "语音播报",
    "天气预报",
    "网站维护",
    "我要找政策",
    "信息来源",
    "中国政府网 |",
    "当前位置",
]


def test_segment_offsets_point_into_original_text(seed_texts):
    for name, text in seed_texts.items():
        for u in segment(text):
            assert text[u.start : u.end] == u.text, (name, u)
            assert u.text == u.text.strip()


def test_segment_drops_page_furniture(seed_texts):
    for name, text in seed_texts.items():
        units = segment(text)
        for u in units:
            for marker in FURNITURE_MARKERS:
                assert marker not in u.text, f"{name}: furniture survived in unit {u.index}: {u.text!r}"


def test_segment_keeps_title_and_real_sentences_of_web_pages(seed_texts):
    texts = [u.text for u in segment(seed_texts["004_4aea94131e29c9d0.txt"])]
    assert texts[0] == "重庆市万州区孙家镇人民政府关于2021年度法治政府建设情况的报告"
    assert "现将2021年度法治政府建设情况报告如下:" in texts
    texts = [u.text for u in segment(seed_texts["003_a5a9fb6f9abef0a0.txt"])]
    assert texts[0] == "盖州市政府2016年依法行政工作报告"


def _heading_lines(text):
    """Lines that are a whole heading: a numbering marker and no sentence punctuation inside."""
    for line in text.splitlines():
        s = line.strip()
        if heading_level(s) is not None and len(s) <= 40 and not re.search(r"[。；;！？]", s[:-1]):
            yield s


def test_segment_makes_every_heading_its_own_unit(seed_texts):
    total = 0
    for name, text in seed_texts.items():
        units = {u.text: u for u in segment(text)}
        for line in _heading_lines(text):
            total += 1
            assert line in units, f"{name}: heading {line!r} is not its own unit"
            assert units[line].is_heading
    assert total >= 60  # the seeds really contain many headings of several levels


def test_segment_run_in_heading_sentence_is_a_heading_unit(seed_texts):
    units = segment(seed_texts["000_90a92f8b898623fa.txt"])
    h = next(u for u in units if u.text == "(一)用心履职尽责,强力推动法治建设。")
    assert h.is_heading
    nxt = units[h.index + 1]
    assert nxt.heading == h.text and not nxt.is_heading


def test_segment_gives_nearest_heading_above():
    text = "一、主要工作\n（一）推进政务公开\n全年公开信息200条。\n二、存在的问题\n执法力量薄弱。"
    units = segment(text)
    by_text = {u.text: u for u in units}
    assert by_text["全年公开信息200条。"].heading == "（一）推进政务公开"
    assert by_text["（一）推进政务公开"].heading == "一、主要工作"
    assert by_text["二、存在的问题"].heading == ""
    assert by_text["执法力量薄弱。"].heading == "二、存在的问题"


@pytest.mark.parametrize("text", ["", "   ", "\n\n\u3000\n", "。", "a"])
def test_segment_empty_or_tiny_input_gives_no_units(text):
    assert segment(text) == []


def test_segment_splits_enumerations_inside_paragraphs():
    text = "存在的不足：一是执法人员不足，二是公开不及时；三是复议案件增多。"
    assert [u.text for u in segment(text)] == [
        "存在的不足：",
        "一是执法人员不足，",
        "二是公开不及时；",
        "三是复议案件增多。",
    ]


def test_segment_splits_enumeration_that_lost_its_comma(seed_texts):
    texts = [u.text for u in segment(seed_texts["004_4aea94131e29c9d0.txt"])]
    assert "三是理顺部门职责。" in texts


def test_segment_does_not_split_rank_or_list_numbers():
    text = "位列全市第三,获评先进。共涉及1、2号文件。"
    assert [u.text for u in segment(text)] == ["位列全市第三,获评先进。", "共涉及1、2号文件。"]


def test_segment_handles_half_and_full_width_punctuation_alike():
    full = "全年受理行政复议案件45件。依法公开信息！是否规范？落实到位；"
    half = "全年受理行政复议案件45件.依法公开信息!是否规范?落实到位;"
    assert len(segment(full)) == len(segment(half)) == 4


def test_segment_keeps_decimal_numbers_and_closing_quotes():
    units = segment("办结率达98.5%。坚持“谁执法谁普法。”继续推进。")
    assert [u.text for u in units] == ["办结率达98.5%。", "坚持“谁执法谁普法。”", "继续推进。"]


def test_segment_splits_missing_line_breaks_at_sentence_ends():
    text = "一、加强组织领导。区政府召开常务会议4次。二、推进依法决策。全年审查文件12件。"
    units = segment(text)
    assert [u.text for u in units if u.is_heading] == ["一、加强组织领导。", "二、推进依法决策。"]


@pytest.mark.parametrize(
    "line",
    [
        "首页 | 机构概况 | 政务公开 | 互动交流",
        "发布时间：2023-02-01  浏览次数：1024",
        "【字体：大 中 小】【打印】【关闭】",
        "扫一扫在手机打开当前页面",
        "网站标识码：4301000001  湘ICP备05001234号",
        "版权所有：某某市人民政府办公室  技术支持：某某科技",
        "您当前的位置：首页 > 政务公开 > 法治政府",
        "[ 索引号 ] 11500101/2022-00001",
        "登录 | 注册",
        "首页 机构概况 政务公开 政务服务 互动交流",
    ],
)
def test_is_furniture_recognises_web_page_lines(line):
    assert is_furniture(line)


@pytest.mark.parametrize(
    "line",
    [
        "依托政府门户网站主动公开政府信息1200条，网站访问量稳步提升，群众满意度明显提高，政务公开工作获得上级充分肯定和好评。",
        "二、存在的问题",
        "重庆市万州区孙家镇人民政府",
        "2022年1月26日",
        "中共澧县县委 澧县人民政府关于澧县2024年度法治政府建设工作情况的报告",
        # table rows saved as text: short cells, no punctuation, but figures
        "检查单位 68家 立案 11件 结案 9件 罚没款 3.2万元",
        "规章 0 0 0",
        "（七）总计 86 9 0 1 4 0 100",
        # account words inside report text
        "政务新媒体账号推送公开信息 2870条",
        "全年新注册市场主体1.2万户",
    ],
)
def test_is_furniture_keeps_report_text(line):
    assert not is_furniture(line)


@pytest.mark.parametrize("line", ["（三）不予公开 5", "（一）新收案件 428件", "2.重复申请 4 0 0 0 1 0 5"])
def test_a_numbered_count_line_is_a_table_row_not_a_heading(line):
    units = segment("三、收到和处理政府信息公开申请情况\n" + line)
    assert [u.text for u in units] == ["三、收到和处理政府信息公开申请情况", line]
    assert not units[1].is_heading and units[1].heading == "三、收到和处理政府信息公开申请情况"
