"""The page at / driven in headless Chromium (Debian's chromium + chromium-driver) against a real server."""

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from server_process import running_server

from fazhi.pipeline.problems import opens_problem_section, states_problem
from fazhi.pipeline.tag import tag_text
from fazhi.review.report import review_summary

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"

# Skipped on a developer machine without Chromium; under CI (.ci/run installs it) a
# missing browser must fail, not hide the page test.
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()) and not os.environ.get("CI"),
        reason="needs Debian's chromium and chromium-driver (apt-get install -y chromium chromium-driver)",
    ),
]

SEED = "004_4aea94131e29c9d0.txt"


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="fazhi-chromium-")
    options = Options()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        "--window-size=1400,1000",
    ):
        options.add_argument(flag)
    # An explicit driver path: Selenium Manager (which would go online) is never started.
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def server():
    with running_server() as base:
        yield base


def _wait_analyzed(driver, runs: int = 1):
    """Until the page has shown its runs-th analysis (an error fails at once, with its message)."""
    from selenium.webdriver.support.ui import WebDriverWait

    def done(d):
        error = d.find_element("id", "error").text
        assert not error, error
        return d.execute_script("return Number(document.body.dataset.runs || 0)") >= runs

    WebDriverWait(driver, 30).until(done)


def test_pasted_report_is_highlighted_by_category_with_problems_and_summary(browser, server, seed_texts, shipped_model):
    from selenium.webdriver.common.by import By

    text = seed_texts[SEED]
    expected = tag_text("pasted report", text, shipped_model)
    browser.get(server + "/")
    browser.execute_script("localStorage.setItem('fazhi.lang', 'en');")
    browser.get(server + "/")
    browser.execute_script(
        "const t = document.getElementById('report'); t.value = arguments[0];t.dispatchEvent(new Event('input'));", text
    )
    browser.find_element(By.ID, "analyze").click()
    _wait_analyzed(browser)

    spans = browser.find_elements(By.CSS_SELECTOR, "#result .unit")
    assert len(spans) == len(expected.units)
    # Every unit is highlighted with its category, in order, and the page shows the report exactly.
    got = browser.execute_script(
        "return Array.from(document.querySelectorAll('#result .unit')).map(s => [s.textContent, s.dataset.category, "
        "s.classList.contains('cat-' + s.dataset.category), s.classList.contains('problem')]);"
    )
    assert [g[0] for g in got] == [u["text"] for u in expected.units]
    assert [g[1] for g in got] == [u["category"] for u in expected.units]
    assert all(g[2] for g in got)
    # Problem statements are marked as problems; a flagged heading or lead-in that opens the section, as that section.
    assert [g[3] for g in got] == [states_problem(u) for u in expected.units]
    sections = browser.execute_script(
        "return Array.from(document.querySelectorAll('#result .unit.problem-section')).map(s => "
        "Number(s.dataset.index));"
    )
    assert sections == [u["index"] for u in expected.units if opens_problem_section(u)]
    assert browser.find_element(By.ID, "result").get_attribute("textContent") == text

    summary = expected.summary
    assert browser.find_element(By.ID, "summary-counts").text.startswith(f"{summary['sentences']} sentence units")
    rows = browser.execute_script(
        "return Array.from(document.querySelectorAll('#category-table tbody tr'))"
        ".map(r => [r.dataset.category, Number(r.cells[1].textContent)]);"
    )
    assert dict(rows) == summary["per_category"]
    problems = [li.text for li in browser.find_elements(By.CSS_SELECTOR, "#problems li.problem")]
    assert len(problems) == len(summary["problems"])
    assert all(p["text"] in li for p, li in zip(summary["problems"], problems, strict=True))
    missing = browser.execute_script(
        "return Array.from(document.querySelectorAll('#missing-areas .area')).map(s => s.dataset.category);"
    )
    assert missing == summary["areas_not_mentioned"]
    assert browser.find_element(By.ID, "error").text == ""
    header = browser.find_element(By.ID, "model-name").text
    assert (
        header.startswith("model:") and "real text: category macro-F1" in header
    )  # the real-text figure is the headline
    browser.execute_script("localStorage.removeItem('fazhi.lang');")


