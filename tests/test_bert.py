"""The BERT tagger with a tiny randomly initialised encoder built here (no download, seconds to run)."""

import json
import random

import numpy as np
import pytest
import torch

from fazhi.labels import CATEGORIES, Row
from fazhi.model import load_model
from fazhi.model.bert import BertPredictor, FazhiBertModel, fazhi_config
from fazhi.training.bert import _batches, _collate, _encode, save_model_dir
from fazhi.training.configs import BertTrainConfig
from fazhi.training.vocab import build_vocab, make_tokenizer

SENTENCES = [
    ("全年办理行政复议案件64件，纠错率9.4%。", "dispute", False),
    ("主动公开政府信息4120条。", "disclosure", False),
    ("执法人员持证上岗率达到100%。", "enforcement", False),
    ("规范性文件合法性审核流于形式。", "decision", True),
    ("办理人大代表建议54件。", "supervision", False),
    ("区政府常务会议会前学法11次。", "other", False),
]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """A 2-layer, 32-wide BERT with a character vocabulary of the test sentences."""
    torch.manual_seed(0)
    tok_dir = tmp_path_factory.mktemp("tok")
    tokenizer = make_tokenizer(build_vocab([s for s, _, _ in SENTENCES]), tok_dir)
    config = fazhi_config(
        __import__("transformers").BertConfig(
            vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
            intermediate_size=64, max_position_embeddings=64,
            hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0,
        ),
        fazhi_max_length=64,
    )
    return FazhiBertModel(config), tokenizer


def _rows():
    return [Row(f"r{i}", f"d{i}", "written", "train", t, c, p) for i, (t, c, p) in enumerate(SENTENCES)]


def test_tiny_bert_overfits_a_few_sentences_and_loss_falls(tiny):
    model, tokenizer = tiny
    ds = _encode(tokenizer, _rows(), 64)
    optim = torch.optim.AdamW(model.parameters(), lr=3e-3)
    ce, bce = torch.nn.CrossEntropyLoss(), torch.nn.BCEWithLogitsLoss()
    losses = []
    model.train()
    for step in range(60):
        batch = _collate(ds, list(range(len(SENTENCES))), tokenizer.pad_token_id)
        cat, prob = model(batch["input_ids"], attention_mask=batch["attention_mask"])
        loss = ce(cat, batch["category"]) + bce(prob, batch["problem"])
        loss.backward()
        optim.step()
        optim.zero_grad()
        losses.append(loss.item())
    model.eval()
    assert losses[-1] < 0.25 * losses[0]
    scores = BertPredictor(model, tokenizer).predict([s for s, _, _ in SENTENCES])
    assert scores.categories == [c for _, c, _ in SENTENCES]
    assert scores.problems == [p for _, _, p in SENTENCES]


def test_save_load_round_trip_and_self_describing_config(tiny, tmp_path):
    model, tokenizer = tiny
    model.eval()
    out = save_model_dir(model, tokenizer, tmp_path / "m", BertTrainConfig(save_float16=False), None, log=lambda m: None)
    config = json.loads((out / "config.json").read_text(encoding="utf-8"))
    assert config["fazhi_model"] == "bert"
    assert [config["id2label"][str(i)] for i in range(6)] == list(CATEGORIES)
    assert config["label2id"] == {c: i for i, c in enumerate(CATEGORIES)}
    assert "problem_threshold" in config
    assert (out / "model.safetensors").exists() and not list(out.glob("*.bin"))
    assert (out / "README.md").exists()
    texts = [s for s, _, _ in SENTENCES]
    before = BertPredictor(model, tokenizer).predict(texts)
    after = load_model(out).predict(texts)
    np.testing.assert_allclose(before.category_probs, after.category_probs, atol=1e-6)
    np.testing.assert_allclose(before.problem_probs, after.problem_probs, atol=1e-6)


def test_float16_storage_loads_back_as_float32_with_close_scores(tiny, tmp_path):
    model, tokenizer = tiny
    out = save_model_dir(model, tokenizer, tmp_path / "m16", BertTrainConfig(save_float16=True), None, log=lambda m: None)
    loaded = load_model(out)
    assert next(loaded.model.parameters()).dtype == torch.float32
    texts = [s for s, _, _ in SENTENCES]
    np.testing.assert_allclose(BertPredictor(model, tokenizer).predict(texts).category_probs, loaded.predict(texts).category_probs, atol=2e-3)


def test_batched_equals_one_at_a_time(tiny):
    model, tokenizer = tiny
    predictor = BertPredictor(model.eval(), tokenizer, batch_size=4)
    texts = [s for s, _, _ in SENTENCES] + ["短句。", "一个明显更长一些的句子用来让批内填充长度不同，" * 2]
    batched = predictor.predict(texts)
    for i, t in enumerate(texts):
        one = predictor.predict([t])
        np.testing.assert_allclose(one.category_probs[0], batched.category_probs[i], atol=1e-5)
        assert one.problem_probs[0] == pytest.approx(batched.problem_probs[i], abs=1e-5)


def test_over_long_input_is_truncated_to_the_model_length(tiny):
    model, tokenizer = tiny
    predictor = BertPredictor(model.eval(), tokenizer)
    assert predictor.max_chars == 62
    long = "执法" * 200
    enc = predictor.encode([long])
    assert enc["input_ids"].shape[1] == 64
    assert len(predictor.predict([long])) == 1


def test_length_sorted_batches_cover_every_row_once(tiny):
    _, tokenizer = tiny
    ds = _encode(tokenizer, _rows() * 5, 64)
    batches = _batches(ds, 4, random.Random(1))
    assert sorted(i for b in batches for i in b) == list(range(len(ds)))
    assert all(len(b) <= 4 for b in batches)


def test_masked_only_mlm_loss_equals_the_full_mlm_loss(tiny):
    """Pretraining projects only masked positions onto the vocabulary; the loss must not change."""
    from transformers import BertForMaskedLM

    from fazhi.training.configs import PretrainConfig
    from fazhi.training.pretrain import mask_batch, masked_lm_loss, word_starts

    _, tokenizer = tiny
    torch.manual_seed(0)
    model = BertForMaskedLM(__import__("transformers").BertConfig(
        vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64,
        max_position_embeddings=64, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)).eval()
    texts = [s for s, _, _ in SENTENCES]
    config = PretrainConfig(max_length=64, whole_word=False)
    batch = mask_batch(texts, [word_starts(t, False) for t in texts], tokenizer, config, random.Random(3))
    assert (batch["labels"] != -100).sum() >= len(texts)  # every sentence has masked tokens
    assert masked_lm_loss(model, batch).item() == pytest.approx(model(**batch).loss.item(), rel=1e-5)


def test_predict_calls_respect_batch_size_and_token_budget(tiny):
    model, tokenizer = tiny
    predictor = BertPredictor(model.eval(), tokenizer, batch_size=5, token_budget=120)
    texts = [s for s, _, _ in SENTENCES] * 3 + ["短。", "一个明显更长一些的句子用来让批内填充长度不同。" * 3]
    calls = predictor.batches(texts)
    assert sorted(i for c in calls for i in c) == list(range(len(texts)))
    for c in calls:
        longest = max(min(len(texts[i]), predictor.max_chars) + 2 for i in c)
        assert len(c) <= 5 and (len(c) == 1 or len(c) * longest <= 120)
    whole = BertPredictor(model, tokenizer, batch_size=1000, token_budget=10**9).predict(texts)
    np.testing.assert_allclose(predictor.predict(texts).category_probs, whole.category_probs, atol=1e-5)
