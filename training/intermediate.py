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
import hashlib
import json
import math
import random
import re
import shutil
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import torch

from fazhi.errors import UsageError
from fazhi.model.config import DEFAULT_MAX_LENGTH

# Title keywords of each area, tried in this order; a statute that matches none is `other`.
AREA_KEYWORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("disclosure", ("政府信息公开", "政务公开", "信息公开", "信息公示")),
    ("dispute", ("行政复议", "行政诉讼", "信访", "调解", "仲裁", "国家赔偿", "行政裁决", "行政应诉")),
    ("enforcement", ("行政处罚", "行政强制", "行政执法", "治安管理处罚", "综合执法", "执法监督")),
    (
        "decision",
        (
            "重大行政决策",
            "立法法",
            "立法条例",
            "规章制定",
            "行政法规制定",
            "制定地方性法规",
            "规范性文件",
            "备案审查",
            "法规规章备案",
            "立法听证",
        ),
    ),
    ("supervision", ("审计", "监察法", "监察官法", "监督法", "政务处分", "处分条例", "问责")),
)
_ARTICLE = re.compile(r"^第[一二三四五六七八九十百千零〇两\d]+条\s*")
_HEADING = re.compile(r"^第[一二三四五六七八九十百千零〇\d]+[编章节]")


def area_of(title: str) -> str:
    """The weak label of a statute from its title: the first area whose keyword it contains, else `other`."""
    return next((area for area, words in AREA_KEYWORDS if any(w in title for w in words)), "other")


@dataclass
class IntermediateConfig:
    """Settings of the laws' area task; saved into the output directory as intermediate_config.json."""

    laws: tuple[str, ...] = field(
        default=("laws-db",), metadata={"help": "law sources: laws-db, laws-db:PATH, lawref:FOLDER"}
    )
    max_length: int = field(
        default=DEFAULT_MAX_LENGTH,
        metadata={"help": "tokens per article including [CLS] and [SEP]; longer ones are cut"},
    )
    per_class: int = field(
        default=1500, metadata={"help": "at most this many articles of each class (other included), sampled"}
    )
    dev_share: float = field(
        default=0.1, metadata={"help": "share of statutes (by a hash of the title) kept for the dev score"}
    )
    batch_size: int = field(default=32, metadata={"help": "articles per step"})
    lr: float = field(
        default=1e-4, metadata={"help": "peak learning rate (AdamW; warm-up then linear decay over the minutes)"}
    )
    warmup: float = field(default=0.06, metadata={"help": "share of the minutes spent warming up"})
    minutes: float = field(default=12.0, metadata={"help": "training time; the rate decays to zero at its end"})
    checkpoint_minutes: float = field(
        default=3.0, metadata={"help": "write a checkpoint this often; a rerun with the same settings continues"}
    )
    bf16: bool = field(default=True, metadata={"help": "bfloat16 autocast for the forward pass"})
    seed: int = field(default=13, metadata={"help": "random seed"})
    threads: int = field(default=0, metadata={"help": "torch threads (0: torch's default)"})
    device: str = field(default="cpu", metadata={"help": "cpu or cuda", "choices": ["cpu", "cuda"]})


@dataclass(frozen=True)
class Article:
    text: str
    label: str
    statute: str


def law_articles(source: str) -> Iterator[Article]:
    """Articles of each statute of a law source with their statute's weak label.

    laws-db rows are articles already; LawRefBook paragraphs are grouped into
    articles at each 第…条, their items (（一）…) following them.
    """
    from fazhi.training.corpus import LAWS_DB, law_group, law_texts, laws_db_articles, laws_db_path

    kind, _, arg = source.partition(":")
    if kind == LAWS_DB:
        for title, text in laws_db_articles(Path(arg) if arg else laws_db_path()):
            yield Article(text, area_of(title), law_group(title))
        return
    for law in law_texts(source):
        label, group = area_of(law.title), law_group(law.title or law.key)
        current: list[str] = []
        for p in law.paragraphs + ["第一条"]:  # a sentinel flushes the last article
            if _ARTICLE.match(p):
                if current:
                    yield Article("".join(current), label, group)
                current = [_ARTICLE.sub("", p)]
            elif current and not _HEADING.match(p):
                current.append(p)


def _dev_statutes(items: list[Article], share: float) -> set[str]:
    """Whole statutes of one class for dev, in the order of a hash of their titles, until they hold share of its
    articles; a class of one statute keeps it for training."""
    sizes = Counter(a.statute for a in items)
    if share <= 0 or len(sizes) < 2:
        return set()
    order = sorted(sizes, key=lambda t: hashlib.sha1(f"intermediate\0{t}".encode()).digest())
    held: set[str] = set()
    count = 0
    for statute in order[:-1]:
        if count >= share * len(items):
            break
        held.add(statute)
        count += sizes[statute]
    return held


