"""Pieces every trainer shares: seeds, the shape of a compact BERT built from scratch, atomic model directories,
the test results and model card written into them, the schedule and the optimiser step."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fazhi.evaluation.evaluate import write_evaluation
from fazhi.model.card import write_model_card
from fazhi.training.configs import BertTrainConfig, PretrainConfig


def set_seed(seed: int) -> None:
    """Seed Python, NumPy and torch, so that a rerun gives the same model."""
    import random

    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


@contextmanager
def atomic_directory(output: Path) -> Iterator[Path]:
    """A temporary folder beside output that replaces output only if the block succeeds.

    An interrupted or failed run leaves the previous model directory intact
    and no half-written one behind.
    """
    output = output.resolve()
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{output.name}.", dir=output.parent))
    # mkdtemp makes the folder private (0700); a model directory is read by other
    # users and services, so give it the permissions a plain mkdir would have.
    umask = os.umask(0)
    os.umask(umask)
    tmp.chmod(0o777 & ~umask)
    try:
        yield tmp
        if output.exists():
            shutil.rmtree(output)
        tmp.rename(output)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def compact_bert_config(config: BertTrainConfig | PretrainConfig, vocab_size: int, **options: Any):
    """The BertConfig of a compact BERT built from scratch in config's shape (layers x hidden, heads, max_length
    positions, a feed-forward layer 4 x hidden wide); options: further BertConfig fields (dropout)."""
    from transformers import BertConfig

    return BertConfig(
        vocab_size=vocab_size,
        hidden_size=config.hidden,
        num_hidden_layers=config.layers,
        num_attention_heads=config.heads,
        intermediate_size=4 * config.hidden,
        max_position_embeddings=config.max_length,
        **options,
    )


def write_test_results(directory: Path, result, name: str, log: Callable[[str], None]) -> None:
    """A new model directory's test results and card: the test split's evaluation written into it (result, from
    evaluate_rows; None when there is no test split), one log line per part, then the model card."""
    if result is not None:
        write_evaluation(directory, result.metrics, None, name=name)
        for part, m in result.metrics.items():
            log(f"test {part}: category macro-F1 {m['macro_f1']:.3f}, problem F1 {m['problem']['f1']:.3f} (n={m['n']})")
    write_model_card(directory)


def warmup_then_linear_decay(optim, total_steps: int, warmup_share: float):
    """Learning-rate schedule: linear warm-up over warmup_share of the steps, then linear decay to 0 (transformers')."""
    from transformers import get_linear_schedule_with_warmup

    return get_linear_schedule_with_warmup(optim, max(1, int(warmup_share * total_steps)), total_steps)


def optimizer_step(model, loss, optim, sched, max_grad_norm: float = 1.0) -> float:
    """Backward, clip, step, schedule, zero: one training step; returns the loss value."""
    import torch

    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
    optim.step()
    sched.step()
    optim.zero_grad()
    return loss.item()
