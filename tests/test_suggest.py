"""`fazhi suggest`: uncertain units, spread and without duplicates, as Label Studio tasks whose export trains a
model."""

from __future__ import annotations

import copy
import json
import shutil
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest
from samples import tiny_rows

from fazhi.cli import main
from fazhi.labels import CATEGORIES, load_rows
from fazhi.model import load_model
from fazhi.paths import LABELS_DIR, REPO_DIR
from fazhi.pipeline.context import row_contexts
from fazhi.review.suggest import SuggestConfig, label_config, label_studio_tasks, pick_units, suggest_files, uncertainty

BASELINE = REPO_DIR / "model" / "baseline"
WRITTEN = REPO_DIR / "data" / "reports" / "written"
REPORTS = ("written_a03.txt", "written_g06.txt", "written_k02.txt")


def _row(
    doc: str, index: int, text: str, top: float, problem_score: float = 0.0, category: str = "enforcement"
) -> dict:
    # The fields pick_units reads from a unit row (fazhi.pipeline.results builds the real ones).
    rest = (1.0 - top) / (len(CATEGORIES) - 1)
    scores = {c: (top if c == category else rest) for c in CATEGORIES}
    return {
        "doc": doc,
        "index": index,
        "text": text,
        "category": category,
        "scores": scores,
        "problem": problem_score >= 0.5,
        "problem_score": problem_score,
        "is_heading": False,
        "heading": "",
        "context": "",
    }


def test_uncertainty_is_highest_at_a_tied_category_or_at_the_problem_threshold():
    sure = {"decision": 0.98, "enforcement": 0.02}
    tied = {"decision": 0.5, "enforcement": 0.5}
    assert uncertainty(sure, 0.0, 0.5) == pytest.approx(0.04)
    assert uncertainty(tied, 0.0, 0.5) == pytest.approx(1.0)
    assert uncertainty(sure, 0.3, 0.3) == pytest.approx(1.0)  # on the model's own threshold, not at 0.5
    assert uncertainty(sure, 0.65, 0.3) == pytest.approx(0.5)


def test_picks_the_most_uncertain_units_first_and_leaves_out_headings_short_units_and_labelled_text():
    rows = [
        _row("a.txt", i, f"全县第{'一二三四五六七八九十'[i]}批执法人员培训考核全部合格。", top=0.4 + 0.05 * i)
        for i in range(10)
    ]
    rows.append({**_row("a.txt", 10, "三、行政执法工作情况", top=0.2), "is_heading": True})
    rows.append(_row("a.txt", 11, "执法。", top=0.2))
    config = SuggestConfig(n=4, labelled="")
    picks = pick_units(rows, 0.5, config, labelled=[rows[0]["text"]])
    assert [p["index"] for p in picks] == [1, 2, 3, 4]  # 0 is labelled already; 10 is a heading; 11 is too short
    assert all(p["uncertainty"] >= q["uncertainty"] for p, q in zip(picks, picks[1:], strict=False))


def test_near_duplicates_are_picked_once():
    same = "部分乡镇综合行政执法队执法人员数量不足，专业化水平不高。"
    near = "部分乡镇综合行政执法队执法人员数量不足，专业化水平还不高。"
    rows = [
        _row("a.txt", 0, same, 0.3),
        _row("b.txt", 0, same, 0.35),
        _row("c.txt", 0, near, 0.3),
        _row("d.txt", 0, "行政复议决定书说理不够充分，群众认可度不高。", 0.9, category="dispute"),
    ]
    picks = pick_units(rows, 0.5, SuggestConfig(n=4, labelled=""))
    assert sorted(p["doc"] for p in picks) == ["a.txt", "d.txt"]


def test_picks_spread_over_reports_and_areas_rather_than_follow_one_odd_report():
    # Report "odd" is a little more uncertain throughout; without the spread all eight picks would come from it.
    rows = [_row("odd.txt", i, f"这是第{i}号较难判断的执法句子，内容各不相同{i * 7919}。", top=0.30) for i in range(20)]
    rows += [
        _row(f"r{k}.txt", i, f"报告{k}的第{i}号复议句子，内容各不相同{k * 31 + i * 7}。", top=0.34, category="dispute")
        for k in range(3)
        for i in range(5)
    ]
    picks = pick_units(rows, 0.5, SuggestConfig(n=8, labelled=""))
    per_report = Counter(p["doc"] for p in picks)
    assert len(per_report) == 4 and per_report["odd.txt"] <= 4
    assert Counter(p["category"] for p in picks)["dispute"] >= 4


