"""Hostile HTML (issue 17 item 9): deeply nested pages are read in one linear pass, with a depth limit."""

from __future__ import annotations

import signal
from contextlib import contextmanager

import pytest

from fazhi.reading import read_report_bytes
from fazhi.reading.html_page import MAX_DEPTH

PARAGRAPH = "全面推进依法行政工作取得新进展。"


@contextmanager
def hang_guard(seconds: int):
    """Fails the test instead of letting it hang: the walk per element took minutes on these pages (over 120 s
    for 20,000 nested tables); one linear pass takes about a second, so the bound is far from both."""

    def expired(*_):
        raise TimeoutError(f"still reading after {seconds} s")

    old = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def page(inner: str) -> bytes:
    return f"<html><body>{inner}</body></html>".encode()


@pytest.mark.parametrize(
    "markup",
    [
        pytest.param("<div>" * 20000 + f"<p>{PARAGRAPH}</p>" + "</div>" * 20000, id="20000-nested-div"),
        pytest.param("<b>" * 20000 + PARAGRAPH + "</b>" * 20000, id="20000-nested-b"),
        pytest.param("<div>" * 20000 + f"<p>{PARAGRAPH}</p>", id="20000-unclosed-div"),
        pytest.param("<table><tr><td>" * 5000 + PARAGRAPH + "</td></tr></table>" * 5000, id="5000-nested-tables"),
    ],
)
def test_a_deeply_nested_page_is_read_without_a_walk_per_element(markup):
    with hang_guard(30):
        assert read_report_bytes(page(markup), "deep.html").split() == [PARAGRAPH]


def test_text_past_the_depth_limit_is_read_as_text_one_block_per_line_without_scripts():
    deep = MAX_DEPTH + 50
    markup = (
        "<div>" * 5
        + "<p>一、主要工作</p>"
        + "<div>" * deep
        + "<p>第一段<b>加粗</b>的文字。</p><script>var x='脚本';</script><p>第二段<br>换行。</p>"
        + "</div>" * deep
        + "<p>二、存在的问题</p>"
        + "</div>" * 5
    )
    assert read_report_bytes(page(markup), "deep.html").splitlines() == [
        "一、主要工作",
        "第一段加粗的文字。",
        "第二段",
        "换行。",
        "二、存在的问题",
    ]


def test_furniture_and_a_title_still_work_on_a_page_nested_past_the_limit():
    deep = MAX_DEPTH * 2
    markup = (
        '<div class="nav"><a>首页</a><a>政务公开</a></div><h1>某某市2023年法治政府建设年度报告</h1>'
        + "<div>" * deep
        + f"<p>{PARAGRAPH}</p>" * 3
        + "</div>" * deep
        + '<div class="footer">版权所有：某某市人民政府办公室</div>'
    )
    assert (
        read_report_bytes(page(markup), "deep.html").splitlines()
        == ["某某市2023年法治政府建设年度报告"] + [PARAGRAPH] * 3
    )
