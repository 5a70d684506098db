"""`fazhi evaluate MODEL` never rewrites the model directory unless asked (issue 15, items 6 and 9): it prints, or
writes to --output DIR; --update-model-card rewrites the figures and the card, atomically."""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
from pathlib import Path

from fazhi.cli import main
from fazhi.paths import DEFAULT_BASELINE_DIR

ROWS = [
    ("u1", "全年办理行政复议案件64件，依法纠正违法行为3件。", "dispute", "false"),
    ("u2", "行政执法人员业务能力不强，执法不规范问题仍然存在。", "enforcement", "true"),
    ("u3", "严格落实重大行政决策程序，组织专家论证12次。", "decision", "false"),
    ("u4", "政务公开工作还不够深入，部分信息更新不及时。", "disclosure", "true"),
]


def _labels(tmp_path: Path) -> Path:
    path = tmp_path / "mine.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "doc", "source", "split", "text", "category", "problem"])
        for i, text, category, problem in ROWS:
            w.writerow([i, "my-report", "written", "test", text, category, problem])
    return path


def _model_copy(tmp_path: Path) -> Path:
    model = tmp_path / "baseline"
    shutil.copytree(DEFAULT_BASELINE_DIR, model)
    return model


def _snapshot(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_evaluate_prints_the_figures_and_leaves_the_model_directory_byte_for_byte(tmp_path, capsys):
    model, data = _model_copy(tmp_path), _labels(tmp_path)
    before = _snapshot(model)
    assert main(["evaluate", str(model), "--data", str(data), "--bootstrap", "0"]) == 0
    assert _snapshot(model) == before
    assert "| all | 4 |" in capsys.readouterr().out


def test_evaluate_with_output_writes_there_and_not_into_the_model(tmp_path):
    model, data = _model_copy(tmp_path), _labels(tmp_path)
    before = _snapshot(model)
    out = tmp_path / "figures"
    assert main(["evaluate", str(model), "--data", str(data), "--output", str(out)]) == 0
    assert _snapshot(model) == before
    assert json.loads((out / "evaluation.json").read_text(encoding="utf-8"))["test"]["all"]["n"] == 4
    assert "| all | 4 |" in (out / "evaluation.md").read_text(encoding="utf-8")


def test_update_model_card_rewrites_the_figures_and_the_card(tmp_path):
    model, data = _model_copy(tmp_path), _labels(tmp_path)
    before = _snapshot(model)
    assert main(["evaluate", str(model), "--data", str(data), "--update-model-card"]) == 0
    after = _snapshot(model)
    assert {name for name in before if before[name] != after[name]} == {"evaluation.json", "evaluation.md", "README.md"}
    assert set(after) == set(before)  # no temporary file left beside them
    card = (model / "README.md").read_text(encoding="utf-8")
    assert "| all | 4 |" in card
    # the real-text figures measured earlier are kept, only the test part is replaced
    shipped = json.loads((DEFAULT_BASELINE_DIR / "evaluation.json").read_text(encoding="utf-8"))
    assert json.loads((model / "evaluation.json").read_text(encoding="utf-8")).get("real") == shipped.get("real")


def test_update_model_card_never_renames_over_a_link(tmp_path, capsys):
    model, data = _model_copy(tmp_path), _labels(tmp_path)
    elsewhere = tmp_path / "elsewhere.md"
    elsewhere.write_text("someone else's file\n", encoding="utf-8")
    (model / "README.md").unlink()
    (model / "README.md").symlink_to(elsewhere)
    assert main(["evaluate", str(model), "--data", str(data), "--update-model-card"]) == 2
    assert "expected a regular file to replace, found a link" in capsys.readouterr().err
    assert (model / "README.md").is_symlink() and elsewhere.read_text(encoding="utf-8") == "someone else's file\n"


def test_output_and_update_model_card_are_one_or_the_other(tmp_path, capsys):
    assert main(["evaluate", "baseline", "--output", str(tmp_path), "--update-model-card"]) == 2
    assert "expected --output DIR or --update-model-card, found both" in capsys.readouterr().err