def test_tasks_carry_the_models_labels_as_a_pre_annotation_that_the_config_names():
    row = _row(
        "reports/a.txt", 7, "行政复议案件持续增长，办案人员仍只有4名。", 0.4, problem_score=0.9, category="dispute"
    )
    tasks = label_studio_tasks(pick_units([row], 0.5, SuggestConfig(n=1, labelled="")), "baseline")
    assert (
        tasks[0]["data"]["text"] == row["text"]
        and tasks[0]["data"]["doc"] == "reports/a.txt"
        and tasks[0]["data"]["index"] == 7
    )
    prediction = tasks[0]["predictions"][0]
    assert prediction["model_version"] == "baseline" and 0 <= prediction["score"] <= 1
    assert {(r["from_name"], r["value"]["choices"][0]) for r in prediction["result"]} == {
        ("category", "dispute"),
        ("problem", "problem"),
    }
    view = ET.fromstring(label_config())
    controls = {c.get("name"): c for c in view.iter("Choices")}
    assert {c.get("value") for c in controls["category"].iter("Choice")} == set(CATEGORIES)
    assert [c.get("value") for c in controls["problem"].iter("Choice")] == ["problem"]
    objects = {t.get("name"): t.get("value") for t in view.iter("Text")}
    for r in prediction["result"]:
        assert r["from_name"] in controls and objects[r["to_name"]] == "$text"
    # Every task field the config shows is in the task.
    shown = {e.get("value", "")[1:] for e in view.iter() if e.get("value", "").startswith("$")}
    assert shown <= set(tasks[0]["data"])


def test_suggest_leaves_out_what_the_label_set_holds(tmp_path):
    # The written reports are labelled in full, so with the label set excluded nothing of them is left to suggest.
    reports = tmp_path / "reports"
    reports.mkdir()
    shutil.copyfile(WRITTEN / REPORTS[0], reports / REPORTS[0])
    model = load_model(BASELINE)
    assert suggest_files([str(reports)], model, SuggestConfig(n=10, labelled=str(LABELS_DIR)))[0] == []
    picks, tagged = suggest_files([str(reports)], model, SuggestConfig(n=10, labelled=""))
    assert tagged == 1 and len(picks) == 10


def _label_studio_export(tasks: list[dict], labels: dict[tuple[str, str], tuple[str, bool]]) -> list[dict]:
    """What Label Studio exports after annotators labelled the imported tasks: the task with its id, data, the
    annotation (its result copies the pre-annotation where the annotator agreed) and Label Studio's bookkeeping."""
    exported = []
    for n, task in enumerate(tasks, start=1):
        category, problem = labels[(Path(task["data"]["doc"]).name, task["data"]["text"])]
        predicted = {r["from_name"]: r["value"]["choices"] for r in task["predictions"][0]["result"]}
        result = [
            {
                "value": {"choices": [category]},
                "id": f"c{n:04d}xQ",
                "from_name": "category",
                "to_name": "text",
                "type": "choices",
                "origin": "prediction" if predicted.get("category") == [category] else "prediction-changed",
            }
        ]
        if problem:
            result.append(
                {
                    "value": {"choices": ["problem"]},
                    "id": f"p{n:04d}xQ",
                    "from_name": "problem",
                    "to_name": "text",
                    "type": "choices",
                    "origin": "prediction" if "problem" in predicted else "manual",
                }
            )
        annotation = {
            "id": 500 + n,
            "completed_by": 1,
            "result": result,
            "was_cancelled": False,
            "ground_truth": False,
            "created_at": "2025-03-02T08:15:11.417962Z",
            "updated_at": "2025-03-02T08:15:11.417986Z",
            "draft_created_at": None,
            "lead_time": 6.52,
            "prediction": copy.deepcopy(task["predictions"][0]),
            "result_count": 0,
            "unique_id": f"0c6b2a3e-1f0d-4a8e-9d1c-{n:012d}",
            "import_id": None,
            "last_action": None,
            "task": n,
            "project": 3,
            "updated_by": 1,
            "parent_prediction": 900 + n,
            "parent_annotation": None,
            "last_created_by": None,
        }
        annotations = [annotation]
        if n == 1:  # one annotator skipped the task before another labelled it
            annotations.insert(0, {**annotation, "id": 400, "result": [], "was_cancelled": True})
        exported.append(
            {
                "id": n,
                "annotations": annotations,
                "file_upload": "2f9c1b7e-tasks.json",
                "drafts": [],
                "predictions": [900 + n],
                "data": task["data"],
                "meta": {},
                "created_at": "2025-03-01T10:00:00.000000Z",
                "updated_at": "2025-03-02T08:15:11.430000Z",
                "inner_id": n,
                "total_annotations": 1,
                "cancelled_annotations": int(n == 1),
                "total_predictions": 1,
                "comment_count": 0,
                "unresolved_comment_count": 0,
                "last_comment_updated_at": None,
                "project": 3,
                "updated_by": 1,
                "comment_authors": [],
            }
        )
    return exported


