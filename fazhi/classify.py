"""`fazhi classify`: sentences in, one JSON object per sentence out."""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO, Iterable, Iterator

from fazhi.model import Predictor, Scores, load_model


def result_dicts(texts: list[str], scores: Scores) -> Iterator[dict]:
    """The stable public result shape, shared by the CLI and the HTTP API."""
    # categories and problems are computed over the whole batch: once, not per sentence.
    categories, problems = scores.categories, scores.problems
    for i, text in enumerate(texts):
        yield {
            "text": text,
            "category": categories[i],
            "scores": {label: round(float(p), 6) for label, p in zip(scores.labels, scores.category_probs[i])},
            "problem": problems[i],
            "problem_score": round(float(scores.problem_probs[i]), 6),
        }


def _batches(lines: Iterable[str], size: int) -> Iterator[list[str]]:
    batch: list[str] = []
    for line in lines:
        text = line.strip()
        if not text:
            continue
        batch.append(text)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def classify_lines(src: IO[str], out: IO[str], model_path: Path | None = None, batch_size: int = 64, model: Predictor | None = None) -> int:
    """Classify each non-blank line of src, writing JSON Lines to out in input order; returns the count."""
    if batch_size < 1:
        raise ValueError(f"expected --batch-size of at least 1, found {batch_size}")
    model = model or load_model(model_path)
    n = 0
    for batch in _batches(src, batch_size):
        for obj in result_dicts(batch, model.predict(batch)):
            out.write(json.dumps(obj, ensure_ascii=False) + "\n")
            n += 1
        out.flush()
    return n
