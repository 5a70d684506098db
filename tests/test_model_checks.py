"""Models prove themselves at load (fazhi.model.checks): damaged weights and arrays that do not fit are refused."""

import json
import shutil

import numpy as np
import pytest
import torch

from fazhi.cli import main
from fazhi.errors import EXIT_MODEL, FazhiError
from fazhi.model import ModelLoadError, default_model_dir, load_model
from fazhi.model.checks import ModelOutputError, check_scores
from fazhi.model.prediction import Scores
from fazhi.paths import DEFAULT_BERT_DIR
from fazhi.pipeline.results import classify

BASELINE = default_model_dir().parent / "baseline"


@pytest.fixture
def baseline_copy(tmp_path):
    target = tmp_path / "baseline"
    shutil.copytree(BASELINE, target)
    return target


def _rewrite_weights(directory, change):
    with np.load(directory / "weights.npz", allow_pickle=False) as w:
        arrays = {k: w[k] for k in w.files}
    change(arrays)
    np.savez_compressed(directory / "weights.npz", **arrays)


def test_the_shipped_models_prove_themselves():
    for directory in (BASELINE, DEFAULT_BERT_DIR):
        load_model(directory)


def test_a_baseline_with_nan_weights_is_refused_at_load(baseline_copy):
    _rewrite_weights(baseline_copy, lambda a: a["cat_coef"].__setitem__((0, 5), np.nan))
    with pytest.raises(ModelLoadError, match="cat_coef.*not finite"):
        load_model(baseline_copy)


def test_a_baseline_whose_arrays_do_not_fit_is_refused_at_load(baseline_copy):
    _rewrite_weights(baseline_copy, lambda a: a.__setitem__("prob_coef", a["prob_coef"][:-3]))
    with pytest.raises(ModelLoadError, match="prob_coef.*shape"):
        load_model(baseline_copy)