@pytest.mark.slow
def test_suggest_export_train_evaluate_loop(tmp_path, label_rows, monkeypatch):
    """suggest -> Label Studio's export of the labelled tasks -> fazhi train (a tiny BERT) -> fazhi evaluate."""
    monkeypatch.chdir(tmp_path)  # report names (data.doc) relative, so their hashed splits are the same on every run
    Path("reports").mkdir()
    for name in REPORTS:
        shutil.copyfile(WRITTEN / name, Path("reports") / name)
    assert main(["suggest", "reports", "--model", str(BASELINE), "-n", "24", "-o", "tasks.json", "--labelled", ""]) == 0
    tasks = json.loads(Path("tasks.json").read_text(encoding="utf-8"))
    assert len(tasks) == 24 and Path("tasks.label_config.xml").is_file()
    assert {Path(t["data"]["doc"]).name for t in tasks} == set(REPORTS)

    # The project's own labels of these reports stand in for the annotators.
    labels = {(r.doc, r.text): (r.category, r.problem) for r in label_rows if r.doc in REPORTS}
    data = Path("labels")
    data.mkdir()
    (data / "export.json").write_text(
        json.dumps(_label_studio_export(tasks, labels), ensure_ascii=False), encoding="utf-8"
    )
    rows, issues = load_rows(data / "export.json")
    assert issues == []
    assert [(r.doc, r.text, r.category, r.problem) for r in rows] == [
        (t["data"]["doc"], t["data"]["text"], *labels[(Path(t["data"]["doc"]).name, t["data"]["text"])]) for t in tasks
    ]
    # Training reads each unit with the context it had in its report, not one rebuilt from the few units exported.
    assert row_contexts(rows) == [t["data"]["context"] for t in tasks]
    assert any(t["data"]["context"] for t in tasks)

    # Beside a few rows of every split, as a project's label folder would hold, the export trains a model.
    base = [r for split in ("train", "dev", "test") for r in tiny_rows(split)]
    (data / "base.jsonl").write_text(
        "".join(
            json.dumps(
                {
                    "id": r.id,
                    "doc": r.doc,
                    "source": r.source,
                    "split": r.split,
                    "text": r.text,
                    "category": r.category,
                    "problem": r.problem,
                },
                ensure_ascii=False,
            )
            + "\n"
            for r in base
        ),
        encoding="utf-8",
    )
    assert (
        main(
            [
                "train",
                "--data",
                str(data),
                "--output",
                "model",
                "--base-model",
                "none",
                "--layers",
                "1",
                "--hidden",
                "32",
                "--heads",
                "2",
                "--max-length",
                "64",
                "--epochs",
                "2",
                "--patience",
                "2",
                "--batch-size",
                "8",
                "--name",
                "loop",
            ]
        )
        == 0
    )
    trained = json.loads(Path("model/config.json").read_text(encoding="utf-8"))["fazhi_training"]
    assert trained["train_rows"] + trained["dev_rows"] + trained["test_rows"] == len(base) + len(tasks)
    assert main(["evaluate", "model", "--data", str(data), "--output", "eval"]) == 0
    figures = json.loads(Path("eval/evaluation.json").read_text(encoding="utf-8"))
    assert figures["test"]["all"]["n"] == sum(r.split == "test" for r in load_rows(data)[0])


def test_the_label_studio_config_carries_the_rules_and_names_no_file_the_annotator_lacks():
    """An annotator has the config and the tasks, not this repository: the definitions are in the screen itself."""
    from fazhi.pipeline.aggregate import AREA_NAMES

    config = label_config()
    assert ".md" not in config and "data/labels" not in config
    view = ET.fromstring(config)
    hints = {
        c.get("value"): c.get("hint", "")
        for c in next(c for c in view.iter("Choices") if c.get("name") == "category").iter("Choice")
    }
    assert hints["enforcement"].startswith(AREA_NAMES["enforcement"]) and "执法三项制度" in hints["enforcement"]
    assert "行政复议" in hints["dispute"] and "审计" in hints["supervision"] and "合法性审查" in hints["decision"]
    shown = " ".join(h.get("value", "") for h in view.iter("Header"))
    # The problem rule itself: when to tick (a shortcoming, or what introduces one) and when not (results, plans,
    # measures).
    for words in ("不足", "存在的问题", "计划", "未发生", "针对问题的措施", "最近的"):
        assert words in shown, words
