"""Where reviewers see issue 20's review: `fazhi tag` summaries, --figures, the corpus CSV and page, /v1/analyze,
/v1/compare and `fazhi compare`'s Markdown."""

from __future__ import annotations

import csv
import json
import re
from dataclasses import asdict
from pathlib import Path

import pytest

from fazhi.cli import main
from fazhi.paths import REPO_DIR
from fazhi.pipeline.segment import segment
from fazhi.pipeline.tag import tag_text
from fazhi.review.compare import compare_markdown, compare_reports
from fazhi.review.outline import without_section

WRITTEN = REPO_DIR / "data" / "reports" / "written"
BASELINE = REPO_DIR / "model" / "baseline"


def read(name: str) -> str:
    return (WRITTEN / name).read_text(encoding="utf-8")


def without_plans(name: str = "written_k01.txt") -> str:
    """written_k01 with its section 九、2023年工作打算 cut out: a rule-of-law report that lacks next year's plans."""
    text = read(name)
    units = [asdict(u) for u in segment(text)]
    head = next(u["index"] for u in units if u["is_heading"] and u["text"].startswith("九、"))
    return without_section(text, units, head)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> tuple[Path, list[str]]:
    """a01, k01 without its plans, and z_copy: f03 with three sentences of a01 planted in it, each with a small edit."""
    folder = tmp_path_factory.mktemp("review_corpus")
    (folder / "written_a01.txt").write_text(read("written_a01.txt"), encoding="utf-8")
    (folder / "k01_cut.txt").write_text(without_plans(), encoding="utf-8")
    a01 = [u.text for u in segment(read("written_a01.txt"))]
    planted = [a01[i].replace("省", "区") for i in (33, 47, 73)]
    (folder / "z_copy.txt").write_text(read("written_f03.txt") + "\n" + "\n".join(planted) + "\n", encoding="utf-8")
    return folder, planted


@pytest.fixture(scope="module")
def tagged(corpus, tmp_path_factory):
    folder, _ = corpus
    out = tmp_path_factory.mktemp("review_out")
    code = main(
        [
            "tag",
            str(folder),
            "--model",
            str(BASELINE),
            "-o",
            str(out / "units.jsonl"),
            "--summary",
            "json",
            "--summary-output",
            str(out / "summary.jsonl"),
            "--figures",
            str(out / "figures.csv"),
            "--report",
            str(out / "report.html"),
            "--report-csv",
            str(out / "report.csv"),
        ]
    )
    assert code == 0
    summaries = {
        Path(json.loads(line)["doc"]).name: json.loads(line)
        for line in (out / "summary.jsonl").read_text(encoding="utf-8").splitlines()
        if line.strip()
    }
    return out, summaries


def test_tag_summaries_carry_report_type_outline_and_figures(tagged):
    _, summaries = tagged
    cut = summaries["k01_cut.txt"]
    assert cut["report_type"] == "rule_of_law_annual"
    outline = {e["part"]: e for e in cut["outline"]}
    assert list(outline) == ["measures", "shortcomings", "leaders", "plans", "other_matters"]
    assert outline["plans"]["present"] is False and outline["plans"]["units"] == []
    assert outline["shortcomings"]["present"] and outline["shortcomings"]["units"]
    figures = {(f["indicator"], f["value"]) for f in summaries["written_a01.txt"]["figures"]}
    assert ("reconsideration_cases", 438) in figures and ("lawsuits", 4127) in figures


def test_a_corpus_run_lists_the_planted_sentences_in_the_copys_shared(tagged, corpus):
    _, summaries = tagged
    _, planted = corpus
    shared = summaries["z_copy.txt"]["shared"]  # tagged after written_a01: it lists what it shares with it
    assert {s["doc"] for s in shared} == {str(corpus[0] / "written_a01.txt")}
    assert {s["other_index"] for s in shared} >= {33, 47, 73}
    assert all(set(s) == {"index", "doc", "other_index", "similarity"} for s in shared)
    assert summaries["k01_cut.txt"]["shared"] == []