def test_a_baseline_vocabulary_index_past_the_weights_is_refused_at_load(baseline_copy):
    vocab = json.loads((baseline_copy / "vocab.json").read_text(encoding="utf-8"))
    vocab[next(iter(vocab))] = 10**7
    (baseline_copy / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(ModelLoadError, match="vocab.json has indices"):
        load_model(baseline_copy)


def test_a_bert_with_a_nan_weight_is_refused_at_load(tiny_bert, tmp_path):
    model, tokenizer = tiny_bert
    with torch.no_grad():
        next(iter(model.parameters())).view(-1)[3] = float("nan")
    model.save_pretrained(tmp_path / "m")
    tokenizer.save_pretrained(tmp_path / "m")
    with pytest.raises(ModelLoadError, match="not finite"):
        load_model(tmp_path / "m")


def test_a_tiny_bert_with_finite_weights_loads(tiny_bert, tmp_path):
    model, tokenizer = tiny_bert
    model.save_pretrained(tmp_path / "m")
    tokenizer.save_pretrained(tmp_path / "m")
    assert load_model(tmp_path / "m").labels


@pytest.mark.parametrize(
    "cat, prob, words",
    [
        ([[np.nan, 0.5]], [0.1], "not finite"),
        ([[0.5, 0.5]], [np.inf], "not finite"),
        ([[0.7, 0.7]], [0.1], "sum to 1"),
        ([[1.5, -0.5]], [0.1], "outside"),
        ([[0.5, 0.5], [0.5, 0.5]], [0.1], "shape"),
    ],
)
def test_scores_that_are_not_probabilities_are_refused(cat, prob, words):
    with pytest.raises(ModelOutputError, match=words):
        check_scores(Scores(("a", "b"), np.array(cat, dtype=float), np.array(prob, dtype=float), 0.5), 1)
    check_scores(Scores(("a", "b"), np.array([[0.25, 0.75]]), np.array([0.2]), 0.5), 1)


def _rewrite_config(directory, change):
    config = json.loads((directory / "config.json").read_text(encoding="utf-8"))
    change(config)
    (directory / "config.json").write_text(json.dumps(config, ensure_ascii=False), encoding="utf-8")


@pytest.mark.parametrize("key", ["problem_threshold", "problem_intercept", "id2label"])
def test_a_baseline_config_without_a_key_names_the_key_and_the_file(baseline_copy, key):
    _rewrite_config(baseline_copy, lambda c: c.pop(key))
    with pytest.raises(ModelLoadError, match=f"config.json.*lacks '{key}'"):
        load_model(baseline_copy)


def test_a_baseline_without_one_of_its_arrays_names_the_array_and_the_file(baseline_copy):
    _rewrite_weights(baseline_copy, lambda a: a.pop("cat_intercept"))
    with pytest.raises(ModelLoadError, match="weights.npz lacks 'cat_intercept'.*found"):
        load_model(baseline_copy)


def test_a_baseline_vocabulary_index_that_is_not_a_number_is_one_load_error(baseline_copy):
    vocab = json.loads((baseline_copy / "vocab.json").read_text(encoding="utf-8"))
    vocab[next(iter(vocab))] = "7"
    (baseline_copy / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(ModelLoadError, match="vocab.json.*integer"):
        load_model(baseline_copy)


@pytest.mark.parametrize("threshold", [7, -0.1, float("nan")])
def test_a_problem_threshold_that_is_not_a_probability_is_refused_at_load(baseline_copy, threshold):
    _rewrite_config(baseline_copy, lambda c: c.__setitem__("problem_threshold", threshold))
    with pytest.raises(ModelLoadError, match="threshold"):
        load_model(baseline_copy)


def test_random_bytes_in_the_middle_of_a_bert_safetensors_are_refused_at_load(tiny_bert, tmp_path):
    model, tokenizer = tiny_bert
    model.save_pretrained(tmp_path / "m")
    tokenizer.save_pretrained(tmp_path / "m")
    weights = tmp_path / "m" / "model.safetensors"
    data = bytearray(weights.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 4096] = np.random.default_rng(17).integers(0, 256, 4096, dtype=np.uint8).tobytes()
    weights.write_bytes(bytes(data))
    with pytest.raises(ModelLoadError, match="not finite|known sentence"):
        load_model(tmp_path / "m")


class _NanOn:
    """The shipped baseline, except that a sentence holding 鑫 gets NaN scores: a model gone wrong after its load
    check."""

    def __init__(self, model):
        self.model = model
        self.name, self.labels, self.threshold, self.max_chars = (
            model.name,
            model.labels,
            model.threshold,
            model.max_chars,
        )
        self.int8, self.reads_context = model.int8, model.reads_context

    def predict(self, texts, contexts=None):
        scores = self.model.predict(texts, contexts)
        cat = scores.category_probs.copy()
        cat[["鑫" in t for t in texts]] = np.nan
        return Scores(scores.labels, cat, scores.problem_probs, scores.threshold)


def test_nan_scores_at_run_time_are_a_model_error_never_a_label():
    model = _NanOn(load_model(BASELINE))
    assert classify(model, ["全面推行行政执法公示制度。"])[0]["category"] == "enforcement"
    with pytest.raises(ModelOutputError, match="not finite"):
        classify(model, ["全面推行行政执法公示制度。", "鑫源公司完成整改。"])
    assert isinstance(ModelOutputError("x"), FazhiError) and ModelOutputError.exit_code == EXIT_MODEL


def test_fazhi_classify_with_a_model_that_gives_nan_writes_no_nan_and_exits_3_in_one_line(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.setattr("fazhi.cli.classify.load_model", lambda *_args, **_kwargs: _NanOn(load_model(BASELINE)))
    sentences = tmp_path / "s.txt"
    sentences.write_text("鑫源公司完成整改。\n", encoding="utf-8")
    assert main(["classify", str(sentences)]) == EXIT_MODEL
    out, err = capsys.readouterr()
    assert "NaN" not in out and "nan" not in out.lower()
    assert len(err.strip().splitlines()) == 1 and "not finite" in err and "Traceback" not in err
