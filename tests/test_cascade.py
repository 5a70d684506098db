"""The cascade and hybrid kinds: one directory each, read back by load_model with the same scores; the cascade
sends exactly its unsure units to the second part; batched results equal one-at-a-time ones.

The n-gram part is the shipped baseline (model/baseline); the BERT part is the tiny random BERT of conftest.
"""

import json

import numpy as np
import pytest
from samples import TINY_CONTEXT, TINY_SENTENCES

from fazhi.model import load_model
from fazhi.model.cascade import CascadePredictor, category_margin, save_cascade
from fazhi.model.hybrid import HEAD_ARRAYS, HybridPredictor, baseline_evidence, evidence_matrix, save_hybrid
from fazhi.paths import DEFAULT_BASELINE_DIR
from fazhi.training.bert import save_model_dir
from fazhi.training.configs import BertTrainConfig

TEXTS = [s for s, _, _ in TINY_SENTENCES] + [
    "短句。",
    "一个明显更长一些的句子用来让批内填充长度不同，" * 2,
    "本报告中的数据统计期限为全年。",
    "存在的问题是部分执法人员素质不高。",
]
CONTEXTS = [TINY_CONTEXT if i % 2 else "" for i in range(len(TEXTS))]


def _quiet(_message: str) -> None:
    pass


@pytest.fixture
def bert_dir(tiny_bert, tmp_path):
    model, tokenizer = tiny_bert
    model.config.fazhi_context = True
    return save_model_dir(
        model.eval(), tokenizer, tmp_path / "bert", BertTrainConfig(save_float16=False), None, log=_quiet
    )


def _median_margin() -> float:
    return float(np.median(category_margin(load_model(DEFAULT_BASELINE_DIR).predict(TEXTS, CONTEXTS))))


def test_cascade_directory_reloads_with_identical_scores_and_names_its_parts(bert_dir, tmp_path):
    margin = _median_margin()
    out = save_cascade(tmp_path / "cascade", DEFAULT_BASELINE_DIR, bert_dir, margin, 0.5, 0.75, "c", {})
    config = json.loads((out / "config.json").read_text(encoding="utf-8"))
    assert config["fazhi_model"] == "cascade"
    assert config["part_kinds"] == {"first": "baseline", "second": "bert"}
    assert (out / "first" / "weights.npz").is_file() and (out / "second" / "model.safetensors").is_file()
    assert not list(out.rglob("*.pkl")) and not list(out.rglob("*.bin"))
    loaded = load_model(out)
    assert isinstance(loaded, CascadePredictor)
    direct = CascadePredictor(load_model(DEFAULT_BASELINE_DIR), load_model(bert_dir), margin, 0.5, 0.75)
    a, b = direct.predict(TEXTS, CONTEXTS), loaded.predict(TEXTS, CONTEXTS)
    np.testing.assert_array_equal(a.category_probs, b.category_probs)
    np.testing.assert_array_equal(a.problem_probs, b.problem_probs)


def test_cascade_routes_exactly_the_units_under_the_margin(bert_dir):
    first, second = load_model(DEFAULT_BASELINE_DIR), load_model(bert_dir)
    margin = _median_margin()
    cascade = CascadePredictor(first, second, margin)
    f = first.predict(TEXTS, CONTEXTS)
    under = category_margin(f) < margin
    assert 0 < under.sum() < len(TEXTS)
    np.testing.assert_array_equal(cascade.route(TEXTS, CONTEXTS), under)
    got = cascade.predict(TEXTS, CONTEXTS)
    s = second.predict(TEXTS, CONTEXTS)
    # Routed units carry the BERT's scores, the others the n-grams' (and keep the n-grams' problem flag).
    np.testing.assert_allclose(got.category_probs[under], s.category_probs[under], atol=1e-6)
    np.testing.assert_array_equal(got.category_probs[~under], f.category_probs[~under])
    assert [p for p, u in zip(got.problems, under, strict=True) if not u] == [
        p for p, u in zip(f.problems, under, strict=True) if not u
    ]
    assert [p for p, u in zip(got.problems, under, strict=True) if u] == [
        p for p, u in zip(s.problems, under, strict=True) if u
    ]


