"""Metrics: per-class precision, recall and F1, macro-F1, the confusion matrix, the problem flag's P/R/F1,
the threshold that maximises problem F1, and the same by part of the test data.

Hand-written rather than scikit-learn's: they give the same figures (tests/test_metrics.py pins them to
scikit-learn) and are about 30x faster, which the bootstrap intervals of fazhi.evaluation.real_text need.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from fazhi.labels import CATEGORIES, Row

__all__ = ["best_threshold", "compute_metrics", "metrics_by_part"]


def best_threshold(gold: Sequence[bool], probs: np.ndarray) -> tuple[float, float]:
    """The problem threshold with the best F1 on these rows (ties: the higher threshold)."""
    best = (0.5, -1.0)
    for t in np.round(np.arange(0.05, 0.96, 0.01), 2):
        pred = probs >= t
        tp = int(np.sum(pred & np.array(gold)))
        fp = int(np.sum(pred & ~np.array(gold)))
        fn = int(np.sum(~pred & np.array(gold)))
        f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
        if f1 >= best[1]:
            best = (float(t), f1)
    return best


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
    for g, p in zip(gold_cat, pred_cat, strict=True):
        confusion[index[g]][index[p]] += 1
    per_class = {}
    for i, l in enumerate(labels):
        tp = confusion[i][i]
        fp = sum(confusion[j][i] for j in range(len(labels))) - tp
        fn = sum(confusion[i]) - tp
        per_class[l] = {**_prf(tp, fp, fn), "support": sum(confusion[i])}
    present = [l for l in labels if per_class[l]["support"] or any(confusion[j][index[l]] for j in range(len(labels)))]
    macro = sum(per_class[l]["f1"] for l in present) / len(present) if present else 0.0
    tp = sum(1 for g, p in zip(gold_problem, pred_problem, strict=True) if g and p)
    fp = sum(1 for g, p in zip(gold_problem, pred_problem, strict=True) if not g and p)
    fn = sum(1 for g, p in zip(gold_problem, pred_problem, strict=True) if g and not p)
    return {
        "n": n,
        "accuracy": sum(g == p for g, p in zip(gold_cat, pred_cat, strict=True)) / n if n else 0.0,
        "macro_f1": macro,
        "per_class": per_class,
        "confusion": {"labels": list(labels), "rows_gold_cols_pred": confusion},
        "problem": {**_prf(tp, fp, fn), "support": sum(1 for g in gold_problem if g)},
    }


def _parts(rows: Sequence[Row], genres: dict[str, str]) -> dict[str, list[int]]:
    parts: dict[str, list[int]] = {"all": list(range(len(rows)))}
    parts["seed"] = [i for i, r in enumerate(rows) if r.source == "seed"]
    parts["written"] = [i for i, r in enumerate(rows) if r.source == "written"]
    parts["context_only"] = [i for i, r in enumerate(rows) if r.context_only]
    parts["hard cases"] = [i for i, r in enumerate(rows) if not r.doc.endswith(".txt")]
    for genre in sorted({genres[r.doc] for r in rows if r.source == "written" and r.doc in genres}):
        parts[f"genre {genre}"] = [
            i for i, r in enumerate(rows) if r.source == "written" and genres.get(r.doc) == genre
        ]
    return parts


def metrics_by_part(
    rows: Sequence[Row],
    pred_cat: Sequence[str],
    pred_problem: Sequence[bool],
    labels=CATEGORIES,
    genres: dict[str, str] | None = None,
) -> dict:
    """Metrics for all rows and for each part that has rows (see the module docstring)."""
    out = {}
    for name, idx in _parts(rows, genres or {}).items():
        if not idx:
            continue
        out[name] = compute_metrics(
            [rows[i].category for i in idx],
            [pred_cat[i] for i in idx],
            [rows[i].problem for i in idx],
            [pred_problem[i] for i in idx],
            labels,
        )
    return out
