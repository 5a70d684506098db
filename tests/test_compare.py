"""`fazhi compare`: two reports of one body, the areas, the carried-over problems and the new measures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fazhi.cli import main
from fazhi.model import load_model
from fazhi.paths import REPO_DIR
from fazhi.review.compare import CompareConfig, Similarity, compare_files, compare_markdown, compare_reports, normalize

PAIRS = Path(__file__).parent / "data" / "compare"
PAIR_NAMES = sorted(p.name for p in PAIRS.iterdir() if (p / "truth.json").is_file())


@pytest.fixture(scope="module")
def baseline():
    return load_model(REPO_DIR / "model" / "baseline")


def _row(
    index: int, text: str, category: str, problem: bool = False, heading: str = "", is_heading: bool = False
) -> dict:
    # The fields compare reads from a unit row (fazhi.pipeline.results builds the real ones).
    return {
        "index": index,
        "text": text,
        "category": category,
        "problem": problem,
        "heading": heading,
        "is_heading": is_heading,
    }


def test_normalize_folds_numbers_width_enumerators_and_punctuation():
    assert normalize("一是全年办理复议案件１２件，纠错率9.4%。") == normalize("全年办理复议案件87件，纠错率10%")
    assert normalize("（三）执法人员不足。") == "执法人员不足"


def test_restatement_scores_above_a_different_problem_of_the_same_area():
    old = "行政复议案件数量逐年上升，复议机构办案人员只有4名，案多人少矛盾突出。"
    restated = "行政复议案件持续增长，全县复议办案人员仍只有4名，案多人少的矛盾没有得到根本缓解。"
    different = "行政复议决定书说理不够充分，群众对部分复议结果认可度不高。"
    sim = Similarity([old, restated, different])
    assert sim(restated, old) > CompareConfig().carried_threshold > sim(different, old)
    assert sim(old, old) == pytest.approx(1.0)


def test_areas_counts_changes_dropped_and_added():
    old = [
        _row(0, "全年办理行政复议案件64件。", "dispute"),
        _row(1, "主动公开政府信息4120条。", "disclosure"),
        _row(2, "复议人员不足。", "dispute", problem=True),
    ]
    new = [_row(0, "全年办理行政复议案件80件。", "dispute"), _row(1, "执法人员持证上岗率达到100%。", "enforcement")]
    result = compare_reports("2022", old, "2023", new)
    dispute = next(a for a in result["areas"] if a["category"] == "dispute")
    assert (dispute["old_sentences"], dispute["new_sentences"], dispute["sentence_change"]) == (2, 1, -1)
    assert (dispute["old_problems"], dispute["new_problems"], dispute["problem_change"]) == (1, 0, -1)
    assert result["areas_dropped"] == ["disclosure"]
    assert result["areas_added"] == ["enforcement"]
    # The yearly line with a new figure is not new; the enforcement line is.
    assert [u["text"] for u in result["new_measures"]["enforcement"]] == ["执法人员持证上岗率达到100%。"]
    assert result["new_measures"]["dispute"] == []


def test_a_missed_flag_in_olds_problems_section_still_counts_as_a_problem_to_match():
    restated = "行政复议案件持续增长，全县复议办案人员仍只有4名，案多人少的矛盾没有得到根本缓解。"
    old_sentence = "行政复议案件数量逐年上升，复议机构办案人员只有4名，案多人少矛盾突出。"
    heading = "二、存在的问题"
    old = [_row(0, heading, "other", problem=True, is_heading=True), _row(1, old_sentence, "dispute", heading=heading)]
    new = [_row(0, restated, "dispute", problem=True)]
    result = compare_reports("2022", old, "2023", new)
    assert [(m["new"]["text"], m["old"]["text"]) for m in result["carried_over"]] == [(restated, old_sentence)]
    # Under a heading that is not a problems heading, the unflagged sentence is no match target.
    old[0] = _row(0, "一、主要工作", "other", is_heading=True)
    old[1] = {**old[1], "heading": "一、主要工作"}
    assert compare_reports("2022", old, "2023", new)["carried_over"] == []


@pytest.mark.parametrize("name", PAIR_NAMES)
@pytest.mark.parametrize("which", ["shipped", "baseline"])
def test_written_pairs_carried_over_problems_are_found_with_at_most_one_false_match(
    name, which, shipped_model, baseline
):
    model = shipped_model if which == "shipped" else baseline
    truth = {
        (t["new"], t["old"])
        for t in json.loads((PAIRS / name / "truth.json").read_text(encoding="utf-8"))["carried_over"]
    }
    result = compare_files(PAIRS / name / "old.txt", PAIRS / name / "new.txt", model)
    found = {(m["new"]["text"], m["old"]["text"]) for m in result["carried_over"]}
    assert len(found & truth) >= len(truth) - 1, f"missed: {sorted(truth - found)}"
    assert len(found - truth) <= 1, f"false matches: {sorted(found - truth)}"


def test_markdown_names_both_reports_every_area_and_each_carried_over_pair(baseline):
    result = compare_files(PAIRS / "county" / "old.txt", PAIRS / "county" / "new.txt", baseline)
    md = compare_markdown(result)
    assert md.startswith(f"# {PAIRS / 'county' / 'new.txt'} compared with {PAIRS / 'county' / 'old.txt'}")
    for area in result["areas"]:
        assert f"| {area['category']} |" in md
    for m in result["carried_over"]:
        assert m["new"]["text"] in md and m["old"]["text"] in md


def test_cli_writes_json_and_markdown(tmp_path, capsys):
    old, new = str(PAIRS / "city" / "old.txt"), str(PAIRS / "city" / "new.txt")
    out = tmp_path / "cmp.json"
    assert (
        main(["compare", old, new, "--model", str(REPO_DIR / "model" / "baseline"), "--format", "json", "-o", str(out)])
        == 0
    )
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["old"]["doc"] == old and data["new"]["doc"] == new
    assert data["settings"]["carried_threshold"] == CompareConfig().carried_threshold
    assert (
        main(["compare", old, new, "--model", str(REPO_DIR / "model" / "baseline"), "--carried-threshold", "0.99"]) == 0
    )
    md = capsys.readouterr().out
    assert "## Problems carried over (0 of" in md and "similarity >= 0.99" in md


def test_cli_reports_a_missing_or_unreadable_report(tmp_path, capsys):
    empty = tmp_path / "empty.txt"
    empty.write_text("", encoding="utf-8")
    baseline_dir = str(REPO_DIR / "model" / "baseline")
    assert main(["compare", str(tmp_path / "nope.txt"), str(PAIRS / "city" / "new.txt"), "--model", baseline_dir]) == 2
    assert "nope.txt" in capsys.readouterr().err
    assert main(["compare", str(empty), str(PAIRS / "city" / "new.txt"), "--model", baseline_dir]) == 2
    assert "empty.txt" in capsys.readouterr().err
    assert main(["compare", str(empty), str(empty), "--carried-threshold", "1.5"]) == 2
    assert "--carried-threshold" in capsys.readouterr().err
