import json
import re
import subprocess
import sys

import pytest

from fazhi.errors import LabelDataError
from fazhi.label_check import check_path, near_duplicate_pairs
from fazhi.labels import CATEGORIES, load_splits
from fazhi.paths import LABELS_DIR

GOOD = {
    "id": "x1",
    "doc": "d1",
    "source": "written",
    "split": "train",
    "text": "全年受理行政复议案件45件。",
    "category": "dispute",
    "problem": False,
}


def _write(tmp_path, rows, name="labels.jsonl"):
    path = tmp_path / name
    path.write_text(
        "".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in rows), encoding="utf-8"
    )
    return path


def test_real_label_set_passes_data_check_with_minimums():
    report = check_path(LABELS_DIR)
    assert not report.errors, "\n".join(str(e) for e in report.errors[:20])
    failed = [f"{name}: {detail}" for name, ok, detail in report.minimums if not ok]
    assert not failed, failed


def test_real_label_set_keeps_seed_test_docs_in_test(label_rows):
    rows = label_rows
    for r in rows:
        if r.doc in ("001_5198beffa2de79c3.txt", "004_4aea94131e29c9d0.txt"):
            assert r.split == "test", r
    splits = {r.doc: r.split for r in rows if r.source == "written" and r.doc.endswith(".txt")}
    share_test = sum(s == "test" for s in splits.values()) / len(splits)
    share_dev = sum(s == "dev" for s in splits.values()) / len(splits)
    assert 0.15 <= share_test <= 0.25 and 0.05 <= share_dev <= 0.15, (share_test, share_dev)


@pytest.mark.parametrize(
    "change, reason",
    [
        ({"category": "law"}, "'category' must be one of"),
        ({"split": "validation"}, "'split' must be one of"),
        ({"problem": "yes"}, "'problem' must be true or false"),
        ({"text": "  "}, "'text' must be a non-empty string"),
        ({"source": "web"}, "'source' must be one of"),
    ],
)
def test_bad_row_is_reported_with_file_line_and_reason(tmp_path, change, reason):
    path = _write(tmp_path, [GOOD, {**GOOD, "id": "x2", "text": "另一句完全不同的话。", **change}])
    report = check_path(path, minimums=False)
    assert len(report.rows) == 1
    assert [(e.line, reason in e.reason) for e in report.errors] == [(2, True)]
    assert report.errors[0].file == str(path)


def test_missing_key_and_invalid_json_are_errors_not_dropped(tmp_path):
    missing = {k: v for k, v in GOOD.items() if k != "category"}
    path = _write(tmp_path, [missing, "{not json", GOOD])
    report = check_path(path, minimums=False)
    assert {e.line for e in report.errors} == {1, 2}
    assert "missing key(s): category" in report.errors[0].reason
    assert not report.ok


def test_duplicate_ids_and_doc_in_two_splits_are_errors(tmp_path):
    rows = [
        GOOD,
        {**GOOD, "text": "落实重大行政决策合法性审查制度。"},
        {**GOOD, "id": "x3", "split": "test", "text": "政府信息依申请公开答复率100%。"},
    ]
    report = check_path(_write(tmp_path, rows), minimums=False)
    reasons = [e.reason for e in report.errors]
    assert any("duplicate id 'x1'" in r for r in reasons)
    assert any("doc 'd1' is in split 'test'" in r for r in reasons)


def test_exact_and_near_duplicates_are_errors_for_written_rows(tmp_path):
    rows = [
        GOOD,
        {**GOOD, "id": "x2", "doc": "d2", "text": "全年受理行政复议案件45件."},  # same after width folding
        {**GOOD, "id": "x3", "doc": "d3", "text": "全年受理行政复议案件45件，"},  # trigram Jaccard 0.85
        {**GOOD, "id": "x4", "doc": "d4", "text": "推进综合行政执法改革，下沉执法权限。"},
    ]
    report = check_path(_write(tmp_path, rows), minimums=False)
    found = {(e.line, e.reason.split(" (")[0].split(" of ")[0]) for e in report.errors}
    assert found == {(2, "exact duplicate"), (3, "near duplicate")}, [str(e) for e in report.errors]


def test_repeats_between_seed_rows_are_only_warnings(tmp_path):
    seed = {**GOOD, "source": "seed"}
    rows = [seed, {**seed, "id": "x2", "doc": "d2"}]
    report = check_path(_write(tmp_path, rows), minimums=False)
    assert report.ok and len(report.issues) == 1 and report.issues[0].severity == "warning"


