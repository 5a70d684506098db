"""The BERT predictor with the tiny random BERT of conftest: encoding, batching, saving and loading."""

import json

import numpy as np
import pytest
import torch
from samples import TINY_CONTEXT, TINY_SENTENCES

from fazhi.labels import CATEGORIES
from fazhi.model import load_model
from fazhi.model.bert import BertPredictor
from fazhi.training.bert import save_model_dir
from fazhi.training.configs import BertTrainConfig

TEXTS = [s for s, _, _ in TINY_SENTENCES]
MIXED = TEXTS + ["短句。", "一个明显更长一些的句子用来让批内填充长度不同，" * 2]


def _quiet(_message: str) -> None:
    pass


def with_context(model):
    model.config.fazhi_context = True
    return model


def test_save_load_round_trip_gives_the_same_scores_and_a_self_describing_config(tiny_bert, tmp_path):
    model, tokenizer = tiny_bert
    model = with_context(model).eval()
    out = save_model_dir(model, tokenizer, tmp_path / "m", BertTrainConfig(save_float16=False), None, log=_quiet)
    config = json.loads((out / "config.json").read_text(encoding="utf-8"))
    assert config["fazhi_model"] == "bert" and config["fazhi_context"] is True
    assert [config["id2label"][str(i)] for i in range(6)] == list(CATEGORIES)
    assert config["label2id"] == {c: i for i, c in enumerate(CATEGORIES)}
    assert "problem_threshold" in config
    assert (out / "model.safetensors").exists() and not list(out.glob("*.bin")) and not list(out.glob("*.pt"))
    assert "## Real-text figures" in (out / "README.md").read_text(encoding="utf-8")
    contexts = [TINY_CONTEXT] * len(TEXTS)
    before = BertPredictor(model, tokenizer).predict(TEXTS, contexts)
    after = load_model(out).predict(TEXTS, contexts)
    np.testing.assert_allclose(before.category_probs, after.category_probs, atol=1e-6)
    np.testing.assert_allclose(before.problem_probs, after.problem_probs, atol=1e-6)


def test_float16_storage_loads_back_as_float32_with_close_scores(tiny_bert, tmp_path):
    model, tokenizer = tiny_bert
    out = save_model_dir(
        model.eval(), tokenizer, tmp_path / "m16", BertTrainConfig(save_float16=True), None, log=_quiet
    )
    loaded = load_model(out)
    assert next(loaded.model.parameters()).dtype == torch.float32
    np.testing.assert_allclose(
        BertPredictor(model, tokenizer).predict(TEXTS).category_probs, loaded.predict(TEXTS).category_probs, atol=2e-3
    )


@pytest.mark.parametrize("contexts", [None, [TINY_CONTEXT if i % 2 else "" for i in range(len(MIXED))]])
def test_batched_results_equal_one_at_a_time(tiny_bert, contexts):
    model, tokenizer = tiny_bert
    predictor = BertPredictor(with_context(model).eval(), tokenizer, batch_size=4)
    batched = predictor.predict(MIXED, contexts)
    for i, t in enumerate(MIXED):
        one = predictor.predict([t], [contexts[i]] if contexts else None)
        np.testing.assert_allclose(one.category_probs[0], batched.category_probs[i], atol=1e-5)
        assert one.problem_probs[0] == pytest.approx(batched.problem_probs[i], abs=1e-5)


def test_a_model_trained_with_context_reads_it_and_one_without_ignores_it(tiny_bert):
    model, tokenizer = tiny_bert
    plain = BertPredictor(model.eval(), tokenizer)
    assert not plain.reads_context
    np.testing.assert_allclose(
        plain.predict(TEXTS, [TINY_CONTEXT] * 6).category_probs, plain.predict(TEXTS).category_probs
    )
    reading = BertPredictor(with_context(model), tokenizer)
    enc = reading.encode(TEXTS[:1], [TINY_CONTEXT])
    assert enc["token_type_ids"][0].max() == 1  # the context is the second segment
    assert not np.allclose(
        reading.predict(TEXTS, [TINY_CONTEXT] * 6).category_probs, reading.predict(TEXTS, [""] * 6).category_probs
    )


def test_over_long_input_is_truncated_to_the_model_length(tiny_bert):
    model, tokenizer = tiny_bert
    predictor = BertPredictor(with_context(model).eval(), tokenizer)
    assert predictor.max_chars == 62
    long = "执法" * 200
    assert predictor.encode([long])["input_ids"].shape[1] == 64
    assert predictor.encode([long], [TINY_CONTEXT])["input_ids"].shape[1] == 64
    assert len(predictor.predict([long], [TINY_CONTEXT])) == 1


def test_predict_calls_respect_batch_size_and_token_budget(tiny_bert):
    model, tokenizer = tiny_bert
    predictor = BertPredictor(model.eval(), tokenizer, batch_size=5, token_budget=120)
    texts = TEXTS * 3 + ["短。", "一个明显更长一些的句子用来让批内填充长度不同。" * 3]
    calls = predictor.batches(texts)
    assert sorted(i for c in calls for i in c) == list(range(len(texts)))
    for c in calls:
        longest = max(min(len(texts[i]), predictor.max_chars) + 2 for i in c)
        assert len(c) <= 5 and (len(c) == 1 or len(c) * longest <= 120)
    whole = BertPredictor(model, tokenizer, batch_size=1000, token_budget=10**9).predict(texts)
    np.testing.assert_allclose(predictor.predict(texts).category_probs, whole.category_probs, atol=1e-5)