def test_dropped_gb18030_txt_file_is_decoded_and_analyzed(browser, server, seed_texts, tmp_path, shipped_model):
    from selenium.webdriver.common.by import By

    name = "002_2e6ca2ac6e11755e.txt"
    path = tmp_path / "report_gbk.txt"
    path.write_bytes(seed_texts[name].encode("gb18030"))
    browser.get(server + "/")
    browser.find_element(By.ID, "file").send_keys(str(path))  # what a drop or a file choice hands the page
    _wait_analyzed(browser)  # the file went to the server as it is, which read it as `fazhi tag` does
    assert browser.find_element(By.ID, "report").get_attribute("value") == seed_texts[name]
    assert browser.find_element(By.ID, "result").get_attribute("textContent") == seed_texts[name]
    n = len(tag_text(name, seed_texts[name], shipped_model).units)
    assert len(browser.find_elements(By.CSS_SELECTOR, "#result .unit")) == n


def test_empty_input_shows_an_error_instead_of_a_request(browser, server):
    from selenium.webdriver.common.by import By

    browser.get(server + "/")
    browser.find_element(By.ID, "analyze").click()
    assert "请先粘贴报告全文" in browser.find_element(By.ID, "error").text
    assert browser.find_elements(By.CSS_SELECTOR, "#result .unit") == []