def test_cascade_with_no_margin_is_the_first_part(bert_dir):
    first = load_model(DEFAULT_BASELINE_DIR)
    cascade = CascadePredictor(first, load_model(bert_dir), 0.0)
    assert not cascade.route(TEXTS, CONTEXTS).any()
    np.testing.assert_array_equal(
        cascade.predict(TEXTS, CONTEXTS).category_probs, first.predict(TEXTS, CONTEXTS).category_probs
    )
    assert cascade.predict(TEXTS, CONTEXTS).problems == first.predict(TEXTS, CONTEXTS).problems


@pytest.mark.parametrize("contexts", [None, CONTEXTS])
def test_cascade_batched_results_equal_one_at_a_time(bert_dir, contexts):
    cascade = CascadePredictor(load_model(DEFAULT_BASELINE_DIR), load_model(bert_dir), _median_margin(), 0.5, 0.5)
    batched = cascade.predict(TEXTS, contexts)
    for i, t in enumerate(TEXTS):
        one = cascade.predict([t], [contexts[i]] if contexts else None)
        np.testing.assert_allclose(one.category_probs[0], batched.category_probs[i], atol=1e-5)
        assert one.problem_probs[0] == pytest.approx(batched.problem_probs[i], abs=1e-5)


def _random_head(n_features: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "mean": rng.normal(size=n_features),
        "scale": rng.uniform(0.5, 2.0, n_features),
        "cat_coef": rng.normal(size=(6, n_features)),
        "cat_intercept": rng.normal(size=6),
        "prob_coef": rng.normal(size=n_features),
        "prob_intercept": rng.normal(size=1),
    }


def test_hybrid_directory_reloads_with_identical_scores(bert_dir, tmp_path):
    baseline, bert = load_model(DEFAULT_BASELINE_DIR), load_model(bert_dir)
    x, names = evidence_matrix(baseline_evidence(baseline, TEXTS, CONTEXTS), bert.predict(TEXTS, CONTEXTS), CONTEXTS)
    assert x.shape == (len(TEXTS), len(names)) and np.isfinite(x).all()
    head = _random_head(x.shape[1])
    out = save_hybrid(tmp_path / "hybrid", DEFAULT_BASELINE_DIR, bert_dir, head, 0.4, "h", names, {})
    config = json.loads((out / "config.json").read_text(encoding="utf-8"))
    assert config["fazhi_model"] == "hybrid" and config["features"] == names
    assert (out / "head.safetensors").is_file() and not list(out.rglob("*.pkl"))
    loaded = load_model(out)
    assert isinstance(loaded, HybridPredictor)
    # The head is stored as float32: the in-memory one is rounded the same way to compare exactly.
    direct = HybridPredictor(baseline, bert, {k: np.asarray(head[k], dtype=np.float32) for k in HEAD_ARRAYS}, 0.4)
    a, b = direct.predict(TEXTS, CONTEXTS), loaded.predict(TEXTS, CONTEXTS)
    np.testing.assert_allclose(a.category_probs, b.category_probs, rtol=0, atol=1e-12)
    np.testing.assert_allclose(a.problem_probs, b.problem_probs, rtol=0, atol=1e-12)
    assert loaded.threshold == 0.4


def test_hybrid_evidence_splits_the_baselines_logits_into_unit_and_context():
    baseline = load_model(DEFAULT_BASELINE_DIR)
    ev = baseline_evidence(baseline, TEXTS, CONTEXTS)
    # unit log-softmax + context logits give back the baseline's own probabilities (the model is linear).
    z = ev["unit"] + ev["context"]
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(p, baseline.predict(TEXTS, CONTEXTS).category_probs, atol=1e-6)
    assert np.abs(ev["context"][[i for i, c in enumerate(CONTEXTS) if not c]]).max() == 0.0
    assert np.abs(ev["context"][[i for i, c in enumerate(CONTEXTS) if c]]).max() > 0.0
