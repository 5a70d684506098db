"""What /v1/model tells about the model: its name (never its path), labels, threshold, context, int8 and figures."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from fazhi.model.card import real_headline
from fazhi.model.config import KIND, read_config
from fazhi.model.prediction import Predictor

__all__ = ["model_info"]

log = logging.getLogger("fazhi.serve")


def _condensed(figures: dict) -> dict:
    entry = {k: figures[k] for k in ("n", "documents", "accuracy", "macro_f1") if k in figures}
    if isinstance(figures.get("per_class"), dict):
        entry["per_class_f1"] = {c: v.get("f1") for c, v in figures["per_class"].items() if isinstance(v, dict)}
    if isinstance(figures.get("problem"), dict):
        entry["problem"] = {k: v for k, v in figures["problem"].items() if not isinstance(v, (dict, list))}
    if isinstance(figures.get("ci"), dict):
        entry["ci"] = figures["ci"]
    return entry


def _condensed_evaluation(data: dict) -> dict:
    out: dict[str, Any] = {}
    real = data.get("real")
    if isinstance(real, dict):
        out["real"] = {"source": real.get("source", "")}
        for mode in ("by document", "by unit"):
            if isinstance(real.get(mode), dict):
                out["real"][mode] = {part: _condensed(m) for part, m in real[mode].items() if isinstance(m, dict)}
    if isinstance(data.get("test"), dict):
        out["test"] = {part: _condensed(m) for part, m in data["test"].items() if isinstance(m, dict)}
    return out


_KIND_LINES = {"baseline": "n-gram model (character TF-IDF + logistic regression)", "bert": "fine-tuned BERT"}


def _kind(directory: Path) -> str | None:
    try:
        kind = read_config(directory).get(KIND)
    except (OSError, ValueError, AttributeError):
        return None
    return kind if isinstance(kind, str) else None


def model_info(
    model: Predictor, directory: Path, reads_context: bool, composition: str | None = None
) -> dict[str, Any]:
    """The fields of /v1/model but the limits; reads_context is what the loaded model does (serve.worker.child),
    composition the model's own line about what it is made of (a cascade's), else one for its kind."""
    kind = _kind(directory)
    info: dict[str, Any] = {
        "name": model.name,
        "kind": kind,
        "composition": composition or _KIND_LINES.get(kind or "", kind),
        "labels": list(model.labels),
        "threshold": model.threshold,
        "max_chars": model.max_chars,
        "context": reads_context,
        "int8": model.int8,
        "real": None,
        "evaluation": None,
        "model_card": None,
    }
    evaluation = directory / "evaluation.json"
    if evaluation.is_file():
        try:
            data = json.loads(evaluation.read_text(encoding="utf-8"))
            info["evaluation"] = _condensed_evaluation(data)
            info["real"] = real_headline(data)
        except (ValueError, OSError) as exc:
            log.warning("cannot read %s: %s", evaluation, exc)
    card = directory / "README.md"
    if card.is_file():
        info["model_card"] = card.read_text(encoding="utf-8", errors="replace")
    return info
