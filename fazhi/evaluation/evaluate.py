"""Evaluation: per-class P/R/F1, macro-F1, confusion matrix, problem-flag P/R/F1.

Two kinds of evidence, kept apart in ``evaluation.json``:

- ``real``: a real-text set of published documents that none of the training
  data comes from (fazhi.evaluation.real_text), scored unit by unit and through
  `fazhi tag` on whole documents. This is the figure that says how fazhi does
  on reports as they are really published, and the headline wherever a
  model's quality is shown.
- ``test``: the test split of the label data, reported overall and in parts:
  ``seed`` (real text, two reports), ``written`` (written for the project, by
  the same hands as the training data: easier than real text), each written
  report genre, ``hard cases`` (single sentences) and ``context_only`` (units
  whose area comes only from their heading or report).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from fazhi.evaluation.metrics import metrics_by_part
from fazhi.evaluation.real_text import (
    BOOTSTRAP_SAMPLES,
    predict_by_document,
    predict_by_unit,
    read_real_set,
    real_markdown,
    score_real,
)
from fazhi.labels import Row, load_splits, read_documents
from fazhi.model import load_model
from fazhi.model.config import write_json, write_text
from fazhi.pipeline.context import row_contexts


def to_markdown(result: dict, title: str) -> str:
    lines = [f"## {title}", ""]
    lines.append("| part | n | accuracy | category macro-F1 | problem P | problem R | problem F1 |")
    lines.append("|---|---:|---:|---:|---:|---:|---:|")
    for part, m in result.items():
        p = m["problem"]
        lines.append(
            f"| {part} | {m['n']} | {m['accuracy']:.3f} | {m['macro_f1']:.3f} | {p['precision']:.3f} | "
            f"{p['recall']:.3f} | {p['f1']:.3f} |"
        )
    for part, m in result.items():
        if part not in ("all", "seed", "written"):
            continue
        lines += [
            "",
            f"### {part}: per class",
            "",
            "| class | precision | recall | F1 | support |",
            "|---|---:|---:|---:|---:|",
        ]
        for label, c in m["per_class"].items():
            lines.append(f"| {label} | {c['precision']:.3f} | {c['recall']:.3f} | {c['f1']:.3f} | {c['support']} |")
        labels = m["confusion"]["labels"]
        lines += [
            "",
            f"### {part}: confusion (rows gold, columns predicted)",
            "",
            "| gold \\ pred | " + " | ".join(labels) + " |",
            "|---" * (len(labels) + 1) + "|",
        ]
        for label, row in zip(labels, m["confusion"]["rows_gold_cols_pred"], strict=True):
            lines.append(f"| {label} | " + " | ".join(str(x) for x in row) + " |")
    return "\n".join(lines) + "\n"


@dataclass
class EvalResult:
    metrics: dict
    markdown: str


def evaluate_rows(model, rows: Sequence[Row], title: str, genres: dict[str, str] | None = None) -> EvalResult:
    """Metrics of a model on label rows, each read with its context as `fazhi tag` would give it."""

    scores = model.predict([r.text for r in rows], row_contexts(rows))
    result = metrics_by_part(rows, scores.categories, scores.problems, model.labels, genres)
    return EvalResult(result, to_markdown(result, title))


def evaluate_real(model, folder: Path, title: str, samples: int = BOOTSTRAP_SAMPLES) -> EvalResult:
    """Metrics of a model on a real-text folder, by unit and by document, with bootstrap intervals."""

    real = read_real_set(folder)
    result = {
        "by unit": score_real(real, predict_by_unit(model, real), samples),
        "by document": score_real(real, predict_by_document(model, real), samples),
    }
    return EvalResult(result, real_markdown(result, title))


def write_evaluation(
    directory: Path, test: dict | None, real: dict | None, real_source: str = "", name: str = ""
) -> dict:
    """Write evaluation.json and evaluation.md into directory (a model's, or any folder), each atomically; a part not
    measured now keeps its earlier figures there. Returns the whole evaluation."""

    path = directory / "evaluation.json"
    data = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    if real is not None:
        data["real"] = {"source": real_source, **real}
    if test is not None:
        data["test"] = test
    directory.mkdir(parents=True, exist_ok=True)
    write_json(path, data)
    md = []
    if "real" in data:
        modes = {k: v for k, v in data["real"].items() if k != "source"}
        md.append(real_markdown(modes, f"{name} on real text ({data['real'].get('source', '')})"))
    if "test" in data:
        md.append(to_markdown(data["test"], f"{name} on the test split of the label data"))
    write_text(directory / "evaluation.md", "\n".join(md))
    return data


def evaluate_model(
    model_dir: Path,
    data: Path | None,
    split: str = "test",
    out_dir: Path | None = None,
    real: Path | None = None,
    samples: int = BOOTSTRAP_SAMPLES,
) -> tuple[EvalResult | None, EvalResult | None]:
    """Evaluate a saved model on a split of a label set and/or a real-text folder; write the figures to out_dir when
    one is given (nothing is written otherwise)."""

    model = load_model(model_dir)
    test = None
    if data is not None:
        rows = load_splits(data, need=(split,))[split]
        test = evaluate_rows(model, rows, f"{model.name} on {split} ({data})", read_documents(data))
    real_result = (
        evaluate_real(model, real, f"{model.name} on real text ({real.name})", samples) if real is not None else None
    )
    if out_dir is not None:
        write_evaluation(
            out_dir,
            test.metrics if test else None,
            real_result.metrics if real_result else None,
            real.name if real is not None else "",
            model.name,
        )
    return test, real_result
