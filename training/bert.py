"""Fine-tune the BERT tagger: joint category + problem training, early stopping on dev."""

from __future__ import annotations

import copy
import json
import math
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from fazhi.errors import UsageError
from fazhi.evaluation.evaluate import evaluate_rows
from fazhi.evaluation.metrics import best_threshold, compute_metrics
from fazhi.labels import CATEGORIES, Row, load_splits, read_documents
from fazhi.model.bert import BertPredictor, FazhiBertModel, encode_inputs, fazhi_config, normalize
from fazhi.model.config import CONTEXT, INT8, MAX_LENGTH, NAME, TRAINING
from fazhi.pipeline.context import row_contexts
from fazhi.training.augment import noisy
from fazhi.training.common import (
    atomic_directory,
    compact_bert_config,
    optimizer_step,
    set_seed,
    warmup_then_linear_decay,
    write_test_results,
)
from fazhi.training.configs import BertTrainConfig


def _class_weights(rows: list[Row], how: str) -> torch.Tensor:
    counts = np.array([sum(r.category == c for r in rows) for c in CATEGORIES], dtype=np.float64)
    counts = np.maximum(counts, 1.0)
    if how == "none":
        w = np.ones(len(CATEGORIES))
    elif how == "inverse":
        w = counts.sum() / counts
    elif how == "sqrt":
        w = np.sqrt(counts.sum() / counts)
    else:
        raise UsageError(f"expected class_weighting none, sqrt or inverse, found {how!r}")
    return torch.tensor(w / w.mean(), dtype=torch.float32)


def resolve_base_model(base_model: str | None) -> str | None:
    """'shipped' is the pretrained encoder in model/encoder; 'none' (or nothing) trains from scratch."""
    if not base_model or base_model.lower() == "none":
        return None
    if base_model == "shipped":
        from fazhi.paths import DEFAULT_ENCODER_DIR

        if not (DEFAULT_ENCODER_DIR / "config.json").is_file():
            raise FileNotFoundError(
                f"expected the shipped pretrained encoder in {DEFAULT_ENCODER_DIR} (make pretrained), found none; "
                "pass --base-model none to train from scratch"
            )
        return str(DEFAULT_ENCODER_DIR)
    return base_model


def load_base(config: BertTrainConfig, train_texts: list[str], log: Callable[[str], None]):
    """Tokenizer and model: from a checkpoint (the shipped encoder, a local directory or a hub name) or a
    fresh compact BERT (base_model 'none')."""
    from transformers import BertConfig, BertTokenizer

    base = resolve_base_model(config.base_model)
    if base:
        tokenizer = BertTokenizer.from_pretrained(base)
        bert_config = fazhi_config(
            BertConfig.from_pretrained(base),
            hidden_dropout_prob=config.dropout,
            attention_probs_dropout_prob=config.dropout,
        )
        model = FazhiBertModel.from_pretrained(base, config=bert_config)
        model.float()  # an encoder may be stored in float16 (the shipped one is); training runs in float32
        log(f"starting from {base} ({sum(p.numel() for p in model.parameters()) / 1e6:.1f}M parameters)")
        return tokenizer, model
    from fazhi.training.vocab import build_vocab, jieba_characters, make_tokenizer

    tmp = Path(tempfile.mkdtemp(prefix="fazhi-vocab-"))
    tokenizer = make_tokenizer(build_vocab(train_texts, jieba_characters()), tmp)
    shutil.rmtree(tmp, ignore_errors=True)
    dropout = {"hidden_dropout_prob": config.dropout, "attention_probs_dropout_prob": config.dropout}
    bert_config = fazhi_config(compact_bert_config(config, len(tokenizer), **dropout))
    model = FazhiBertModel(bert_config)
    log(
        f"compact BERT from scratch: {config.layers} layers x {config.hidden} hidden, vocab {len(tokenizer)} "
        f"({sum(p.numel() for p in model.parameters()) / 1e6:.1f}M parameters)"
    )
    return tokenizer, model


@dataclass
class Example:
    """A training unit as the model sees it."""

    text: str
    context: str
    category: int
    problem: float
    weight: float


