"""One ablation variant's model, trained (or put together from other variants) into build/ablation/NAME, and its
scores on real text and on the written test split."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from fazhi.model.config import read_config
from fazhi.paths import REPO_DIR
from fazhi.training.ablation_variants import ENCODERS, VARIANTS, WORK


def model_dir(name: str) -> Path:
    return WORK / name.replace(" ", "_").replace("+", "-").replace("(", "").replace(")", "").replace(",", "")


def build(
    name: str, data: Path, log, reuse: bool, encoders: Path = ENCODERS, labels_before: Path | None = None
) -> tuple[Any, float]:
    """The variant's predictor and its training minutes (0 when reused)."""
    from fazhi.model import load_model
    from fazhi.model.ensemble import EnsemblePredictor

    v = VARIANTS[name]
    out = model_dir(name)
    if v.kind in ("cascade", "hybrid"):
        return _build_composite(name, data, log, reuse, encoders, labels_before), 0.0
    if v.labels == "before":
        if labels_before is None:
            raise ValueError(f"{name}: expected --labels-before (data/labels before the rule-13 relabel), found none")
        data = labels_before
    if v.kind == "average":
        members = [
            build(m, data, log, reuse=True, encoders=encoders, labels_before=labels_before)[0] for m in v.members
        ]
        return EnsemblePredictor(members, [1.0] * len(members), _average_threshold(members, data), name), 0.0
    if v.kind == "int8":
        if not (model_dir(v.members[0]) / "config.json").is_file():
            build(v.members[0], data, log, reuse=False, encoders=encoders, labels_before=labels_before)
        return load_model(model_dir(v.members[0]), quantize=True), 0.0
    if reuse and (out / "config.json").is_file():
        log(f"{name}: reusing {out}")
        return load_model(out), 0.0
    started = time.time()
    _train(name, data, out, log, encoders)
    return load_model(out), (time.time() - started) / 60


def _build_composite(name: str, data: Path, log, reuse: bool, encoders: Path, labels_before: Path | None):
    """A cascade or hybrid: its members built first (the shipped model/ ones are read as they are), then the
    composite put together from them (or reused)."""
    from fazhi.model import load_model
    from fazhi.training.cascade import build as build_composite
    from fazhi.training.configs import CascadeConfig

    v = VARIANTS[name]
    out = model_dir(name)
    for m in v.members:
        if not m.startswith("model/"):
            build(m, data, log, reuse=True, encoders=encoders, labels_before=labels_before)
    dirs = [REPO_DIR / m if m.startswith("model/") else model_dir(m) for m in v.members]
    if not (reuse and (out / "config.json").is_file()):
        build_composite(v.kind, dirs[0], dirs[1], data, out, CascadeConfig(name=name, **v.cascade), log=log)
    return load_model(out)


def _train(name: str, data: Path, out: Path, log, encoders: Path) -> None:
    """A baseline or BERT variant trained into out (a BERT from its pretrained encoder under encoders, if it names
    one)."""
    from fazhi.model.configs import BaselineConfig
    from fazhi.training.baseline import train_baseline
    from fazhi.training.bert import train_bert

    v = VARIANTS[name]
    if v.kind == "baseline":
        train_baseline(data, out, BaselineConfig(**v.baseline), log=log)
        return
    assert v.bert is not None
    config = v.bert
    if v.encoder:
        encoder = encoders / v.encoder
        if not (encoder / "config.json").is_file():
            raise FileNotFoundError(f"{name}: expected the pretrained encoder {encoder} (fazhi pretrain), found none")
        config = replace(config, base_model=str(encoder))
    train_bert(data, out, replace(config, name=name), log=log, progress=False)


def _average_threshold(members, data: Path) -> float:
    """The problem threshold of the averaged score, chosen on the dev split (never on real text)."""
    import numpy as np

    from fazhi.evaluation.metrics import best_threshold
    from fazhi.labels import load_splits
    from fazhi.pipeline.context import row_contexts

    dev = load_splits(data)["dev"]
    contexts = row_contexts(dev)
    probs = np.mean([m.predict([r.text for r in dev], contexts).problem_probs for m in members], axis=0)
    return best_threshold([r.problem for r in dev], probs)[0]


def routed_shares(predictor, real: Path) -> dict[str, Any] | None:
    """A cascade's share of units sent to its second part: on dev (where its margins were chosen), on the real-text
    units read alone, and on every unit `fazhi tag` makes of the real documents (read with their contexts)."""
    if not hasattr(predictor, "route"):
        return None
    from fazhi.evaluation.real_text import read_real_set
    from fazhi.pipeline.context import unit_contexts
    from fazhi.pipeline.segment import segment

    real_set = read_real_set(real)
    by_unit = predictor.route([u.text for u in real_set.units])
    routed, total = 0, 0
    for text in real_set.docs.values():
        units = segment(text)
        if units:
            r = predictor.route([u.text for u in units], unit_contexts(units))
            routed, total = routed + int(r.sum()), total + len(units)
    dev = getattr(predictor, "dev_share_routed", None)
    return {
        "dev": dev,
        "real_units": float(by_unit.mean()),
        "real_documents": routed / total if total else 0.0,
        "real_document_units": total,
    }


def score(
    name: str, predictor, data: Path, real: Path, minutes: float, samples: int, encoders: Path = ENCODERS
) -> dict:
    from fazhi.evaluation.evaluate import evaluate_real, evaluate_rows
    from fazhi.labels import load_splits, read_documents

    test = evaluate_rows(predictor, load_splits(data, need=("test",))["test"], name, read_documents(data)).metrics
    real_metrics = evaluate_real(predictor, real, name, samples).metrics
    result: dict[str, Any] = {
        "variant": name,
        "note": VARIANTS[name].note,
        "minutes": round(minutes, 1),
        "real": real_metrics,
        "test": test,
        "labels": label_set(data),
    }
    shares = routed_shares(predictor, real)
    if shares is not None:
        result["routed"] = shares
    encoder = VARIANTS[name].encoder
    summary_file = encoders / encoder / "pretrain_config.json" if encoder else None
    if summary_file is not None and summary_file.is_file():
        result["encoder"] = {"name": encoder, **json.loads(summary_file.read_text(encoding="utf-8"))}
        # The size the encoder has, not pretrain's own size options (unused when it starts from another encoder).
        shape = read_config(summary_file.parent)
        result["encoder"].update(layers=shape.get("num_hidden_layers"), hidden=shape.get("hidden_size"))
    return result


def label_set(data: Path) -> str:
    """The label set a variant was trained on, by its size and a digest of its rows (a relabel keeps the size): rows
    trained on different label sets do not compare."""
    import hashlib

    from fazhi.labels import load_rows

    rows = load_rows(data)[0]
    digest = hashlib.sha256(
        "\n".join(sorted(f"{r.id}\t{r.split}\t{r.category}\t{r.problem}\t{r.text}" for r in rows)).encode()
    )
    return f"{len(rows):,} rows ({digest.hexdigest()[:6]})"
