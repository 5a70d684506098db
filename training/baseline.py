"""Train the TF-IDF baseline: fit on train, choose C and the problem threshold on dev."""

from __future__ import annotations

import json
import warnings
from dataclasses import asdict
from pathlib import Path
from typing import Callable

import numpy as np

from fazhi.evaluate import compute_metrics, evaluate_rows
from fazhi.labels import CATEGORIES, Row
from fazhi.model.baseline import BaselineConfig, BaselineModel, fit_vocabulary
from fazhi.training.common import atomic_directory
from fazhi.training.data import load_training_rows


def best_threshold(gold: list[bool], probs: np.ndarray) -> tuple[float, float]:
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


def fit_baseline(train: list[Row], dev: list[Row], config: BaselineConfig, log: Callable[[str], None] = lambda m: None) -> BaselineModel:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression

    from fazhi.model.baseline import featurize

    vocab, idf = fit_vocabulary([r.text for r in train], config)
    log(f"vocabulary: {len(vocab)} character n-grams")
    x_train = featurize([r.text for r in train], vocab, idf, config.ngram_min, config.ngram_max)
    x_dev = featurize([r.text for r in dev], vocab, idf, config.ngram_min, config.ngram_max)
    y_cat = np.array([CATEGORIES.index(r.category) for r in train])
    y_prob = np.array([r.problem for r in train])
    if len(set(y_prob.tolist())) < 2:
        raise ValueError("expected both problem=true and problem=false rows in the train split, found only one kind")

    best_cat, best_prob = None, None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for c in config.c_grid:
            clf = LogisticRegression(C=c, class_weight=config.class_weight, max_iter=3000, random_state=config.seed)
            clf.fit(x_train, y_cat)
            pred = [CATEGORIES[k] for k in _full_argmax(clf, x_dev)]
            f1 = compute_metrics([r.category for r in dev], pred, [False] * len(dev), [False] * len(dev))["macro_f1"]
            log(f"category C={c:g}: dev macro-F1 {f1:.3f}")
            if best_cat is None or f1 > best_cat[0]:
                best_cat = (f1, c, clf)
            pclf = LogisticRegression(C=c, class_weight=config.class_weight, max_iter=3000, random_state=config.seed)
            pclf.fit(x_train, y_prob)
            t, pf1 = best_threshold([r.problem for r in dev], pclf.predict_proba(x_dev)[:, 1])
            log(f"problem  C={c:g}: dev F1 {pf1:.3f} at threshold {t:.2f}")
            if best_prob is None or pf1 > best_prob[0]:
                best_prob = (pf1, c, pclf, t)

    _, c_cat, clf = best_cat
    pf1, c_prob, pclf, threshold = best_prob
    cat_coef = np.zeros((len(CATEGORIES), len(vocab)))
    cat_intercept = np.full(len(CATEGORIES), -1e4)  # a class absent from train is never predicted
    for row, k in enumerate(clf.classes_):
        cat_coef[k] = clf.coef_[row]
        cat_intercept[k] = clf.intercept_[row]
    metadata = {
        "chosen_category_C": c_cat,
        "chosen_problem_C": c_prob,
        "dev_category_macro_f1": best_cat[0],
        "dev_problem_f1": pf1,
        "train_rows": len(train),
        "dev_rows": len(dev),
    }
    return BaselineModel(vocab, idf, cat_coef, cat_intercept, pclf.coef_[0], float(pclf.intercept_[0]), threshold, CATEGORIES, config, metadata)


def _full_argmax(clf, x) -> np.ndarray:
    return clf.classes_[np.asarray(clf.decision_function(x)).argmax(axis=1)]


def train_baseline(data: Path, output: Path, config: BaselineConfig | None = None, log: Callable[[str], None] = print) -> Path:
    """Train, evaluate on test, and write the model directory atomically (temp dir, then rename)."""
    config = config or BaselineConfig()
    splits = load_training_rows(data)
    log(f"rows: train {len(splits['train'])}, dev {len(splits['dev'])}, test {len(splits['test'])}")
    model = fit_baseline(splits["train"], splits["dev"], config, log)
    with atomic_directory(output) as tmp:
        model.save(tmp)
        (tmp / "training_config.json").write_text(json.dumps({"model": "baseline", "data": str(data), **asdict(config)}, indent=2), encoding="utf-8")
        if splits["test"]:
            result = evaluate_rows(model, splits["test"], "baseline on test")
            (tmp / "evaluation.json").write_text(json.dumps(result.metrics, indent=2), encoding="utf-8")
            (tmp / "evaluation.md").write_text(result.markdown, encoding="utf-8")
            for part, m in result.metrics.items():
                log(f"test {part}: category macro-F1 {m['macro_f1']:.3f}, problem F1 {m['problem']['f1']:.3f} (n={m['n']})")
    return output.resolve()
