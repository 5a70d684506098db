"""Sentences per second of the default model through the `fazhi classify` code path,
a bert-base-chinese-shaped model (random weights) for comparison, and the peak
memory of `fazhi classify` over the five seed reports.

    .venv/bin/python benchmarks/throughput.py [--model DIR] [--repeats 3] [--no-base]

Workload: every sentence unit of the five seed reports (../shared/seeds), with
the context `fazhi tag` gives each (report title and headings: a model trained
with context reads it as a second segment), so the figure is what tagging
costs. Each model gets one warm-up pass; the figure is the best of --repeats
timed passes. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO.parent / "shared" / "seeds"


def workload() -> tuple[list[str], list[str]]:
    """Every unit of the seed reports and its context, as `fazhi tag` sends them to the model."""
    from fazhi.pipeline.context import unit_contexts
    from fazhi.pipeline.segment import segment

    texts, contexts = [], []
    for f in sorted(SEEDS.glob("*.txt")):
        units = segment(f.read_text(encoding="utf-8"))
        texts += [u.text for u in units]
        contexts += unit_contexts(units)
    return texts, contexts


def sentences_per_second(predictor, texts: list[str], contexts: list[str], repeats: int) -> float:
    predictor.predict(texts[:128], contexts[:128])  # warm-up: first calls allocate
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        predictor.predict(texts, contexts)
        best = min(best, time.perf_counter() - t)
    return len(texts) / best


def _has_int8(predictor) -> bool:
    model = getattr(predictor, "model", None)
    return model is not None and any("quantized" in type(m).__module__ for m in model.modules())


def base_shaped_predictor(batch_size: int):
    """A model of bert-base-chinese's shape (12 x 768, vocab 21128) with random weights, same predictor code."""
    import torch
    from transformers import BertConfig, BertTokenizer

    from fazhi.model.bert import BertPredictor, FazhiBertModel, fazhi_config
    from fazhi.paths import DEFAULT_BERT_DIR

    torch.manual_seed(0)
    config = fazhi_config(
        BertConfig(
            vocab_size=21128,
            hidden_size=768,
            num_hidden_layers=12,
            num_attention_heads=12,
            intermediate_size=3072,
            max_position_embeddings=512,
        ),
        fazhi_max_length=128,
    )
    # Our character tokenizer: ids stay below 21128, so tokenisation cost is the same for both models.
    tokenizer = BertTokenizer.from_pretrained(DEFAULT_BERT_DIR)
    return BertPredictor(FazhiBertModel(config).eval(), tokenizer, name="bert-base-shape", batch_size=batch_size)


def peak_memory_of_classify(model: str | None, texts: list[str], contexts: list[str]) -> float:
    """Peak resident memory (MiB) of a `fazhi classify` process over the given sentences and contexts."""
    import json

    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False, encoding="utf-8") as f:
        f.write(
            "".join(
                json.dumps({"text": t, "context": c}, ensure_ascii=False) + "\n"
                for t, c in zip(texts, contexts, strict=True)
            )
        )
        name = f.name
    cmd = [sys.executable, "-m", "fazhi", "classify", name] + (["--model", model] if model else [])
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    os.unlink(name)
    return max(before, after) / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=None, help="model directory (default: the shipped default)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-base", action="store_true", help="skip the bert-base-shaped comparison (slow: ~1 min)")
    args = parser.parse_args()

    texts, contexts = workload()
    # First, while this process is still small: ru_maxrss of a child counts the
    # pages it shares with us at fork, so measuring after loading models here
    # would add this process's size to the figure.
    peak = peak_memory_of_classify(args.model, texts, contexts)

    import torch

    from fazhi.model import load_model

    mean_len = sum(map(len, texts)) / len(texts)
    mean_ctx = sum(map(len, contexts)) / len(contexts)
    print(
        f"workload: {len(texts)} sentence units of the 5 seed reports, mean {mean_len:.1f} characters, "
        f"contexts mean {mean_ctx:.1f} characters; "
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, batch {args.batch_size}"
    )
    default = load_model(args.model)  # as `fazhi classify` loads it (int8 if the model asks for it)
    if hasattr(default, "batch_size"):
        default.batch_size = args.batch_size
    sps = sentences_per_second(default, texts, contexts, args.repeats)
    form = "dynamic int8" if _has_int8(default) or getattr(default, "int8", False) else "float32"
    print(f"default model ({default.name}, as shipped: {form}): {sps:.0f} sentences/s")
    if hasattr(default, "route"):  # a cascade: how many units its BERT reads here, and both forms of that BERT
        share = float(default.route(texts, contexts).mean())
        print(
            f"  cascade: {share:.1%} of these units routed to its second part ({getattr(default, 'composition', '')})"
        )
        for quantize, label in ((False, "float32"), (True, "dynamic int8")):
            other = load_model(args.model, quantize=quantize)
            print(
                f"  cascade with a {label} second part: "
                f"{sentences_per_second(other, texts, contexts, args.repeats):.0f} sentences/s"
            )
    # int8 applies to BERTs: time this model both ways, or the shipped BERT when the default is not one
    # (an explicitly named non-BERT model has nothing to quantise).
    from fazhi.paths import DEFAULT_BERT_DIR

    is_bert = hasattr(default, "model")
    if is_bert or args.model is None:
        bert_dir = args.model if is_bert else DEFAULT_BERT_DIR
        for quantize, label in ((False, "float32"), (True, "dynamic int8")):
            other = load_model(bert_dir, quantize=quantize)
            if not is_bert and not quantize:
                print(f"shipped BERT ({other.name}):")
            other.batch_size = args.batch_size
            print(f"  {label}: {sentences_per_second(other, texts, contexts, args.repeats):.0f} sentences/s")
    if not args.no_base:
        base = base_shaped_predictor(args.batch_size)
        bps = sentences_per_second(base, texts, contexts, 1)
        print(f"bert-base-chinese shape (12x768, random weights): {bps:.0f} sentences/s")
        print(f"ratio default / bert-base shape: {sps / bps:.1f}x")
    print(f"peak memory of `fazhi classify` over the seed reports: {peak:.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