def build_task(
    config: IntermediateConfig, log: Callable[[str], None] = print
) -> tuple[list[Article], list[Article], dict]:
    """Training and dev articles (deduplicated by text, dev by statute), each class capped at per_class."""
    seen: set[str] = set()
    by_class: dict[str, list[Article]] = {}
    for source in config.laws:
        for a in law_articles(source):
            key = re.sub(r"\s+", "", a.text)
            if len(key) < 8 or key in seen:
                continue
            seen.add(key)
            by_class.setdefault(a.label, []).append(a)
    if len([c for c in by_class if c != "other"]) < 2:
        raise UsageError(
            f"expected articles of at least two areas in {', '.join(config.laws)}, found {sorted(by_class)}"
        )
    rng = random.Random(config.seed)
    train: list[Article] = []
    dev: list[Article] = []
    counts: dict[str, dict[str, int]] = {}
    for label, items in sorted(by_class.items()):
        rng.shuffle(items)
        items = items[: config.per_class]
        held = _dev_statutes(items, config.dev_share)
        tr = [a for a in items if a.statute not in held]
        dv = [a for a in items if a.statute in held]
        train += tr
        dev += dv
        counts[label] = {"available": len(by_class[label]), "train": len(tr), "dev": len(dv)}
        log(f"intermediate {label}: {len(by_class[label])} articles, {len(tr)} for training, {len(dv)} for dev")
    rng.shuffle(train)
    return train, dev, counts


def _macro_f1(gold: list[int], pred: list[int], n: int) -> float:
    scores = []
    for c in range(n):
        tp = sum(g == c and p == c for g, p in zip(gold, pred, strict=True))
        fp = sum(g != c and p == c for g, p in zip(gold, pred, strict=True))
        fn = sum(g == c and p != c for g, p in zip(gold, pred, strict=True))
        if tp + fp + fn:
            scores.append(2 * tp / (2 * tp + fp + fn))
    return sum(scores) / max(len(scores), 1)


