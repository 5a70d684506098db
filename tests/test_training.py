"""Training and pretraining as users run them (`fazhi train`, `fazhi pretrain`), a few steps on a few rows."""

import json
import random

import numpy as np
import pytest
import torch
from samples import TINY_SENTENCES, tiny_rows
from transformers import BertForMaskedLM

from fazhi.model import load_model
from fazhi.model.bert import FazhiBertModel
from fazhi.training.bert import train_bert
from fazhi.training.configs import BertTrainConfig, PretrainConfig
from fazhi.training.corpus import looks_tagged, pack, tagged_paragraphs
from fazhi.training.pretrain import mask_batch, masked_lm_loss, pretrain

# A few lines in the word/TAG format of the People's Daily corpus, written for this test.
TAGGED = """\
县/n  政府/n  全面/ad  推行/v  行政/n  执法/vn  公示/vn  制度/n  。/w
全年/n  办理/v  行政/n  复议/vn  案件/n  六十四/m  件/q  。/w
[市/n  司法局/n]nt  组织/v  法律/n  顾问/n  参与/v  重大/a  决策/vn  论证/vn  。/w
主动/ad  公开/v  政府/n  信息/n  四千/m  余/m  条/q  ，/w  及时/ad  回应/v  社会/n  关切/vn  。/w
认真/ad  办理/v  人大/n  代表/n  建议/n  和/c  政协/n  委员/n  提案/n  。/w
部分/n  执法/vn  人员/n  业务/n  能力/n  不/d  强/a  。/w
深入/ad  开展/v  普法/vn  宣传/vn  ，/w  群众/n  法治/n  意识/n  明显/ad  增强/v  。/w
规范性/n  文件/n  备案/vn  审查/vn  工作/vn  有待/v  加强/v  。/w
"""


def _quiet(_message: str) -> None:
    pass


def _write_rows(path, rows):
    path.write_text(
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
            for r in rows
        ),
        encoding="utf-8",
    )
    return path


def test_tagged_corpus_gives_words_without_tags_or_brackets(tmp_path):
    corpus = tmp_path / "tagged.txt"
    corpus.write_text(TAGGED, encoding="utf-8")
    assert looks_tagged(corpus)
    paragraphs = list(tagged_paragraphs(corpus))
    assert len(paragraphs) == 8
    assert paragraphs[2][:3] == ["市", "司法局", "组织"]
    assert all("/" not in w and "[" not in w for p in paragraphs for w in p)
    report = tmp_path / "report.txt"
    report.write_text("全年办理行政复议案件64件。\n主动公开政府信息4120条。\n", encoding="utf-8")
    assert not looks_tagged(report)


def test_packed_sequences_never_split_a_word_and_keep_every_character(tmp_path):
    corpus = tmp_path / "tagged.txt"
    corpus.write_text(TAGGED, encoding="utf-8")
    paragraphs = list(tagged_paragraphs(corpus))
    seqs = pack(paragraphs, 20)
    assert "".join(s.text for s in seqs) == "".join(w for p in paragraphs for w in p)
    words = {w for p in paragraphs for w in p}
    for s in seqs:
        assert len(s.text) <= 20
        bounds = list(s.starts) + [len(s.text)]
        assert all(s.text[a:b] in words for a, b in zip(bounds, bounds[1:], strict=False))


def test_masked_only_mlm_loss_equals_the_full_mlm_loss(tiny_bert):
    """Pretraining projects only masked positions onto the vocabulary; the loss must not change."""
    from transformers import BertConfig

    from fazhi.training.corpus import Sequence

    _, tokenizer = tiny_bert
    torch.manual_seed(0)
    model = BertForMaskedLM(
        BertConfig(
            vocab_size=len(tokenizer),
            hidden_size=32,
            num_hidden_layers=1,
            num_attention_heads=2,
            intermediate_size=64,
            max_position_embeddings=64,
            hidden_dropout_prob=0.0,
            attention_probs_dropout_prob=0.0,
        )
    ).eval()
    seqs = [Sequence(s, tuple(range(len(s)))) for s, _, _ in TINY_SENTENCES]
    batch = mask_batch(seqs, tokenizer, PretrainConfig(max_length=64, whole_word=False), random.Random(3))
    assert (batch["labels"] != -100).sum() >= len(seqs)  # every sentence has masked tokens
    assert masked_lm_loss(model, batch).item() == pytest.approx(model(**batch).loss.item(), rel=1e-5)