def examples(rows: list[Row], config: BertTrainConfig) -> list[Example]:
    contexts = row_contexts(rows) if config.context else [""] * len(rows)
    return [
        Example(
            normalize(r.text),
            normalize(c),
            CATEGORIES.index(r.category),
            float(r.problem),
            config.seed_weight if r.source == "seed" else 1.0,
        )
        for r, c in zip(rows, contexts, strict=True)
    ]


def _batches(items: list[Example], batch_size: int, rng: random.Random) -> list[list[int]]:
    """Shuffled batches of similar length: shuffle, cut into chunks of 50 batches, sort each chunk by length."""
    idx = list(range(len(items)))
    rng.shuffle(idx)
    lengths = [len(x.text) + len(x.context) for x in items]
    chunk = batch_size * 50
    batches = []
    for s in range(0, len(idx), chunk):
        part = sorted(idx[s : s + chunk], key=lambda i: lengths[i])
        batches += [part[b : b + batch_size] for b in range(0, len(part), batch_size)]
    rng.shuffle(batches)
    return batches


def _collate(
    tokenizer, items: list[Example], idx: list[int], config: BertTrainConfig, max_length: int, rng: random.Random
) -> dict[str, torch.Tensor]:
    """One training batch: context dropped for some units, noise for some, encoded as prediction encodes."""
    texts, contexts = [], []
    for i in idx:
        x = items[i]
        texts.append(noisy(x.text, rng) if config.augment and rng.random() < config.augment else x.text)
        contexts.append("" if rng.random() < config.context_dropout else x.context)
    batch = dict(encode_inputs(tokenizer, texts, contexts if config.context else None, max_length))
    batch["category"] = torch.tensor([items[i].category for i in idx])
    batch["problem"] = torch.tensor([items[i].problem for i in idx], dtype=torch.float32)
    batch["weight"] = torch.tensor([items[i].weight for i in idx], dtype=torch.float32)
    return batch


def dev_scores(predictor: BertPredictor, dev: list[Row], contexts: list[str] | None) -> tuple[float, float, float]:
    """Dev category macro-F1, best problem F1 and the threshold that gives it."""
    scores = predictor.predict([r.text for r in dev], contexts)
    macro = compute_metrics([r.category for r in dev], scores.categories, [False] * len(dev), [False] * len(dev))[
        "macro_f1"
    ]
    t, f1 = best_threshold([r.problem for r in dev], scores.problem_probs)
    return macro, f1, t