def train_intermediate(
    encoder: Path, output: Path, config: IntermediateConfig | None = None, log: Callable[[str], None] = print
) -> Path:
    """Train the encoder on the laws' area task and save it as an encoder directory."""
    from transformers import BertForMaskedLM, BertTokenizer

    from fazhi.labels import CATEGORIES
    from fazhi.model.bert import FazhiBertModel, encode_inputs
    from fazhi.training.common import atomic_directory, optimizer_step, set_seed

    config = config or IntermediateConfig()
    if config.minutes <= 0:
        raise UsageError(f"expected --minutes above 0 (the learning rate decays to zero then), found {config.minutes}")
    if config.threads > 0:
        torch.set_num_threads(config.threads)
    if config.device == "cuda" and not torch.cuda.is_available():
        raise UsageError("expected a CUDA GPU for --device cuda, found none; use --device cpu")
    device = torch.device(config.device)
    encoder, output = Path(encoder), Path(output).resolve()
    if not (encoder / "config.json").is_file():
        raise FileNotFoundError(
            f"expected an encoder directory (config.json, weights, tokenizer), found none at {encoder}"
        )
    set_seed(config.seed)
    train, dev, counts = build_task(config, log)
    labels = list(CATEGORIES)
    index = {label: i for i, label in enumerate(labels)}
    tokenizer = BertTokenizer.from_pretrained(encoder)
    model = FazhiBertModel.from_pretrained(encoder, dtype=torch.float32)
    model.float().to(device)
    freq = Counter(a.label for a in train)
    weights = torch.tensor(
        [(max(freq.values()) / freq[label]) ** 0.5 if freq[label] else 0.0 for label in labels], device=device
    )
    optim = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=0.01)
    clock = {"share": 0.0}
    warm = max(config.warmup, 1e-6)
    sched = torch.optim.lr_scheduler.LambdaLR(
        optim, lambda _s: min((clock["share"] + 1e-4) / warm, max(0.0, (1 - clock["share"]) / max(1e-6, 1 - warm)))
    )
    settings = {
        k: v for k, v in asdict(config).items() if k not in ("minutes", "checkpoint_minutes", "threads", "device")
    }
    settings["encoder"] = str(encoder.resolve())
    ckpt = output.with_name(output.name + ".checkpoint") / "checkpoint.pt"
    step, elapsed = 0, 0.0
    if ckpt.is_file():
        state = torch.load(ckpt, weights_only=False, map_location=device)  # our own checkpoint, written below
        if state["settings"] == settings:
            model.load_state_dict(state["model"])
            optim.load_state_dict(state["optim"])
            sched.load_state_dict(state["sched"])
            step, elapsed = state["step"], state["elapsed"]
            log(f"continuing from {ckpt}: step {step}, {elapsed / 60:.1f} minutes done")
        else:
            log(f"ignoring {ckpt}: it was written with other settings")
    autocast = torch.autocast(device.type, dtype=torch.bfloat16, enabled=config.bf16)

    def batch_of(items: list[Article]) -> dict[str, torch.Tensor]:
        enc = encode_inputs(tokenizer, [a.text for a in items], None, config.max_length)
        return {k: v.to(device) for k, v in enc.items()}

    @torch.no_grad()
    def dev_score() -> dict[str, float]:
        model.eval()
        pred: list[int] = []
        for i in range(0, len(dev), 64):
            with autocast:
                logits, _ = model(**batch_of(dev[i : i + 64]))
            pred += logits.float().argmax(-1).tolist()
        model.train()
        gold = [index[a.label] for a in dev]
        present = sorted(set(gold))
        remap = {c: i for i, c in enumerate(present)}
        return {
            "accuracy": round(sum(g == p for g, p in zip(gold, pred, strict=True)) / max(len(gold), 1), 4),
            "macro_f1": round(_macro_f1([remap[g] for g in gold], [remap.get(p, -1) for p in pred], len(present)), 4),
        }

    started = time.time() - elapsed
    last_save = time.time()
    model.train()
    losses: list[float] = []
    order_rng = random.Random(config.seed)
    order = list(range(len(train)))
    steps_per_epoch = math.ceil(len(train) / config.batch_size)
    while (time.time() - started) / 60 < config.minutes:
        epoch, within = divmod(step, steps_per_epoch)
        if within == 0 or not losses:
            order_rng = random.Random(
                config.seed * 1000 + epoch
            )  # each epoch's order is fixed, so a resumed run sees the same batches
            order = list(range(len(train)))
            order_rng.shuffle(order)
        items = [train[i] for i in order[within * config.batch_size : (within + 1) * config.batch_size]]
        clock["share"] = min(1.0, (time.time() - started) / (config.minutes * 60))
        with autocast:
            logits, _ = model(**batch_of(items))
        target = torch.tensor([index[a.label] for a in items], device=device)
        loss = torch.nn.functional.cross_entropy(logits.float(), target, weight=weights)
        losses.append(optimizer_step(model, loss, optim, sched))
        step += 1
        if time.time() - last_save > config.checkpoint_minutes * 60:
            ckpt.parent.mkdir(parents=True, exist_ok=True)
            torch.save(
                {
                    "settings": settings,
                    "model": model.state_dict(),
                    "optim": optim.state_dict(),
                    "sched": sched.state_dict(),
                    "step": step,
                    "elapsed": time.time() - started,
                },
                ckpt.with_suffix(".tmp"),
            )
            ckpt.with_suffix(".tmp").replace(ckpt)
            last_save = time.time()
            log(
                f"step {step}, {(time.time() - started) / 60:.1f} min: loss {sum(losses[-50:]) / len(losses[-50:]):.3f}"
            )
    minutes = round((time.time() - started) / 60, 1)
    score = dev_score()
    log(
        f"intermediate task after {step} steps ({minutes} min): dev accuracy {score['accuracy']:.3f}, macro-F1 "
        f"{score['macro_f1']:.3f}"
    )
    with atomic_directory(output) as tmp:
        mlm = BertForMaskedLM.from_pretrained(encoder, dtype=torch.float32)
        mlm.bert.load_state_dict(model.bert.state_dict())  # neither encoder has a pooler
        copy.deepcopy(mlm).half().save_pretrained(tmp, safe_serialization=True)
        tokenizer.save_pretrained(tmp)
        for name in ("vocab.txt", "pretrain_config.json"):
            if (encoder / name).is_file():
                shutil.copy(encoder / name, tmp / name)
        summary = {
            **asdict(config),
            "encoder": str(encoder),
            "classes": counts,
            "steps": step,
            "minutes": minutes,
            "dev": score,
            "final_loss": round(sum(losses[-50:]) / max(len(losses[-50:]), 1), 4) if losses else None,
            "area_keywords": {a: list(w) for a, w in AREA_KEYWORDS},
        }
        (tmp / "intermediate_config.json").write_text(
            json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8"
        )
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
