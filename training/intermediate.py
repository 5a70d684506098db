"""An intermediate task on the laws: a statute's subject gives its articles a weak area label.

The articles of 政府信息公开条例 are about disclosure, those of 行政复议法 about
disputes, and so on: the title of a statute names the area that the reports
call by the same words. Training the encoder to tell an article's area from
its text alone (the title is not shown) before fine-tuning on our labels
gives it thousands of examples of each area's vocabulary that our own data
cannot. Statutes whose title names no area are ``other``, sampled down to the
size of the area classes.

The result is saved as an encoder (a BertForMaskedLM directory with its
tokenizer, the MLM head kept from the starting encoder), so that fine-tuning
starts from it exactly as it starts from model/encoder. Like pretraining, the
run is bounded by ``minutes`` and writes a checkpoint it continues from.

    python -m fazhi.training.intermediate --encoder model/encoder --laws laws-db --output build/encoder-laws
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import random
import shutil
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import torch

from fazhi.errors import UsageError
from fazhi.training.intermediate_task import (
    AREA_KEYWORDS,
    Article,
    IntermediateConfig,
    area_of,
    build_task,
    law_articles,
)

# The task lives in intermediate_task; the names its callers import from here stay importable.
__all__ = [
    "AREA_KEYWORDS",
    "Article",
    "IntermediateConfig",
    "area_of",
    "build_task",
    "law_articles",
    "main",
    "train_intermediate",
]


def _macro_f1(gold: list[int], pred: list[int], n: int) -> float:
    scores = []
    for c in range(n):
        tp = sum(g == c and p == c for g, p in zip(gold, pred, strict=True))
        fp = sum(g != c and p == c for g, p in zip(gold, pred, strict=True))
        fn = sum(g == c and p != c for g, p in zip(gold, pred, strict=True))
        if tp + fp + fn:
            scores.append(2 * tp / (2 * tp + fp + fn))
    return sum(scores) / max(len(scores), 1)


def _device(config: IntermediateConfig, encoder: Path) -> torch.device:
    """The device to train on, once the settings and the starting encoder are checked."""
    if config.minutes <= 0:
        raise UsageError(f"expected --minutes above 0 (the learning rate decays to zero then), found {config.minutes}")
    if config.threads > 0:
        torch.set_num_threads(config.threads)
    if config.device == "cuda" and not torch.cuda.is_available():
        raise UsageError("expected a CUDA GPU for --device cuda, found none; use --device cpu")
    device = torch.device(config.device)
    if not (encoder / "config.json").is_file():
        raise FileNotFoundError(
            f"expected an encoder directory (config.json, weights, tokenizer), found none at {encoder}"
        )
    return device


def _class_weights(train: list[Article], labels: list[str], device: torch.device) -> torch.Tensor:
    """Loss weights: the square root of how much rarer each class is than the commonest (0 for one without articles)."""
    freq = Counter(a.label for a in train)
    return torch.tensor(
        [(max(freq.values()) / freq[label]) ** 0.5 if freq[label] else 0.0 for label in labels], device=device
    )


def _optimizer(
    model: Any, config: IntermediateConfig, clock: dict[str, float]
) -> tuple[torch.optim.AdamW, torch.optim.lr_scheduler.LambdaLR]:
    """AdamW, warm-up then linear decay to zero over the minutes, read off clock["share"] (of the minutes gone)."""
    optim = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=0.01)
    warm = max(config.warmup, 1e-6)
    sched = torch.optim.lr_scheduler.LambdaLR(
        optim, lambda _s: min((clock["share"] + 1e-4) / warm, max(0.0, (1 - clock["share"]) / max(1e-6, 1 - warm)))
    )
    return optim, sched


def _epoch_order(seed: int, epoch: int, n: int) -> list[int]:
    """The order of the n training articles in an epoch: fixed by the epoch, so a resumed run sees the same batches."""
    order = list(range(n))
    random.Random(seed * 1000 + epoch).shuffle(order)
    return order


@dataclass
class _Run:
    """One run of the area task: the model with its tokenizer and optimiser, the steps done and the checkpoint."""

    config: IntermediateConfig
    model: Any
    tokenizer: Any
    device: torch.device
    clock: dict[str, float]  # share of the minutes gone, read by the schedule
    optim: torch.optim.AdamW
    sched: torch.optim.lr_scheduler.LambdaLR
    settings: dict  # what a checkpoint must have been written with to be continued from
    ckpt: Path
    log: Callable[[str], None]
    step: int = 0
    started: float = 0.0
    losses: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.autocast = torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.config.bf16)

    def resume(self) -> float:
        """Continue from the checkpoint where it was written with the same settings; the seconds it had run."""
        if not self.ckpt.is_file():
            return 0.0
        state = torch.load(self.ckpt, weights_only=False, map_location=self.device)  # our own, see save_checkpoint
        if state["settings"] != self.settings:
            self.log(f"ignoring {self.ckpt}: it was written with other settings")
            return 0.0
        self.model.load_state_dict(state["model"])
        self.optim.load_state_dict(state["optim"])
        self.sched.load_state_dict(state["sched"])
        self.step, elapsed = state["step"], state["elapsed"]
        self.log(f"continuing from {self.ckpt}: step {self.step}, {elapsed / 60:.1f} minutes done")
        return elapsed

    def save_checkpoint(self) -> None:
        self.ckpt.parent.mkdir(parents=True, exist_ok=True)
        torch.save(
            {
                "settings": self.settings,
                "model": self.model.state_dict(),
                "optim": self.optim.state_dict(),
                "sched": self.sched.state_dict(),
                "step": self.step,
                "elapsed": time.time() - self.started,
            },
            self.ckpt.with_suffix(".tmp"),
        )
        self.ckpt.with_suffix(".tmp").replace(self.ckpt)

    def logits(self, items: list[Article]) -> torch.Tensor:
        from fazhi.model.bert import encode_inputs

        with self.autocast:
            enc = encode_inputs(self.tokenizer, [a.text for a in items], None, self.config.max_length)
            logits, _ = self.model(**{k: v.to(self.device) for k, v in enc.items()})
        return logits

    def train(self, train: list[Article], index: dict[str, int], weights: torch.Tensor) -> None:
        """Steps until the minutes are up, a checkpoint every checkpoint_minutes."""
        from fazhi.training.common import optimizer_step

        config = self.config
        last_save = time.time()
        self.model.train()
        order: list[int] = []
        steps_per_epoch = math.ceil(len(train) / config.batch_size)
        while (time.time() - self.started) / 60 < config.minutes:
            epoch, within = divmod(self.step, steps_per_epoch)
            if within == 0 or not self.losses:
                order = _epoch_order(config.seed, epoch, len(train))
            items = [train[i] for i in order[within * config.batch_size : (within + 1) * config.batch_size]]
            self.clock["share"] = min(1.0, (time.time() - self.started) / (config.minutes * 60))
            logits = self.logits(items)
            target = torch.tensor([index[a.label] for a in items], device=self.device)
            loss = torch.nn.functional.cross_entropy(logits.float(), target, weight=weights)
            self.losses.append(optimizer_step(self.model, loss, self.optim, self.sched))
            self.step += 1
            if time.time() - last_save > config.checkpoint_minutes * 60:
                self.save_checkpoint()
                last_save = time.time()
                recent = self.losses[-50:]
                self.log(
                    f"step {self.step}, {(time.time() - self.started) / 60:.1f} min: loss "
                    f"{sum(recent) / len(recent):.3f}"
                )

    @torch.no_grad()
    def dev_score(self, dev: list[Article], index: dict[str, int]) -> dict[str, float]:
        self.model.eval()
        pred: list[int] = []
        for i in range(0, len(dev), 64):
            pred += self.logits(dev[i : i + 64]).float().argmax(-1).tolist()
        self.model.train()
        gold = [index[a.label] for a in dev]
        present = sorted(set(gold))
        remap = {c: i for i, c in enumerate(present)}
        return {
            "accuracy": round(sum(g == p for g, p in zip(gold, pred, strict=True)) / max(len(gold), 1), 4),
            "macro_f1": round(_macro_f1([remap[g] for g in gold], [remap.get(p, -1) for p in pred], len(present)), 4),
        }


def _save_encoder(encoder: Path, output: Path, model: Any, tokenizer: Any, summary: dict) -> None:
    """The trained encoder saved as an encoder directory: a BertForMaskedLM (the starting encoder's MLM head), its
    tokenizer, the starting encoder's vocab.txt and pretrain_config.json, and summary as intermediate_config.json."""
    from transformers import BertForMaskedLM

    from fazhi.training.common import atomic_directory

    with atomic_directory(output) as tmp:
        mlm = BertForMaskedLM.from_pretrained(encoder, dtype=torch.float32)
        mlm.bert.load_state_dict(model.bert.state_dict())  # neither encoder has a pooler
        copy.deepcopy(mlm).half().save_pretrained(tmp, safe_serialization=True)
        tokenizer.save_pretrained(tmp)
        for name in ("vocab.txt", "pretrain_config.json"):
            if (encoder / name).is_file():
                shutil.copy(encoder / name, tmp / name)
        (tmp / "intermediate_config.json").write_text(
            json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8"
        )


def train_intermediate(
    encoder: Path, output: Path, config: IntermediateConfig | None = None, log: Callable[[str], None] = print
) -> Path:
    """Train the encoder on the laws' area task and save it as an encoder directory."""
    from transformers import BertTokenizer

    from fazhi.labels import CATEGORIES
    from fazhi.model.bert import FazhiBertModel
    from fazhi.training.common import set_seed

    config = config or IntermediateConfig()
    encoder, output = Path(encoder), Path(output).resolve()
    device = _device(config, encoder)
    set_seed(config.seed)
    train, dev, counts = build_task(config, log)
    labels = list(CATEGORIES)
    index = {label: i for i, label in enumerate(labels)}
    tokenizer = BertTokenizer.from_pretrained(encoder)
    model = FazhiBertModel.from_pretrained(encoder, dtype=torch.float32)
    model.float().to(device)
    weights = _class_weights(train, labels, device)
    clock = {"share": 0.0}
    optim, sched = _optimizer(model, config, clock)
    settings = {
        k: v for k, v in asdict(config).items() if k not in ("minutes", "checkpoint_minutes", "threads", "device")
    }
    settings["encoder"] = str(encoder.resolve())
    ckpt = output.with_name(output.name + ".checkpoint") / "checkpoint.pt"
    run = _Run(config, model, tokenizer, device, clock, optim, sched, settings, ckpt, log)
    elapsed = run.resume()
    run.started = time.time() - elapsed
    run.train(train, index, weights)
    minutes = round((time.time() - run.started) / 60, 1)
    score = run.dev_score(dev, index)
    log(
        f"intermediate task after {run.step} steps ({minutes} min): dev accuracy {score['accuracy']:.3f}, macro-F1 "
        f"{score['macro_f1']:.3f}"
    )
    losses = run.losses
    summary = {
        **asdict(config),
        "encoder": str(encoder),
        "classes": counts,
        "steps": run.step,
        "minutes": minutes,
        "dev": score,
        "final_loss": round(sum(losses[-50:]) / max(len(losses[-50:]), 1), 4) if losses else None,
        "area_keywords": {a: list(w) for a, w in AREA_KEYWORDS},
    }
    _save_encoder(encoder, output, model, tokenizer, summary)
    shutil.rmtree(ckpt.parent, ignore_errors=True)
    return output


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m fazhi.training.intermediate",
        description=__doc__.split("\n\n")[0]
        + ". "
        + "Trains an encoder on the area of each statute's articles and saves it as an encoder.",
    )
    parser.add_argument("--encoder", required=True, help="starting encoder directory (e.g. model/encoder)")
    parser.add_argument("--output", "-o", required=True, help="encoder directory to write")
    for f in fields(IntermediateConfig):
        flag = "--" + f.name.replace("_", "-")
        help_text = f.metadata.get("help", "") + f" (default: {f.default})"
        if isinstance(f.default, bool):
            parser.add_argument(
                flag, dest=f.name, action=argparse.BooleanOptionalAction, default=f.default, help=help_text
            )
        elif isinstance(f.default, tuple):
            parser.add_argument(flag, dest=f.name, nargs="+", default=f.default, help=help_text)
        else:
            parser.add_argument(
                flag,
                dest=f.name,
                type=type(f.default),
                default=f.default,
                help=help_text,
                choices=f.metadata.get("choices"),
            )
    args = parser.parse_args(argv)
    given: dict = {
        f.name: tuple(v) if isinstance(v := getattr(args, f.name), list) else v for f in fields(IntermediateConfig)
    }
    config = IntermediateConfig(**given)
    out = train_intermediate(Path(args.encoder), Path(args.output), config, log=lambda m: print(m, file=sys.stderr))
    print(f"saved the encoder to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
