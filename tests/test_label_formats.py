"""Label files in every accepted shape, read by the one loader that data check, evaluate, train and pretrain share."""

import csv
import json

import pytest

from fazhi.evaluation.evaluate import evaluate_model
from fazhi.label_check import check_path
from fazhi.labels import LabelDataError, hashed_split, load_splits, read_label_file
from fazhi.paths import DEFAULT_BASELINE_DIR, LABELS_DIR

ROW = {
    "id": "a1",
    "doc": "d1",
    "source": "written",
    "split": "train",
    "text": "全年办理行政复议案件64件。",
    "category": "dispute",
    "problem": False,
}
DEV = {
    **ROW,
    "id": "a2",
    "doc": "d2",
    "split": "dev",
    "text": "执法人员业务能力不强。",
    "category": "enforcement",
    "problem": True,
}


def _jsonl(path, rows):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def test_jsonl_in_our_schema_groups_rows_by_split(tmp_path):
    splits = load_splits(_jsonl(tmp_path / "l.jsonl", [ROW, DEV]))
    assert [r.id for r in splits["train"]] == ["a1"] and [r.id for r in splits["dev"]] == ["a2"]
    assert splits["dev"][0].problem is True


def test_csv_in_our_schema_reads_problem_words(tmp_path):
    path = tmp_path / "l.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(ROW))
        w.writeheader()
        w.writerow({**ROW, "problem": "false"})
        w.writerow({**DEV, "problem": "true"})
    rows, issues = read_label_file(path)
    assert not issues and [r.problem for r in rows] == [False, True]


def test_label_studio_export_reads_category_and_problem_choices(tmp_path):
    tasks = [
        {
            "id": 7,
            "data": {"text": "主动公开政府信息4120条。"},
            "annotations": [
                {
                    "result": [
                        {
                            "from_name": "category",
                            "to_name": "text",
                            "type": "choices",
                            "value": {"choices": ["disclosure"]},
                        }
                    ]
                }
            ],
        },
        {
            "id": 8,
            "data": {"text": "政务公开栏目更新不及时。", "split": "dev"},
            "annotations": [
                {
                    "result": [
                        {
                            "from_name": "category",
                            "to_name": "text",
                            "type": "choices",
                            "value": {"choices": ["disclosure"]},
                        },
                        {"from_name": "problem", "to_name": "text", "type": "choices", "value": {"choices": ["true"]}},
                    ]
                }
            ],
        },
    ]
    path = tmp_path / "ls.json"
    path.write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")
    rows, issues = read_label_file(path)
    assert not issues
    assert [(r.category, r.problem) for r in rows] == [("disclosure", False), ("disclosure", True)]
    assert rows[1].split == "dev" and rows[0].split == hashed_split(rows[0].doc)


def test_doccano_export_reads_labels_list(tmp_path):
    path = _jsonl(
        tmp_path / "doccano.jsonl",
        [
            {"id": 1, "text": "办理人大代表建议54件。", "label": ["supervision"]},
            {"id": 2, "text": "对问责结果运用不充分。", "label": ["supervision", "problem"]},
        ],
    )
    rows, issues = read_label_file(path)
    assert not issues and [(r.category, r.problem) for r in rows] == [("supervision", False), ("supervision", True)]


@pytest.mark.parametrize(
    "bad, reason",
    [
        ({**ROW, "category": "legislation"}, "'category' must be one of"),
        ({k: v for k, v in ROW.items() if k != "text"}, "missing key(s): text"),
        ({**ROW, "text": ""}, "'text' must be a non-empty string"),
    ],
)
def test_bad_rows_stop_training_with_file_line_and_reason(tmp_path, bad, reason):
    path = _jsonl(tmp_path / "l.jsonl", [ROW, DEV, bad])
    with pytest.raises(LabelDataError) as exc:
        load_splits(path)
    assert f"{path}:3: error: {reason}" in str(exc.value)


def test_wrong_encoding_is_reported_with_line(tmp_path):
    path = tmp_path / "gbk.jsonl"
    path.write_bytes(
        (json.dumps(ROW, ensure_ascii=False) + "\n" + json.dumps(DEV, ensure_ascii=False) + "\n").encode("gbk")
    )
    with pytest.raises(LabelDataError, match=r"gbk.jsonl:1: error: expected UTF-8 text"):
        load_splits(path)


def test_unknown_doccano_label_is_named(tmp_path):
    path = _jsonl(tmp_path / "d.jsonl", [{"id": 1, "text": "普法宣传进社区。", "label": ["law_education"]}])
    with pytest.raises(LabelDataError, match=r"d.jsonl:1: error: unknown label\(s\) 'law_education'"):
        load_splits(path)


def test_empty_split_stops_training(tmp_path):
    with pytest.raises(LabelDataError, match="split 'dev'"):
        load_splits(_jsonl(tmp_path / "l.jsonl", [ROW]))


def test_real_label_folder_loads_all_rows_but_not_its_document_table():
    splits = load_splits(LABELS_DIR)
    assert sum(map(len, splits.values())) >= 8000 and all(splits.values())
    assert (LABELS_DIR / "documents.csv").is_file()  # read by read_documents, never as labels


def test_a_csv_label_file_is_checked_and_evaluated_like_jsonl(tmp_path):
    """`fazhi evaluate --data x.csv` once failed with 'invalid JSON' while `fazhi train` read the same file."""
    path = tmp_path / "labels.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(ROW))
        w.writeheader()
        w.writerow({**ROW, "split": "test", "problem": "false"})
        w.writerow({**DEV, "split": "test", "problem": "true"})
    assert check_path(path, minimums=False).ok
    test, real = evaluate_model(DEFAULT_BASELINE_DIR, path, split="test")
    assert real is None and test is not None and test.metrics["all"]["n"] == 2
