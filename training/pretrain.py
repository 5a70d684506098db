"""Masked-language-model pretraining of the compact Chinese BERT on the project's report text.

The corpus is every labelled unit outside the test split, kept in document
order and packed into sequences of up to max_length tokens, so the encoder
sees report prose before it sees labels. Test documents are left out so the
ablation's test figures stay clean.

Whole-word masking (optional, on by default) masks all characters of a word
that jieba finds, instead of single characters: with one token per character,
masking a lone character of 执法 is too easy to guess from its neighbour.
"""

from __future__ import annotations

import json
import math
import random
import sys
import time
from collections import defaultdict
from dataclasses import asdict
from pathlib import Path
from typing import Callable

import torch

from fazhi.labels import Row
from fazhi.model.bert import normalize
from fazhi.training.bert import set_seed
from fazhi.training.common import atomic_directory, optimizer_step, warmup_then_linear_decay
from fazhi.training.configs import PretrainConfig
from fazhi.training.data import load_training_rows


def corpus_sequences(rows: list[Row], max_chars: int) -> list[str]:
    """Units of each document, in order, packed into strings of at most max_chars characters."""
    docs: dict[str, list[Row]] = defaultdict(list)
    for r in rows:
        docs[r.doc].append(r)
    seqs: list[str] = []
    for doc in sorted(docs):
        current = ""
        for r in docs[doc]:
            t = normalize(r.text)[:max_chars]
            if current and len(current) + len(t) > max_chars:
                seqs.append(current)
                current = ""
            current += t
        if current:
            seqs.append(current)
    return seqs


def word_starts(text: str, whole_word: bool) -> list[int]:
    """Character offsets where a maskable word starts (every character without whole-word masking)."""
    if not whole_word:
        return list(range(len(text)))
    import jieba

    starts, pos = [], 0
    for w in jieba.lcut(text, HMM=False):
        starts.append(pos)
        pos += len(w)
    return starts


def mask_batch(texts: list[str], starts: list[list[int]], tokenizer, config: PretrainConfig, rng: random.Random) -> dict[str, torch.Tensor]:
    """Tokenise, then choose whole words until ~mask_prob of tokens; 80% [MASK], 10% random, 10% kept."""
    enc = tokenizer(texts, truncation=True, max_length=config.max_length, padding=True, return_tensors="pt", return_offsets_mapping=True)
    ids = enc["input_ids"]
    labels = torch.full_like(ids, -100)
    vocab = len(tokenizer)
    for b, text in enumerate(texts):
        # token index for each character offset (one token per CJK character; ASCII words may span several)
        char_to_tok = {}
        for t, (s, e) in enumerate(enc["offset_mapping"][b].tolist()):
            if e > s:
                for c in range(s, e):
                    char_to_tok[c] = t
        bounds = starts[b] + [len(text)]
        words = [sorted({char_to_tok[c] for c in range(bounds[i], bounds[i + 1]) if c in char_to_tok}) for i in range(len(bounds) - 1)]
        words = [w for w in words if w]
        n_tokens = sum(len(w) for w in words)
        budget = max(1, round(n_tokens * config.mask_prob))
        rng.shuffle(words)
        chosen = 0
        for w in words:
            if chosen >= budget:
                break
            for t in w:
                labels[b, t] = ids[b, t]
                roll = rng.random()
                if roll < 0.8:
                    ids[b, t] = tokenizer.mask_token_id
                elif roll < 0.9:
                    ids[b, t] = rng.randrange(5, vocab)
            chosen += len(w)
    return {"input_ids": ids, "attention_mask": enc["attention_mask"], "labels": labels}


def masked_lm_loss(model, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """MLM loss computed only at the masked positions.

    The output projection onto the ~12k-character vocabulary is most of the
    cost of a small BERT's MLM step; projecting only the ~15% masked positions
    instead of every position makes pretraining several times faster.
    """
    hidden = model.bert(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).last_hidden_state
    chosen = batch["labels"] != -100
    logits = model.cls(hidden[chosen])
    return torch.nn.functional.cross_entropy(logits, batch["labels"][chosen])


def pretrain(data: Path, output: Path, config: PretrainConfig | None = None, log: Callable[[str], None] = print, progress: bool | None = None) -> Path:
    """Build the tokenizer, pretrain BertForMaskedLM, save it (save_pretrained + tokenizer) atomically."""
    from tqdm import tqdm
    from transformers import BertConfig, BertForMaskedLM

    from fazhi.training.vocab import build_vocab, jieba_characters, make_tokenizer

    config = config or PretrainConfig()
    set_seed(config.seed)
    splits = load_training_rows(data)
    rows = splits["train"] + splits["dev"]
    seqs = corpus_sequences(rows, config.max_length - 2)
    log(f"corpus: {len(rows)} units from {len({r.doc for r in rows})} documents (test split left out) -> {len(seqs)} sequences, {sum(map(len, seqs))} characters")

    with atomic_directory(output) as tmp:
        tokenizer = make_tokenizer(build_vocab([r.text for r in rows], jieba_characters()), tmp)
        bert_config = BertConfig(
            vocab_size=len(tokenizer), hidden_size=config.hidden, num_hidden_layers=config.layers,
            num_attention_heads=config.heads, intermediate_size=4 * config.hidden, max_position_embeddings=config.max_length,
        )
        model = BertForMaskedLM(bert_config)
        log(f"BERT {config.layers}x{config.hidden}, vocab {len(tokenizer)}: {sum(p.numel() for p in model.parameters()) / 1e6:.1f}M parameters")
        starts = [word_starts(s, config.whole_word) for s in seqs]
        steps_per_epoch = math.ceil(len(seqs) / config.batch_size)
        total = steps_per_epoch * config.epochs
        optim = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=0.01)
        sched = warmup_then_linear_decay(optim, total, config.warmup)
        rng = random.Random(config.seed)
        show = sys.stderr.isatty() if progress is None else progress
        started = time.time()
        history = []
        model.train()
        for epoch in range(1, config.epochs + 1):
            order = list(range(len(seqs)))
            rng.shuffle(order)
            bar = tqdm(range(0, len(order), config.batch_size), desc=f"pretrain {epoch}/{config.epochs}", disable=not show, leave=False)
            running = 0.0
            for step, s in enumerate(bar, start=1):
                idx = order[s : s + config.batch_size]
                batch = mask_batch([seqs[i] for i in idx], [starts[i] for i in idx], tokenizer, config, rng)
                running += optimizer_step(model, masked_lm_loss(model, batch), optim, sched)
                bar.set_postfix(loss=f"{running / step:.3f}")
            history.append({"epoch": epoch, "mlm_loss": running / steps_per_epoch})
            log(f"epoch {epoch}: MLM loss {running / steps_per_epoch:.3f} ({(time.time() - started) / 60:.1f} min)")
            if config.max_minutes and (time.time() - started) / 60 > config.max_minutes:
                log(f"time budget of {config.max_minutes} minutes reached")
                break
        model.save_pretrained(tmp, safe_serialization=True)
        (tmp / "pretrain_config.json").write_text(json.dumps({**asdict(config), "history": history, "sequences": len(seqs)}, indent=2), encoding="utf-8")
    return output.resolve()
