import json
import subprocess
import sys

import numpy as np
import pytest

from fazhi.labels import CATEGORIES, LabelDataError
from fazhi.model import load_model
from fazhi.model.baseline import BaselineModel
from fazhi.model.configs import BaselineConfig
from fazhi.paths import LABELS_DIR
from fazhi.pipeline.context import row_contexts
from fazhi.training.baseline import train_baseline

# One unambiguous sentence per area, a clear problem statement and a clear plan.
CLEAR = [
    ("严格落实重大行政决策公众参与、专家论证、风险评估、合法性审查和集体讨论决定程序。", "decision", False),
    ("全面推行行政执法公示制度、执法全过程记录制度和重大执法决定法制审核制度。", "enforcement", False),
    ("全年共收到行政复议申请86件，受理79件，审结75件。", "dispute", False),
    ("全年通过政府门户网站主动公开政府信息2350条，办理依申请公开43件。", "disclosure", False),
    ("认真办理人大代表建议62件、政协委员提案85件，办复率100%。", "supervision", False),
    ("深入开展“八五”普法，组织法治宣传进社区、进学校活动36场。", "other", False),
]
PROBLEM = "部分执法人员业务能力不强，执法不规范的问题仍然存在。"
PLAN = "下一步，我们将进一步加强行政执法队伍建设，提升执法人员业务能力。"


def _quiet(_message: str) -> None:
    pass


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("model") / "baseline"
    train_baseline(LABELS_DIR, out, BaselineConfig(c_grid=(4.0,)), log=_quiet)
    return out


@pytest.mark.slow
def test_trained_model_directory_is_self_describing(trained):
    config = json.loads((trained / "config.json").read_text(encoding="utf-8"))
    assert [config["id2label"][str(i)] for i in range(6)] == list(CATEGORIES)
    assert 0.0 < config["problem_threshold"] < 1.0
    assert (trained / "evaluation.json").exists() and (trained / "training_config.json").exists()
    assert not list(trained.glob("*.pkl")) and not list(trained.glob("*.pickle"))


@pytest.mark.slow
def test_save_load_round_trip_gives_identical_predictions(trained, tmp_path, label_rows):
    model = load_model(trained)
    rows = [r for r in label_rows if r.split == "test"][:300]
    texts, contexts = [r.text for r in rows], row_contexts(rows)
    before = model.predict(texts, contexts)
    model.save(tmp_path / "copy")
    after = BaselineModel.load(tmp_path / "copy").predict(texts, contexts)
    np.testing.assert_allclose(before.category_probs, after.category_probs, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(before.problem_probs, after.problem_probs, rtol=1e-5, atol=1e-6)


@pytest.mark.slow
def test_batched_equals_one_at_a_time(trained):
    model = load_model(trained)
    texts = [t for t, _, _ in CLEAR] + [PROBLEM, PLAN]
    batched = model.predict(texts)
    for i, t in enumerate(texts):
        single = model.predict([t])
        np.testing.assert_allclose(single.category_probs[0], batched.category_probs[i], atol=1e-9)
        assert single.problem_probs[0] == pytest.approx(batched.problem_probs[i])


@pytest.mark.slow
def test_trained_baseline_beats_chance_clearly_on_seed_test(trained):
    metrics = json.loads((trained / "evaluation.json").read_text(encoding="utf-8"))["test"]
    assert metrics["seed"]["macro_f1"] > 0.5
    assert metrics["written"]["problem"]["f1"] > 0.6


@pytest.mark.slow
def test_the_context_block_moves_a_unit_that_names_no_area(trained):
    """Rule 11: 无法提供 5件 alone says nothing of its area; in a disclosure report it is disclosure."""
    model = load_model(trained)
    assert model.context_vocab, "the baseline was trained without a context block"
    context = "某县人民政府2023年政府信息公开工作年度报告 › 三、收到和处理政府信息公开申请情况"
    alone, placed = model.predict(["无法提供 5件"], [""]), model.predict(["无法提供 5件"], [context])
    k = CATEGORIES.index("disclosure")
    assert placed.categories == ["disclosure"]
    assert placed.category_probs[0, k] > alone.category_probs[0, k] + 0.1


def test_training_stops_on_bad_rows_with_file_and_line(tmp_path):
    good = {
        "id": "a",
        "doc": "d",
        "source": "written",
        "split": "train",
        "text": "全年公开信息100条。",
        "category": "disclosure",
        "problem": False,
    }
    path = tmp_path / "bad.jsonl"
    path.write_text(
        json.dumps(good, ensure_ascii=False) + "\n" + json.dumps({**good, "id": "b", "category": "x"}) + "\n",
        encoding="utf-8",
    )
    with pytest.raises(LabelDataError, match=rf"{path.name}:2: error: 'category' must be one of"):
        train_baseline(path, tmp_path / "out", log=_quiet)
    assert not (tmp_path / "out").exists()


def test_training_needs_a_dev_split(tmp_path):
    good = {
        "id": "a",
        "doc": "d",
        "source": "written",
        "split": "train",
        "text": "全年公开信息100条。",
        "category": "disclosure",
        "problem": False,
    }
    path = tmp_path / "nodev.jsonl"
    path.write_text(json.dumps(good, ensure_ascii=False) + "\n", encoding="utf-8")
    with pytest.raises(LabelDataError, match="split 'dev'"):
        train_baseline(path, tmp_path / "out", log=_quiet)


def test_shipped_model_labels_unambiguous_sentences(shipped_model):
    scores = shipped_model.predict([t for t, _, _ in CLEAR] + [PROBLEM, PLAN])
    assert scores.categories[: len(CLEAR)] == [c for _, c, _ in CLEAR]
    assert scores.problems == [False] * len(CLEAR) + [True, False]


@pytest.mark.slow
def test_classify_command_writes_one_json_object_per_nonblank_line():
    lines = [CLEAR[2][0], "", "   ", PROBLEM, CLEAR[3][0]]
    proc = subprocess.run(
        [sys.executable, "-m", "fazhi", "classify", "-"],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        check=True,
    )
    out = [json.loads(l) for l in proc.stdout.splitlines()]
    assert [o["text"] for o in out] == [CLEAR[2][0], PROBLEM, CLEAR[3][0]]
    for o in out:
        assert set(o) == {"text", "context", "category", "scores", "problem", "problem_score", "truncated"}
        assert set(o["scores"]) == set(CATEGORIES)
        assert sum(o["scores"].values()) == pytest.approx(1.0, abs=1e-4)
        assert o["category"] == max(o["scores"], key=o["scores"].get)
    assert out[1]["problem"] is True and out[0]["problem"] is False


@pytest.mark.slow
@pytest.mark.parametrize("sub", ["data check", "segment", "train", "pretrain", "evaluate", "classify", "tag", "serve"])
def test_every_subcommand_has_help(sub):
    proc = subprocess.run([sys.executable, "-m", "fazhi", *sub.split(), "--help"], capture_output=True, text=True)
    assert proc.returncode == 0 and "usage: fazhi" in proc.stdout