@pytest.mark.slow
def test_pretraining_on_a_tiny_tagged_corpus_runs_end_to_end_and_its_loss_falls(tmp_path):
    corpus = tmp_path / "tagged.txt"
    corpus.write_text(TAGGED * 3, encoding="utf-8")
    config = PretrainConfig(
        layers=1,
        hidden=32,
        heads=2,
        max_length=32,
        epochs=12,
        batch_size=4,
        lr=5e-3,
        warmup=0.05,
        init_embeddings="random",
        bf16=False,
    )
    out = pretrain(tmp_path / "encoder", config, corpus=[str(corpus)], data=None, log=_quiet, progress=False)
    summary = json.loads((out / "pretrain_config.json").read_text(encoding="utf-8"))
    losses = [h["mlm_loss"] for h in summary["history"]]
    assert summary["finished"] and len(losses) == 12
    assert losses[-1] < 0.7 * losses[0], losses
    assert not (tmp_path / "encoder.checkpoint").exists()  # removed once the run finished

    # Saved and reloaded, the encoder gives identical MLM outputs, and fine-tuning starts from its weights.
    mlm = BertForMaskedLM.from_pretrained(out).eval()
    ids = torch.tensor([[2, 10, 11, 12, 13, 3]])
    with torch.no_grad():
        logits = mlm(input_ids=ids).logits
        mlm.save_pretrained(tmp_path / "again")
        again = BertForMaskedLM.from_pretrained(tmp_path / "again").eval()
        assert torch.equal(again(input_ids=ids).logits, logits)
        tagger = FazhiBertModel.from_pretrained(out).eval()
        np.testing.assert_array_equal(
            tagger.bert(input_ids=ids).last_hidden_state.numpy(), mlm.bert(input_ids=ids).last_hidden_state.numpy()
        )


@pytest.mark.slow
def test_a_stopped_pretraining_run_continues_from_its_checkpoint(tmp_path):
    corpus = tmp_path / "tagged.txt"
    corpus.write_text(TAGGED * 3, encoding="utf-8")
    config = PretrainConfig(
        layers=1,
        hidden=32,
        heads=2,
        max_length=32,
        epochs=3,
        batch_size=4,
        init_embeddings="random",
        bf16=False,
        checkpoint_minutes=0.0,
        minutes=1e-9,
    )
    stopped = pretrain(tmp_path / "enc", config, corpus=[str(corpus)], data=None, log=_quiet, progress=False)
    assert not json.loads((stopped / "pretrain_config.json").read_text(encoding="utf-8"))["finished"]
    assert (tmp_path / "enc.checkpoint" / "checkpoint.pt").is_file()
    messages: list[str] = []
    from dataclasses import replace

    pretrain(
        tmp_path / "enc",
        replace(config, minutes=0.0),
        corpus=[str(corpus)],
        data=None,
        log=messages.append,
        progress=False,
    )
    assert any(m.startswith("continuing from") for m in messages), messages
    assert json.loads((tmp_path / "enc" / "pretrain_config.json").read_text(encoding="utf-8"))["finished"]


@pytest.mark.slow
def test_fine_tuning_from_scratch_overfits_a_few_sentences(tmp_path):
    data = _write_rows(tmp_path / "labels.jsonl", tiny_rows("train") + tiny_rows("dev"))
    config = BertTrainConfig(
        base_model="none",
        layers=1,
        hidden=32,
        heads=2,
        max_length=64,
        epochs=60,
        patience=60,
        batch_size=6,
        lr=1e-2,
        warmup=0.05,
        dropout=0.0,
        context=False,
        save_float16=False,
    )
    out = train_bert(data, tmp_path / "model", config, log=_quiet, progress=False)
    history = json.loads((out / "config.json").read_text(encoding="utf-8"))["fazhi_training"]["history"]
    assert history[-1]["train_loss"] < 0.25 * history[0]["train_loss"]
    scores = load_model(out).predict([s for s, _, _ in TINY_SENTENCES])
    assert scores.categories == [c for _, c, _ in TINY_SENTENCES]
    assert scores.problems == [p for _, _, p in TINY_SENTENCES]


def test_a_written_model_directory_gets_the_permissions_of_a_plain_mkdir(tmp_path):
    """mkdtemp's private 0700 would leave a model unreadable by the service user that loads it."""
    import os

    from fazhi.training.common import atomic_directory

    umask = os.umask(0o022)
    try:
        with atomic_directory(tmp_path / "model") as tmp:
            (tmp / "config.json").write_text("{}", encoding="utf-8")
    finally:
        os.umask(umask)
    assert (tmp_path / "model").stat().st_mode & 0o777 == 0o755


def test_learning_rate_warms_up_linearly_then_decays_to_zero_as_transformers_schedules_it():
    import torch

    from fazhi.training.common import warmup_then_linear_decay

    optim = torch.optim.AdamW(torch.nn.Linear(2, 2).parameters(), lr=1.0)
    sched = warmup_then_linear_decay(optim, total_steps=100, warmup_share=0.1)
    rates = []
    for _ in range(101):
        rates.append(optim.param_groups[0]["lr"])
        optim.step()
        sched.step()
    assert rates[0] == 0.0 and rates[5] == pytest.approx(0.5) and rates[10] == pytest.approx(1.0)
    assert all(a >= b for a, b in zip(rates[10:], rates[11:], strict=False)) and rates[100] == 0.0
