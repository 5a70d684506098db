"""The laws' area task that fazhi.training.intermediate trains on: a statute's title gives its articles a weak label.

area_of reads the area off a statute's title (AREA_KEYWORDS), law_articles gives the articles of a law source with
that label, and build_task deduplicates them, caps each class and keeps whole statutes apart for the dev score.
IntermediateConfig holds the run's settings, these and the training's.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from fazhi.errors import UsageError
from fazhi.model.config import DEFAULT_MAX_LENGTH
from fazhi.training.corpus import LAWS_DB, law_group, law_texts, laws_db_articles, laws_db_path

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