def test_near_duplicate_pairs_match_brute_force():
    texts = [
        str(GOOD["text"]),
        "全年受理行政复议案件45件，",
        "全年共受理行政复议案件45件。",
        "全年受理行政复议案件46件。",
        "推进综合行政执法改革。",
        "推进综合行政执法改革工作。",
        "政务公开",
        "全年受理行政诉讼案件45件。",
    ]

    def jac(a, b):
        A = {a[i : i + 3] for i in range(len(a) - 2)}
        B = {b[i : i + 3] for i in range(len(b) - 2)}
        return len(A & B) / len(A | B) if A and B else 0

    brute = sorted(
        (i, j) for i in range(len(texts)) for j in range(i + 1, len(texts)) if jac(texts[i], texts[j]) >= 0.8
    )
    assert [(i, j) for i, j, _ in near_duplicate_pairs(texts)] == brute
    assert brute  # the example really has near duplicates


def test_data_check_command_exits_nonzero_on_bad_file(tmp_path):
    path = _write(tmp_path, [{**GOOD, "category": "nonsense"}])
    proc = subprocess.run(
        [sys.executable, "-m", "fazhi", "data", "check", str(path), "--no-minimums"], capture_output=True, text=True
    )
    assert proc.returncode == 1
    assert f"{path}:1: error: 'category' must be one of {', '.join(CATEGORIES)}" in proc.stderr
    assert "data check FAILED" in proc.stdout


def test_data_check_folds_a_repeated_error_into_one_line_as_train_does(tmp_path):
    rows = [{**GOOD, "id": f"x{i}", "category": "nonsense"} for i in range(60)]
    rows[30] = {**GOOD, "id": "x30"}  # a good row between the bad ones
    path = _write(tmp_path, rows)
    proc = subprocess.run(
        [sys.executable, "-m", "fazhi", "data", "check", str(path), "--no-minimums"], capture_output=True, text=True
    )
    lines = proc.stderr.strip().splitlines()
    assert lines == [
        f"{path}:1-30,32-60 (59 rows): error: 'category' must be one of {', '.join(CATEGORIES)}; found 'nonsense'"
    ]
    assert "59 errors" in proc.stdout
    with pytest.raises(LabelDataError) as raised:
        load_splits(tmp_path)
    assert str(raised.value).splitlines()[1:] == lines  # train and evaluate say it the same way


def test_data_check_lists_fifty_distinct_errors_then_a_count(tmp_path):
    path = _write(tmp_path, [{**GOOD, "id": f"x{i}", "category": f"nonsense{i}"} for i in range(60)])
    proc = subprocess.run(
        [sys.executable, "-m", "fazhi", "data", "check", str(path), "--no-minimums"], capture_output=True, text=True
    )
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 51 and lines[-1] == "... and 10 more" and lines[0].startswith(f"{path}:1: error:")


def test_a_users_labels_need_only_text_category_and_problem(tmp_path):
    from fazhi.labels import USER_SOURCE, hashed_split, load_rows

    _write(
        tmp_path,
        [
            {"text": "全年受理行政复议案件45件。", "category": "dispute", "problem": False},
            {"text": "执法人员业务能力有待提高。", "category": "enforcement", "problem": True, "doc": "县局2023"},
        ],
    )
    (tmp_path / "more.csv").write_text(
        "text,category,problem,split\n政务公开平台建设仍有短板。,disclosure,true,\n", encoding="utf-8"
    )
    rows, issues = load_rows(tmp_path)
    assert issues == []
    by_text = {r.text: r for r in rows}
    first = by_text["全年受理行政复议案件45件。"]
    assert (first.id, first.doc, first.source) == ("labels-1", "labels-1", USER_SOURCE)
    assert first.split == hashed_split("labels-1")
    assert by_text["执法人员业务能力有待提高。"].doc == "县局2023"
    assert by_text["政务公开平台建设仍有短板。"].problem is True  # an empty split cell counts as missing


def test_a_split_with_no_rows_says_how_the_rows_were_split_and_how_to_mark_them(tmp_path):
    # A user's own evaluation file without a split column: its rows are given splits by a hash of their document,
    # so none may fall in test; the message says what was found and what to write.
    f = tmp_path / "mine.csv"
    f.write_text("text,category,problem\n全面推行行政执法公示制度。,enforcement,false\n", encoding="utf-8")
    with pytest.raises(LabelDataError) as raised:
        load_splits(f, need=("test",))
    message = str(raised.value)
    assert "expected rows with split 'test'" in message and "found none" in message
    counts = re.search(r"rows by split: train (\d+), dev (\d+), test (\d+)", message)
    assert counts and [int(n) for n in counts.groups()] in ([1, 0, 0], [0, 1, 0])
    assert "give the rows meant for test split 'test'" in message


def test_a_label_file_with_no_rows_says_so_rather_than_how_rows_are_split(tmp_path):
    f = tmp_path / "empty.csv"
    f.write_text("text,category,problem\n", encoding="utf-8")
    with pytest.raises(LabelDataError, match="expected labelled rows in .*empty.csv, found none"):
        load_splits(f, need=("test",))
