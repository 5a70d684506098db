"""Evaluation: per-class P/R/F1, macro-F1, confusion matrix, problem-flag P/R/F1.

The real-text (seed) rows of a split are reported separately from the
written rows: the seed part is the figure that says how fazhi does on reports
as they are really published.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from fazhi.labels import CATEGORIES, Row


def _prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": p, "recall": r, "f1": f}


def compute_metrics(
    gold_cat: Sequence[str],
    pred_cat: Sequence[str],
    gold_problem: Sequence[bool],
    pred_problem: Sequence[bool],
    labels: Sequence[str] = CATEGORIES,
) -> dict:
    """Metrics of one set of predictions; macro-F1 averages over labels present in gold or predictions."""
    n = len(gold_cat)
    index = {l: i for i, l in enumerate(labels)}
    confusion = [[0] * len(labels) for _ in labels]
    for g, p in zip(gold_cat, pred_cat):
        confusion[index[g]][index[p]] += 1
    per_class = {}
    for i, l in enumerate(labels):
        tp = confusion[i][i]
        fp = sum(confusion[j][i] for j in range(len(labels))) - tp
        fn = sum(confusion[i]) - tp
        per_class[l] = {**_prf(tp, fp, fn), "support": sum(confusion[i])}
    present = [l for l in labels if per_class[l]["support"] or any(confusion[j][index[l]] for j in range(len(labels)))]
    macro = sum(per_class[l]["f1"] for l in present) / len(present) if present else 0.0
    tp = sum(1 for g, p in zip(gold_problem, pred_problem) if g and p)
    fp = sum(1 for g, p in zip(gold_problem, pred_problem) if not g and p)
    fn = sum(1 for g, p in zip(gold_problem, pred_problem) if g and not p)
    return {
        "n": n,
        "accuracy": sum(g == p for g, p in zip(gold_cat, pred_cat)) / n if n else 0.0,
        "macro_f1": macro,
        "per_class": per_class,
        "confusion": {"labels": list(labels), "rows_gold_cols_pred": confusion},
        "problem": {**_prf(tp, fp, fn), "support": sum(1 for g in gold_problem if g)},
    }


def metrics_by_part(rows: Sequence[Row], pred_cat: Sequence[str], pred_problem: Sequence[bool], labels=CATEGORIES) -> dict:
    """Metrics for all rows, the seed (real text) rows and the written rows."""
    parts = {"all": list(range(len(rows)))}
    parts["seed"] = [i for i, r in enumerate(rows) if r.source == "seed"]
    parts["written"] = [i for i, r in enumerate(rows) if r.source == "written"]
    out = {}
    for name, idx in parts.items():
        if not idx:
            continue
        out[name] = compute_metrics(
            [rows[i].category for i in idx], [pred_cat[i] for i in idx],
            [rows[i].problem for i in idx], [pred_problem[i] for i in idx], labels,
        )
    return out


def to_markdown(result: dict, title: str) -> str:
    lines = [f"## {title}", ""]
    lines.append("| part | n | accuracy | category macro-F1 | problem P | problem R | problem F1 |")
    lines.append("|---|---:|---:|---:|---:|---:|---:|")
    for part, m in result.items():
        p = m["problem"]
        lines.append(f"| {part} | {m['n']} | {m['accuracy']:.3f} | {m['macro_f1']:.3f} | {p['precision']:.3f} | {p['recall']:.3f} | {p['f1']:.3f} |")
    for part, m in result.items():
        lines += ["", f"### {part}: per class", "", "| class | precision | recall | F1 | support |", "|---|---:|---:|---:|---:|"]
        for label, c in m["per_class"].items():
            lines.append(f"| {label} | {c['precision']:.3f} | {c['recall']:.3f} | {c['f1']:.3f} | {c['support']} |")
        labels = m["confusion"]["labels"]
        lines += ["", f"### {part}: confusion (rows gold, columns predicted)", "", "| gold \\ pred | " + " | ".join(labels) + " |", "|---" * (len(labels) + 1) + "|"]
        for label, row in zip(labels, m["confusion"]["rows_gold_cols_pred"]):
            lines.append(f"| {label} | " + " | ".join(str(x) for x in row) + " |")
    return "\n".join(lines) + "\n"


@dataclass
class EvalResult:
    metrics: dict
    markdown: str


def evaluate_rows(model, rows: Sequence[Row], title: str) -> EvalResult:
    scores = model.predict([r.text for r in rows])
    result = metrics_by_part(rows, scores.categories, scores.problems, model.labels)
    return EvalResult(result, to_markdown(result, title))


def evaluate_model(model_dir: Path, data: Path, split: str = "test", out_dir: Path | None = None) -> EvalResult:
    """Evaluate a saved model on one split of a label set; write evaluation.json/.md to out_dir."""
    from fazhi.labels import load_rows
    from fazhi.model import load_model

    rows, issues = load_rows(data)
    errors = [i for i in issues if i.severity == "error"]
    if errors:
        raise ValueError("label data has errors:\n" + "\n".join(str(e) for e in errors[:20]))
    rows = [r for r in rows if r.split == split]
    if not rows:
        raise ValueError(f"expected rows in split {split!r} of {data}, found none")
    model = load_model(model_dir)
    result = evaluate_rows(model, rows, f"{model.name} on {split} ({model_dir})")
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "evaluation.json").write_text(json.dumps(result.metrics, indent=2), encoding="utf-8")
        (out_dir / "evaluation.md").write_text(result.markdown, encoding="utf-8")
    return result
