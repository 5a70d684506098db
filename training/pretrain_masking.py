"""Masked-LM batches (whole-word masking) and losses, on training sequences and on each source's held-out slice."""

from __future__ import annotations

import math
import random
from collections import defaultdict

import torch

from fazhi.training.configs import PretrainConfig
from fazhi.training.corpus import Sequence, SourceCorpus

HELDOUT_SEED = 20240613


def mask_batch(seqs: list[Sequence], tokenizer, config: PretrainConfig, rng: random.Random) -> dict[str, torch.Tensor]:
    """Tokenise, then choose whole words until ~mask_prob of tokens; 80% [MASK], 10% random, 10% kept."""
    texts = [s.text for s in seqs]
    enc = tokenizer(
        texts,
        truncation=True,
        max_length=config.max_length,
        padding=True,
        return_tensors="pt",
        return_offsets_mapping=True,
    )
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
        words = [
            sorted({char_to_tok[c] for c in range(bounds[i], bounds[i + 1]) if c in char_to_tok})
            for i in range(len(bounds) - 1)
        ]
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


def heldout_sample(parts: list[SourceCorpus], limit: int) -> dict[str, list[Sequence]]:
    """Up to limit held-out sequences per source, spread evenly over its held-out slice."""
    out = {}
    for p in parts:
        if p.heldout:
            stride = max(1, math.ceil(len(p.heldout) / limit)) if limit > 0 else 1
            out[p.name] = p.heldout[::stride][: limit if limit > 0 else None]
    return out


@torch.no_grad()
def heldout_losses(
    trainer, heldout: dict[str, list[Sequence]], tokenizer, config: PretrainConfig, device: torch.device, electra: bool
) -> dict[str, dict[str, float]]:
    """Loss per source on its held-out sequences, with the same masks every time (a fixed seed).

    MLM: the masked-token loss. ELECTRA: the generator's masked-token loss and
    the discriminator's replaced-token loss and accuracy.
    """
    was_training = trainer.training
    trainer.eval()
    out: dict[str, dict[str, float]] = {}
    autocast = torch.autocast(device.type, dtype=torch.bfloat16, enabled=config.bf16)
    for name, seqs in heldout.items():
        rng = random.Random(HELDOUT_SEED)
        sampler = torch.Generator(device=device).manual_seed(HELDOUT_SEED)
        sums: dict[str, float] = defaultdict(float)
        weight = 0
        for i in range(0, len(seqs), config.batch_size):
            batch = {
                k: v.to(device) for k, v in mask_batch(seqs[i : i + config.batch_size], tokenizer, config, rng).items()
            }
            n = int((batch["labels"] != -100).sum())
            with autocast:
                if electra:
                    _, parts = trainer(batch, sampler=sampler)
                else:
                    parts = {"mlm_loss": masked_lm_loss(trainer, batch).item()}
            for k, v in parts.items():
                sums[k] += v * n
            weight += n
        out[name] = {k: round(v / max(weight, 1), 4) for k, v in sums.items()} | {"sequences": len(seqs)}
    trainer.train(was_training)
    return out


def _format_heldout(losses: dict[str, dict[str, float]]) -> str:
    key = "mlm_loss" if all("mlm_loss" in v for v in losses.values()) else "rtd_loss"
    return ", ".join(f"{name} {v.get(key, float('nan')):.3f}" for name, v in losses.items()) + f" ({key})"