def test_server_error_message_is_shown_on_the_page(browser, server):
    """A report over the server's size limit: the page shows the API's error, not a blank result."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(server + "/")
    browser.execute_script("document.getElementById('report').value = '执法。'.repeat(250000);")
    browser.find_element(By.ID, "analyze").click()
    WebDriverWait(browser, 30).until(lambda d: d.find_element(By.ID, "error").text)
    assert "payload_too_large" in browser.find_element(By.ID, "error").text


COMPARE_PAIR = Path(__file__).parent / "data" / "compare" / "county"


def test_compare_page_shows_both_reports_side_by_side_with_carried_over_problems_linked(browser, server, shipped_model):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from fazhi.review.compare import compare_reports

    old, new = (
        (COMPARE_PAIR / "old.txt").read_text(encoding="utf-8"),
        (COMPARE_PAIR / "new.txt").read_text(encoding="utf-8"),
    )
    old_units, new_units = tag_text("OLD", old, shipped_model).units, tag_text("NEW", new, shipped_model).units
    expected = compare_reports("OLD", old_units, "NEW", new_units)
    browser.get(server + "/compare")
    browser.execute_script(
        "document.getElementById('old-text').value = arguments[0];"
        "document.getElementById('new-text').value = arguments[1];",
        old,
        new,
    )
    browser.find_element(By.ID, "compare").click()
    WebDriverWait(browser, 60).until(lambda d: d.execute_script("return document.body.dataset.compared === 'true'"))

    # Each report is shown whole, every unit highlighted by its category.
    for side, text, units in (("old", old, old_units), ("new", new, new_units)):
        got = browser.execute_script(
            f"return Array.from(document.querySelectorAll('#{side}-report .unit'))"
            ".map(s => [s.dataset.category, s.dataset.problem === 'true']);"
        )
        assert got == [[u["category"], u["problem"]] for u in units]
        shown = browser.execute_script(
            f"const b = document.getElementById('{side}-report').cloneNode(true);"
            "b.querySelectorAll('h3, .pairno, .newmark').forEach(n => n.remove()); return b.textContent;"
        )
        assert shown == text
    rows = browser.execute_script(
        "return Array.from(document.querySelectorAll('#area-table tbody tr'))"
        ".map(r => [r.dataset.category, Number(r.cells[1].textContent), Number(r.cells[2].textContent)]);"
    )
    assert rows == [[a["category"], a["old_sentences"], a["new_sentences"]] for a in expected["areas"]]

    # Every carried-over pair is numbered on both sides; a click lights up both of its units.
    items = browser.find_elements(By.CSS_SELECTOR, "#carried li")
    assert len(items) == len(expected["carried_over"]) >= 4
    for k, m in enumerate(expected["carried_over"], start=1):
        for side in ("old", "new"):
            unit = browser.find_element(By.ID, f"{side}-unit-{m[side]['index']}")
            assert "carried" in unit.get_attribute("class") and str(k) in unit.get_attribute("data-pairs").split()
        items[k - 1].click()
        lit = browser.execute_script("return Array.from(document.querySelectorAll('.unit.lit')).map(n => n.id).sort();")
        assert lit == sorted([f"new-unit-{m['new']['index']}", f"old-unit-{m['old']['index']}"])
    measures = sum(len(v) for v in expected["new_measures"].values())
    assert len(browser.find_elements(By.CSS_SELECTOR, "#new-report .unit.new-measure")) == measures
    assert browser.find_element(By.ID, "measure-count").text == str(measures)
    assert browser.find_element(By.ID, "error").text == ""
    # Each side is headed by which year it is (never "OLD · OLD"), and the count of NEW's problem statements is
    # compare's.
    assert [browser.find_element(By.CSS_SELECTOR, f"#{side}-report h3").text for side in ("old", "new")] == [
        "上一年",
        "本年",
    ]
    assert (
        f"本年 {expected['new']['problems']} 条问题陈述中的 {len(expected['carried_over'])} 条"
        in browser.find_element(By.ID, "carried-note").text
    )
    browser.execute_script(
        "document.getElementById('old-doc').value = '2022年报告'; document.getElementById('new-doc').value = "
        "'2023年报告';"
    )
    browser.find_element(By.ID, "compare").click()
    WebDriverWait(browser, 60).until(lambda d: d.find_element(By.CSS_SELECTOR, "#old-report h3").text != "上一年")
    assert [browser.find_element(By.CSS_SELECTOR, f"#{side}-report h3").text for side in ("old", "new")] == [
        "上一年 · 2022年报告",
        "本年 · 2023年报告",
    ]


def test_compare_page_asks_for_both_reports(browser, server):
    from selenium.webdriver.common.by import By

    browser.get(server + "/compare")
    browser.execute_script("document.getElementById('old-text').value = '主动公开政府信息4120条。';")
    browser.find_element(By.ID, "compare").click()
    assert "两份报告" in browser.find_element(By.ID, "error").text
    assert browser.find_element(By.ID, "overview").get_attribute("hidden") is not None


def test_corpus_view_opens_from_disk_with_heatmap_table_and_sentences_behind_each_cell(browser, tmp_path):
    """The page of `fazhi tag DIR --report`, opened as a file: no server, no network."""
    import io

    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from fazhi.model import load_model
    from fazhi.output.run import run_tag
    from fazhi.paths import REPO_DIR
    from fazhi.pipeline.tag import TaggedReport
    from fazhi.review.corpus_view import CorpusView

    written = REPO_DIR / "data" / "reports" / "written"
    paths = [str(written / n) for n in ("written_a03.txt", "written_g06.txt", "written_j10.txt", "written_k02.txt")]
    view, reports = CorpusView(), []

    def keep(report: TaggedReport) -> None:
        reports.append(report)
        view.add(report)

    run_tag(paths, load_model(REPO_DIR / "model" / "baseline"), write_units=False, log=io.StringIO(), on_report=keep)
    page = tmp_path / "report.html"
    view.write(str(page), model_name="baseline")
    browser.get(page.as_uri())
    WebDriverWait(browser, 30).until(lambda d: d.execute_script("return document.body.dataset.ready === 'true'"))

    from fazhi.labels import AREAS

    assert len(browser.find_elements(By.CSS_SELECTOR, "#heatmap g.cell")) == len(reports) * len(AREAS)
    # Reports are named by their titles, the file on hover (below the folder they share, never a path of the
    # machine), in Chinese.
    titles = {
        Path(r.doc).name: next(u["text"] for u in r.units if "报告" in u["text"] and len(u["text"]) < 60)
        for r in reports
    }
    cells = browser.execute_script(
        "return Array.from(document.querySelectorAll('#reports tbody tr'))"
        ".map(r => [r.cells[0].textContent, r.cells[0].title]);"
    )
    assert [c[0] for c in cells] == sorted(titles.values()) and all(titles[c[1]] == c[0] for c in cells)
    assert "宜宾市司法局2021年度法治政府建设情况报告" in titles.values()  # past the web page's furniture
    assert browser.find_element(By.CSS_SELECTOR, "#reports thead th[data-key='doc']").text == "报告"
    # Sorting by enforcement share, largest first, reorders the table and the heatmap alike.
    browser.find_element(By.CSS_SELECTOR, "#reports thead th[data-key='enforcement']").click()
    by_share = [
        Path(r.doc).name
        for r in sorted(reports, key=lambda r: -r.summary["per_category"]["enforcement"] / len(r.units))
    ]
    assert (
        browser.execute_script(
            "return Array.from(document.querySelectorAll('#reports tbody tr')).map(r => r.cells[0].title);"
        )
        == by_share
    )
    first_row = browser.execute_script(
        "return Array.from(document.querySelectorAll('#heatmap g.cell')).slice(0, 5).map(g => g.dataset.report);"
    )
    assert {int(i) for i in first_row} == {[Path(r.doc).name for r in reports].index(by_share[0])}

    # A heatmap cell and a table cell open the report's sentences in that area, problems marked.
    r = 1
    browser.find_element(By.CSS_SELECTOR, f"#heatmap g.cell[data-report='{r}'][data-area='dispute']").click()
    WebDriverWait(browser, 10).until(lambda d: d.find_element(By.ID, "detail").is_displayed())
    shown = browser.execute_script(
        "return Array.from(document.querySelectorAll('#detail li'))"
        ".map(li => [li.querySelector('.text').textContent, li.classList.contains('problem')]);"
    )
    assert shown == [[u["text"], states_problem(u)] for u in reports[r].units if u["category"] == "dispute"]
    browser.find_element(By.ID, "close").click()
    browser.find_element(By.CSS_SELECTOR, f"#reports td.problems[data-report='{r}']").click()
    WebDriverWait(browser, 10).until(lambda d: d.find_element(By.ID, "detail").is_displayed())
    problems = browser.execute_script(
        "return Array.from(document.querySelectorAll('#detail li .text')).map(n => n.textContent);"
    )
    assert problems == [u["text"] for u in reports[r].units if states_problem(u)]
    missing = {d.get_attribute("data-area"): d.text for d in browser.find_elements(By.CSS_SELECTOR, "#missing details")}
    for a in AREAS:
        n = sum(a in rep.summary["areas_not_mentioned"] for rep in reports)
        assert f"：{n} 份报告" in missing[a]


SEEDLIKE = Path(__file__).parent / "data" / "seedlike_report.txt"
SCREENSHOT_DIR = os.environ.get("FAZHI_SCREENSHOT_DIR")  # set to keep the page's picture (never committed)


def _drop_file(driver, path: Path, mime: str, target: str = "drop") -> None:
    """A real drop event on the drop zone (the element of id target), carrying the file's bytes, as a reviewer's drag
    from the desktop does."""
    import base64

    driver.execute_script(
        """
        const bytes = Uint8Array.from(atob(arguments[0]), (c) => c.charCodeAt(0));
        const dt = new DataTransfer();
        dt.items.add(new File([bytes], arguments[1], {type: arguments[2]}));
        document.getElementById(arguments[3]).dispatchEvent(new DragEvent('drop', {dataTransfer: dt, bubbles: true, \
cancelable: true}));
    """,
        base64.b64encode(path.read_bytes()).decode("ascii"),
        path.name,
        mime,
        target,
    )


def test_dropped_docx_report_is_tagged_in_chinese_with_its_summary(browser, server, tmp_path, shipped_model):
    from sample_formats import save_report_as
    from selenium.webdriver.common.by import By

    from fazhi.reading import read_report

    docx = save_report_as(SEEDLIKE.read_text(encoding="utf-8"), tmp_path / "青溪县2023年法治政府建设报告.docx", "docx")
    expected = tag_text(docx.name, read_report(docx), shipped_model)
    browser.get(server + "/")
    assert browser.execute_script("return document.documentElement.lang") == "zh-CN"
    _drop_file(browser, docx, "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    _wait_analyzed(browser)

    # The server read the .docx as `fazhi tag` does; the page shows that text, every unit tagged.
    assert browser.find_element(By.ID, "report").get_attribute("value") == read_report(docx)
    got = browser.execute_script(
        "return Array.from(document.querySelectorAll('#result .unit')).map(s => [s.textContent, s.dataset.category]);"
    )
    assert got == [[u["text"], u["category"]] for u in expected.units]
    # In Chinese: the summary, its table by area name, and the three problem statements under their section.
    summary = review_summary(expected.doc, expected.units)  # as /v1/analyze gives it, with the review's outline
    assert (
        len(summary["problems"]) == 3 and len(summary["problem_sections"]) == 2
    )  # 二、存在的问题 and 但也存在一些不足：
    assert browser.find_element(By.ID, "summary-counts").text == f"共 {summary['sentences']} 个句子单元，3 条问题陈述。"
    assert browser.find_element(By.CSS_SELECTOR, "#summary h2").text == "摘要"
    areas = browser.execute_script(
        "return Array.from(document.querySelectorAll('#category-table tbody tr td:first-child')).map(td => "
        "td.textContent);"
    )
    assert areas == ["依法决策", "行政执法", "矛盾纠纷化解", "政务公开", "行政权力制约和监督", "其他"]
    assert browser.find_element(By.ID, "problem-count").text == "3"
    listed = [li.text for li in browser.find_elements(By.CSS_SELECTOR, "#problems li")]
    assert listed[0] == "问题部分：二、存在的问题" and listed[1] == "问题部分：但也存在一些不足："
    assert all(p["text"] in li for p, li in zip(summary["problems"], listed[2:], strict=True))
    assert browser.find_element(By.ID, "status").text.startswith(f"已读取 {docx.name}")
    # The outline checklist (the review of issue 20): beside the summary, missing parts in red.
    assert summary["outline"], "expected the review's outline in the summary of a rule-of-law annual report"
    shown = browser.execute_script(
        "return Array.from(document.querySelectorAll('#outline-list li'))"
        ".map(li => [li.dataset.part, li.textContent, li.className, getComputedStyle(li).color]);"
    )
    assert [s[0] for s in shown] == [p["part"] for p in summary["outline"]]
    assert [s[1] for s in shown] == [p["title"] for p in summary["outline"]]
    for s, p in zip(shown, summary["outline"], strict=True):
        assert s[2] == ("present" if p["present"] else "missing" if p["required"] else "optional")
        assert (s[3] == "rgb(198, 40, 40)") == (not p["present"] and p["required"])  # red: a required part is missing
    assert any(s[2] == "missing" for s in shown)  # this report has no 第一责任人履职 part
    if SCREENSHOT_DIR:
        browser.save_screenshot(str(Path(SCREENSHOT_DIR) / "page-docx.png"))


def test_compare_page_opens_a_dropped_docx_and_pdf_and_compares_them(browser, server, tmp_path, shipped_model):
    """Last year's report as .docx on the old side, this year's as .pdf on the new: each is read by the server as
    `fazhi compare` reads it, and 对比 shows their comparison."""
    from sample_formats import save_report_as
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from fazhi.reading import read_report
    from fazhi.review.compare import compare_reports

    old = save_report_as(
        (COMPARE_PAIR / "old.txt").read_text(encoding="utf-8"), tmp_path / "某县2022年报告.docx", "docx"
    )
    new = save_report_as((COMPARE_PAIR / "new.txt").read_text(encoding="utf-8"), tmp_path / "某县2023年报告.pdf", "pdf")
    old_text, new_text = read_report(old), read_report(new)
    expected = compare_reports(
        old.name,
        tag_text(old.name, old_text, shipped_model).units,
        new.name,
        tag_text(new.name, new_text, shipped_model).units,
    )
    browser.get(server + "/compare")
    browser.execute_script("localStorage.removeItem('fazhi.lang');")
    browser.get(server + "/compare")

    def settled(reads: int):
        def check(d):
            error = d.find_element(By.ID, "error").text
            assert not error, error
            return d.execute_script(
                "return Number(document.body.dataset.reads || 0) >= arguments[0] && !document.getElementById('compare')"
                ".disabled;",
                reads,
            )

        return check

    _drop_file(browser, old, "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "old-drop")
    WebDriverWait(browser, 30).until(settled(1))
    assert browser.find_element(By.ID, "old-text").get_attribute("value") == old_text
    assert browser.find_element(By.ID, "old-doc").get_attribute("value") == old.name
    assert browser.find_element(By.ID, "status").text == f"已读取 {old.name}（{len(old_text)} 个字符）"
    _drop_file(browser, new, "application/pdf", "new-drop")
    WebDriverWait(browser, 60).until(settled(2))
    assert browser.find_element(By.ID, "new-text").get_attribute("value") == new_text
    assert browser.find_element(By.ID, "new-doc").get_attribute("value") == new.name
    before = browser.execute_script("return Number(document.body.dataset.comparisons || 0)")
    browser.find_element(By.ID, "compare").click()
    WebDriverWait(browser, 60).until(
        lambda d: d.execute_script("return Number(document.body.dataset.comparisons || 0)") > before
    )
    assert browser.find_element(By.ID, "error").text == ""

    # The comparison of the two files' text: the areas table, and the problems carried over.
    rows = browser.execute_script(
        "return Array.from(document.querySelectorAll('#area-table tbody tr'))"
        ".map(r => [r.dataset.category, Number(r.cells[1].textContent), Number(r.cells[2].textContent)]);"
    )
    assert rows == [[a["category"], a["old_sentences"], a["new_sentences"]] for a in expected["areas"]]
    carried = browser.execute_script(
        "return Array.from(document.querySelectorAll('#carried li')).map(li => [Number(li.dataset.oldIndex), "
        "Number(li.dataset.newIndex)]);"
    )
    assert carried == [[m["old"]["index"], m["new"]["index"]] for m in expected["carried_over"]]
    assert len(carried) >= 4
    assert [browser.find_element(By.CSS_SELECTOR, f"#{side}-report h3").text for side in ("old", "new")] == [
        f"上一年 · {old.name}",
        f"本年 · {new.name}",
    ]


def test_compare_page_says_which_files_it_opens_in_both_languages(browser, server, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    odt = tmp_path / "report.odt"
    odt.write_bytes(b"PK\x03\x04")
    browser.get(server + "/compare")
    browser.execute_script("localStorage.removeItem('fazhi.lang');")
    browser.get(server + "/compare")
    _drop_file(browser, odt, "application/vnd.oasis.opendocument.text", "old-drop")
    assert browser.find_element(By.ID, "error").text == "report.odt：只能打开 .docx、.pdf、.html、.htm 或 .txt 文件"
    browser.find_element(By.ID, "lang").click()
    try:
        assert "(.docx, .pdf, .html, .txt)" in browser.find_element(By.ID, "old-drop").get_attribute("title")
        WebDriverWait(browser, 10).until(lambda d: d.find_element(By.ID, "model-name").text.startswith("model: "))
        _drop_file(browser, odt, "application/vnd.oasis.opendocument.text", "new-drop")
        assert (
            browser.find_element(By.ID, "error").text
            == "report.odt: only .docx, .pdf, .html, .htm and .txt files can be opened"
        )
    finally:
        browser.execute_script("localStorage.removeItem('fazhi.lang');")
    # A file the server cannot read: its error, in the error shape, and the side's box left as it was.
    bad = tmp_path / "broken.docx"
    bad.write_bytes(b"PK\x03\x04 not a zip")
    browser.get(server + "/compare")
    _drop_file(browser, bad, "application/octet-stream", "new-drop")
    WebDriverWait(browser, 30).until(lambda d: d.find_element(By.ID, "error").text)
    assert "unreadable_file" in browser.find_element(By.ID, "error").text
    assert browser.find_element(By.ID, "new-text").get_attribute("value") == ""
    assert not browser.find_element(By.ID, "compare").get_attribute("disabled")


def test_the_english_switch_is_remembered_across_visits(browser, server):
    from selenium.webdriver.common.by import By

    browser.get(server + "/")
    browser.execute_script("localStorage.removeItem('fazhi.lang');")
    browser.get(server + "/")
    assert browser.find_element(By.ID, "analyze").text == "分析"
    browser.find_element(By.ID, "lang").click()
    assert browser.find_element(By.ID, "analyze").text == "Analyze"
    assert browser.execute_script("return document.documentElement.lang") == "en"
    browser.get(server + "/")
    assert browser.find_element(By.ID, "analyze").text == "Analyze"  # remembered
    browser.find_element(By.ID, "lang").click()
    browser.get(server + "/")
    assert browser.find_element(By.ID, "analyze").text == "分析"


def test_header_links_the_tagger_compare_and_the_api_docs(browser, server):
    from selenium.webdriver.common.by import By

    for page in ("/", "/compare"):
        browser.get(server + page)
        links = [a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, "header nav a")]
        assert links == [server + "/", server + "/compare", server + "/docs"]


def test_the_summary_stays_in_view_and_area_names_never_break_on_a_long_report(browser, server, seed_texts):
    browser.get(server + "/")
    text = "\n".join(seed_texts[n] for n in sorted(seed_texts))  # all five seeds: a report many screens long
    browser.execute_script("const t = document.getElementById('report'); t.value = arguments[0];", text)
    browser.find_element("id", "analyze").click()
    _wait_analyzed(browser)
    assert browser.execute_script("return document.documentElement.scrollHeight") > 4000
    browser.execute_script("window.scrollTo(0, document.documentElement.scrollHeight * 0.8);")
    top, bottom = browser.execute_script(
        "const r = document.getElementById('summary').getBoundingClientRect(); return [r.top, r.bottom];"
    )
    assert 0 <= top < 100 and bottom > 200  # still on screen, at the top of the window
    # Each area name in the summary's table and tags is laid out on one line (never 依法决 / 策).
    browser.set_window_size(1000, 900)  # a narrow window squeezes the summary's table
    try:
        lines = browser.execute_script(
            "return Array.from(document.querySelectorAll('#summary .area')).map(n => [n.textContent, "
            "n.getClientRects().length === 1 && n.getBoundingClientRect().height < 2 * "
            "parseFloat(getComputedStyle(n).fontSize)]);"
        )
    finally:
        browser.set_window_size(1400, 1000)
    assert len(lines) >= 6 and all(one for _, one in lines), [n for n, one in lines if not one]


def test_problem_statements_are_numbered_one_by_one_without_their_section_lines(browser, server):
    browser.get(server + "/")
    browser.execute_script(
        "const t = document.getElementById('report'); t.value = arguments[0];", SEEDLIKE.read_text(encoding="utf-8")
    )
    browser.find_element("id", "analyze").click()
    _wait_analyzed(browser)
    numbers = browser.execute_script(
        "return Array.from(document.querySelectorAll('#problems li.problem')).map(li => li.value);"
    )
    assert numbers == [1, 2, 3]
