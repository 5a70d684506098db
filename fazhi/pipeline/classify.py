"""`fazhi classify`: sentences in, one JSON object per sentence out.

Input, one sentence per line: plain text, or a JSON object
``{"text": ..., "context": ...}`` where the context is the report title and
the headings above the sentence (what `fazhi tag` passes the model), e.g.
``某区2023年政府信息公开工作年度报告 › 三、收到和处理政府信息公开申请情况``.
Blank lines are skipped.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO

from fazhi.errors import UsageError
from fazhi.model import Predictor, load_model
from fazhi.model.prediction import BATCH_SIZE
from fazhi.pipeline.results import classify

__all__ = ["classify_lines", "parse_line"]


def parse_line(line: str, where: str) -> tuple[str, str] | None:
    """(text, context) of one input line; None for a blank line. A line that starts with '{' must be a
    JSON object with a string 'text' (and optionally a string 'context')."""
    stripped = line.strip()
    if not stripped:
        return None
    if not stripped.startswith("{"):
        return stripped, ""
    try:
        obj = json.loads(stripped)
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"{where}: expected plain text or a JSON object {{\"text\", \"context\"}}, found invalid JSON ({exc.msg})"
        ) from None
    if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
        raise UsageError(f"{where}: expected a JSON object with a string 'text', found {stripped[:60]!r}")
    context = obj.get("context", "")
    if not isinstance(context, str):
        raise UsageError(f"{where}: expected 'context' to be a string, found {type(context).__name__}")
    return obj["text"], context


def _batches(lines: Iterable[str], size: int, name: str) -> Iterator[list[tuple[str, str]]]:
    batch: list[tuple[str, str]] = []
    for lineno, line in enumerate(lines, start=1):
        item = parse_line(line, f"{name}:{lineno}")
        if item is None:
            continue
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def classify_lines(
    src: IO[str],
    out: IO[str],
    model_path: Path | None = None,
    batch_size: int = BATCH_SIZE,
    model: Predictor | None = None,
    name: str = "<stdin>",
) -> int:
    """Classify each non-blank line of src, writing JSON Lines to out in input order; returns the count."""
    if batch_size < 1:
        raise UsageError(f"expected --batch-size of at least 1, found {batch_size}")
    model = model or load_model(model_path)
    n = 0
    for batch in _batches(src, batch_size, name):
        for obj in classify(model, [t for t, _ in batch], [c for _, c in batch]):
            out.write(json.dumps(obj, ensure_ascii=False) + "\n")
            n += 1
        out.flush()
    return n
