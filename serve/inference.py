"""Classification results for the HTTP API: the CLI's result shape plus `truncated`.

Blank (empty or whitespace-only) sentences never reach the model: they get
category ``other`` with certainty and no problem. A sentence longer than the
model's ``max_chars`` is read by the model only up to that length; its result
says ``"truncated": true`` and still echoes the whole text.
"""

from __future__ import annotations

from typing import Sequence

from fazhi.classify import result_dicts
from fazhi.model import Predictor

__all__ = ["api_results", "blank_result", "precut_length"]

# Text beyond this multiple of max_chars is never looked at by the model (its
# tokenizer reads at most max_chars characters), so it is cut before the call
# to bound the cost of a pathological input.
_PRECUT_FACTOR = 4


def blank_result(text: str, labels: Sequence[str]) -> dict:
    return {
        "text": text,
        "category": "other",
        "scores": {label: (1.0 if label == "other" else 0.0) for label in labels},
        "problem": False,
        "problem_score": 0.0,
        "truncated": False,
    }


def precut_length(model: Predictor) -> int | None:
    return None if model.max_chars is None else model.max_chars * _PRECUT_FACTOR


def api_results(model: Predictor, texts: Sequence[str]) -> list[dict]:
    """One result per text, in order: {text, category, scores, problem, problem_score, truncated}."""
    results: list[dict | None] = [None] * len(texts)
    todo = [i for i, t in enumerate(texts) if t.strip()]
    for i, t in enumerate(texts):
        if not t.strip():
            results[i] = blank_result(t, model.labels)
    if todo:
        cut = precut_length(model)
        inputs = [texts[i] if cut is None else texts[i][:cut] for i in todo]
        scores = model.predict(inputs)
        for i, res in zip(todo, result_dicts([texts[i] for i in todo], scores)):
            res["truncated"] = model.max_chars is not None and len(texts[i]) > model.max_chars
            results[i] = res
    return results  # type: ignore[return-value]