def test_figures_csv_has_one_row_per_figure_with_doc_indicator_value_unit_category_index_and_text(tagged):
    out, summaries = tagged
    rows = list(csv.DictReader((out / "figures.csv").open(encoding="utf-8")))
    assert {"doc", "indicator", "value", "unit", "category", "index", "text"} <= set(rows[0])
    assert len(rows) == sum(len(s["figures"]) for s in summaries.values())
    cases = [r for r in rows if r["indicator"] == "reconsideration_cases" and r["value"] == "438"]
    assert cases and cases[0]["unit"] == "件" and "438" in cases[0]["text"] and cases[0]["category"]


def test_corpus_csv_and_page_show_missing_parts_figures_and_shared_share(tagged):
    out, _ = tagged
    rows = {Path(r["doc"]).name: r for r in csv.DictReader((out / "report.csv").open(encoding="utf-8"))}
    assert rows["k01_cut.txt"]["missing_parts"] == "下一年度安排"
    assert rows["k01_cut.txt"]["outline_complete"] == "3/4"
    assert int(rows["written_a01.txt"]["figures"]) >= 5
    # both sides of the copying are counted, once the whole run is in
    assert float(rows["z_copy.txt"]["shared_share"]) > 0 and float(rows["written_a01.txt"]["shared_share"]) > 0
    assert float(rows["k01_cut.txt"]["shared_share"]) == 0
    page = (out / "report.html").read_text(encoding="utf-8")
    found = re.search(r'<script id="figures" type="application/json">(.*?)</script>', page, re.S)
    assert found
    data = json.loads(found.group(1))
    review = {Path(r["doc"]).name: r["review"] for r in data["reports"]}
    assert review["k01_cut.txt"]["missing"] == ["下一年度安排"]
    assert {s["other_index"] for s in review["z_copy.txt"]["shared"]} >= {33, 47, 73}
    assert 'id="only-missing"' in page and 'id="figures-table"' in page


def test_markdown_summary_says_what_a_report_lacks(tmp_path):
    report = tmp_path / "k01_cut.txt"
    report.write_text(without_plans(), encoding="utf-8")
    out = tmp_path / "summary.md"
    assert (
        main(
            [
                "tag",
                str(report),
                "--model",
                str(BASELINE),
                "--no-units",
                "--summary",
                "md",
                "--summary-output",
                str(out),
            ]
        )
        == 0
    )
    md = out.read_text(encoding="utf-8")
    assert "缺少：下一年度安排" in md
    assert "## Key figures" in md


def test_compare_summaries_carry_each_sides_type_outline_and_figures(shipped_model):
    old = tag_text("2022", read("written_k01.txt"), shipped_model)
    new = tag_text("2023", without_plans(), shipped_model)
    result = compare_reports(old.doc, old.units, new.doc, new.units)
    for side in ("old", "new"):
        assert result[side]["report_type"] == "rule_of_law_annual"
        assert result[side]["figures"] and result[side]["shared"] == []
    assert {e["part"]: e["present"] for e in result["new"]["outline"]}["plans"] is False
    assert {e["part"]: e["present"] for e in result["old"]["outline"]}["plans"] is True
    assert "OLD 缺少：无; NEW 缺少：下一年度安排" in compare_markdown(result)


def test_analyze_and_compare_answers_carry_the_review(client):
    r = client.post("/v1/analyze", json={"text": without_plans(), "doc": "k01_cut.txt"})
    assert r.status_code == 200, r.text
    summary = r.json()["summary"]
    assert summary["report_type"] == "rule_of_law_annual"
    assert {e["part"]: e["present"] for e in summary["outline"]}["plans"] is False
    assert summary["figures"] and summary["shared"] == []
    r = client.post("/v1/compare", json={"old": {"text": read("written_k01.txt")}, "new": {"text": without_plans()}})
    assert r.status_code == 200, r.text
    new = r.json()["comparison"]["new"]
    assert new["report_type"] == "rule_of_law_annual"
    assert {e["part"]: e["present"] for e in new["outline"]}["plans"] is False


def test_tag_help_says_what_the_summary_reviews_and_what_is_never_shared(capsys):
    with pytest.raises(SystemExit):
        main(["tag", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "report type" in text and "what is missing" in text and "key figures" in text
    assert "shared with reports of other bodies" in text and "statutory stock lines" in text