def train_bert(
    data: Path,
    output: Path,
    config: BertTrainConfig | None = None,
    log: Callable[[str], None] = print,
    progress: bool | None = None,
) -> Path:
    """Fine-tune, choose epoch (dev macro-F1) and threshold (dev problem F1), evaluate on test, save atomically."""
    from tqdm import tqdm

    config = config or BertTrainConfig()
    set_seed(config.seed)
    splits = load_splits(data)
    train, dev, test = splits["train"], splits["dev"], splits["test"]
    log(f"rows: train {len(train)}, dev {len(dev)}, test {len(test)}")
    tokenizer, model = load_base(config, [r.text for r in train], log)
    max_length = min(config.max_length, model.config.max_position_embeddings)
    setattr(model.config, MAX_LENGTH, max_length)
    setattr(model.config, CONTEXT, config.context)
    items = examples(train, config)
    dev_contexts = row_contexts(dev) if config.context else None

    weights = _class_weights(train, config.class_weighting)
    n_pos = sum(r.problem for r in train)
    pos_weight = torch.tensor(math.sqrt((len(train) - n_pos) / max(n_pos, 1)))
    cat_loss = nn.CrossEntropyLoss(weight=weights, label_smoothing=config.label_smoothing, reduction="none")
    prob_loss = nn.BCEWithLogitsLoss(pos_weight=pos_weight, reduction="none")

    steps_per_epoch = math.ceil(len(train) / config.batch_size)
    total = steps_per_epoch * config.epochs
    no_decay = ("bias", "LayerNorm.weight")
    params = [
        {
            "params": [p for n, p in model.named_parameters() if not any(k in n for k in no_decay)],
            "weight_decay": config.weight_decay,
        },
        {"params": [p for n, p in model.named_parameters() if any(k in n for k in no_decay)], "weight_decay": 0.0},
    ]
    optim = torch.optim.AdamW(params, lr=config.lr)
    sched = warmup_then_linear_decay(optim, total, config.warmup)
    embeddings = model.bert.embeddings.word_embeddings.weight

    rng = random.Random(config.seed)
    predictor = BertPredictor(model, tokenizer, name=config.name)
    best: dict = {"macro_f1": -1.0}
    best_state = None
    stale = 0
    started = time.time()
    history = []
    show = sys.stderr.isatty() if progress is None else progress
    for epoch in range(1, config.epochs + 1):
        model.train()
        embeddings.requires_grad_(epoch > config.freeze_embeddings_epochs)
        bar = tqdm(
            _batches(items, config.batch_size, rng),
            desc=f"epoch {epoch}/{config.epochs}",
            disable=not show,
            leave=False,
        )
        running = 0.0
        for step, idx in enumerate(bar, start=1):
            batch = _collate(tokenizer, items, idx, config, max_length, rng)
            cat_logits, prob_logits = model(
                batch["input_ids"], attention_mask=batch["attention_mask"], token_type_ids=batch.get("token_type_ids")
            )
            w = batch["weight"]
            per_unit = cat_loss(cat_logits, batch["category"]) + config.problem_weight * prob_loss(
                prob_logits, batch["problem"]
            )
            loss = (per_unit * w).sum() / w.sum()
            running += optimizer_step(model, loss, optim, sched)
            bar.set_postfix(loss=f"{running / step:.3f}")
        model.eval()
        macro, pf1, t = dev_scores(predictor, dev, dev_contexts)
        history.append(
            {
                "epoch": epoch,
                "train_loss": running / max(1, steps_per_epoch),
                "dev_macro_f1": macro,
                "dev_problem_f1": pf1,
            }
        )
        log(
            f"epoch {epoch}: train loss {running / max(1, steps_per_epoch):.3f}, dev macro-F1 {macro:.3f}, dev "
            f"problem F1 {pf1:.3f}"
        )
        if macro > best["macro_f1"]:
            best = {"epoch": epoch, "macro_f1": macro, "problem_f1": pf1, "threshold": t}
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            stale = 0
        else:
            stale += 1
            if stale >= config.patience:
                log(f"early stop: no better dev macro-F1 for {config.patience} epochs")
                break
        if config.max_minutes and (time.time() - started) / 60 > config.max_minutes:
            log(f"time budget of {config.max_minutes} minutes reached")
            break

    assert best_state is not None  # at least one epoch ran
    model.load_state_dict(best_state)
    model.eval()
    # The threshold is chosen again on the restored best weights.
    _, pf1, t = dev_scores(predictor, dev, dev_contexts)
    model.config.problem_threshold = t
    setattr(model.config, NAME, config.name)
    setattr(
        model.config,
        TRAINING,
        {
            "config": asdict(config),
            "best_epoch": best["epoch"],
            "dev_macro_f1": best["macro_f1"],
            "dev_problem_f1": pf1,
            "train_rows": len(train),
            "dev_rows": len(dev),
            "test_rows": len(test),
            "minutes": round((time.time() - started) / 60, 2),
            "history": history,
        },
    )
    predictor.threshold = t
    setattr(model.config, INT8, config.int8_inference)
    log(
        f"best epoch {best['epoch']}: dev macro-F1 {best['macro_f1']:.3f}; problem threshold {t:.2f} (dev F1 {pf1:.3f})"
    )
    # Test figures are those of the model as it will be loaded for prediction.
    if config.int8_inference:
        from fazhi.model.bert import quantized

        predictor = BertPredictor(quantized(copy.deepcopy(model)), tokenizer, name=config.name)
        predictor.threshold = t
    result = evaluate_rows(predictor, test, f"{config.name} on test", genres=read_documents(data)) if test else None
    return save_model_dir(model, tokenizer, output, config, result, log)


def save_model_dir(model, tokenizer, output: Path, config: BertTrainConfig, result, log) -> Path:
    """Write the model directory atomically: temp dir, then rename over the old one."""
    with atomic_directory(output) as tmp:
        to_save = model
        if config.save_float16:
            to_save = copy.deepcopy(model).half()
        to_save.save_pretrained(tmp, safe_serialization=True)
        tokenizer.save_pretrained(tmp)
        (tmp / "training_config.json").write_text(json.dumps(asdict(config), indent=2), encoding="utf-8")
        write_test_results(tmp, result, config.name, log)
    return output.resolve()
