"""What a pretraining run starts from: the device, the labelled text, the tokenizer and encoder (continued from
init_from or built), and the checkpoint that lets a stopped run continue."""

from __future__ import annotations

import platform
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import torch

from fazhi.errors import UsageError
from fazhi.labels import Row
from fazhi.training.common import compact_bert_config
from fazhi.training.configs import PretrainConfig
from fazhi.training.corpus import SourceCorpus, char_counts

CHECKPOINT_FILE = "checkpoint.pt"
# Settings that do not change the training itself: a run may continue under other values of them.
_NOT_TRAINING = ("minutes", "save_float16", "checkpoint_minutes", "snapshot_every", "device", "threads", "heldout_max")


def project_documents(rows: list[Row]) -> list[tuple[str, list[str]]]:
    """Unit texts of each labelled document, in document order, keyed by document id."""
    docs: dict[str, list[str]] = defaultdict(list)
    for r in rows:
        docs[r.doc].append(r.text)
    return [(d, docs[d]) for d in sorted(docs)]


def _settings(config: PretrainConfig, corpus: list[str]) -> dict:
    """What a checkpoint must agree with to be continued (minutes may change between sessions)."""
    return {**{k: v for k, v in asdict(config).items() if k not in _NOT_TRAINING}, "corpus": list(corpus)}


def _save_checkpoint(path: Path, state: dict) -> None:
    path.mkdir(parents=True, exist_ok=True)
    tmp = path / (CHECKPOINT_FILE + ".tmp")
    torch.save(state, tmp)
    tmp.replace(path / CHECKPOINT_FILE)


def _device(name: str) -> torch.device:
    if name == "cuda" and not torch.cuda.is_available():
        raise UsageError(
            "expected a CUDA GPU for --device cuda, found none (torch.cuda.is_available() is False); use --device cpu"
        )
    if name not in ("cpu", "cuda"):
        raise UsageError(f"expected device cpu or cuda, found {name!r}")
    return torch.device(name)


def hardware(device: torch.device) -> str:
    """What the run ran on, in words, for the summary."""
    if device.type == "cuda":
        return f"cuda: {torch.cuda.get_device_name(device)}"
    return f"cpu: {platform.processor() or platform.machine()}, {torch.get_num_threads()} torch thread(s)"


def _initial_model(
    config: PretrainConfig, parts: list[SourceCorpus], project_rows: list[Row], tmp: Path, log: Callable[[str], None]
):
    """Tokenizer (saved into tmp), its token list and the BertForMaskedLM to train: loaded from init_from, or built."""
    from transformers import BertForMaskedLM, BertTokenizer

    from fazhi.training.vocab import build_vocab, jieba_characters, make_tokenizer

    if config.init_from:
        source = Path(config.init_from)
        if not (source / "config.json").is_file():
            raise FileNotFoundError(
                f"expected an encoder directory (config.json, weights, tokenizer) for init_from, found none at {source}"
            )
        tokenizer = BertTokenizer.from_pretrained(source)
        model = BertForMaskedLM.from_pretrained(source, dtype=torch.float32)
        model.float()  # the shipped encoder is stored in float16
        if int(model.config.max_position_embeddings) < config.max_length:
            raise UsageError(
                f"expected max_length at most the encoder's {model.config.max_position_embeddings} positions, "
                f"found {config.max_length}"
            )
        tokens = [t for t, _ in sorted(tokenizer.get_vocab().items(), key=lambda kv: kv[1])]
        tokenizer.save_pretrained(tmp)
        (tmp / "vocab.txt").write_text("\n".join(tokens) + "\n", encoding="utf-8")
        log(
            f"continuing the encoder in {source}: {model.config.num_hidden_layers}x{model.config.hidden_size}, "
            f"vocab {len(tokens)}"
        )
        return tokenizer, tokens, model
    counts = char_counts(s for p in parts for s in p.train)
    frequent = [c for c, k in counts.items() if k >= config.min_char_count]
    project_chars = {c for r in project_rows for c in r.text}
    tokens = build_vocab([" ".join(frequent)], set(jieba_characters()) | project_chars)
    tokenizer = make_tokenizer(tokens, tmp)
    bert_config = compact_bert_config(config, len(tokenizer))
    model = BertForMaskedLM(bert_config)
    if config.init_embeddings == "lac":
        from fazhi.training.lac import lac_initialised_embeddings

        table, found = lac_initialised_embeddings(tokens, config.hidden, config.seed, bert_config.initializer_range)
        with torch.no_grad():
            model.bert.embeddings.word_embeddings.weight.copy_(torch.from_numpy(table))
        log(f"word embeddings: {found} of {len(tokens)} rows initialised from LAC")
    elif config.init_embeddings != "random":
        raise UsageError(f"expected init_embeddings 'random' or 'lac', found {config.init_embeddings!r}")
    return tokenizer, tokens, model
