"""Train the TF-IDF baseline: fit on train, choose C and the problem threshold on dev."""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import numpy as np

from fazhi.errors import LabelDataError
from fazhi.evaluation.evaluate import evaluate_rows
from fazhi.evaluation.metrics import best_threshold, compute_metrics
from fazhi.labels import CATEGORIES, Row, load_splits, read_documents
from fazhi.model.baseline import BaselineConfig, BaselineModel, features, fit_vocabulary
from fazhi.pipeline.context import row_contexts
from fazhi.training.common import atomic_directory, write_test_results


def fit_baseline(
    train: list[Row], dev: list[Row], config: BaselineConfig, log: Callable[[str], None] = lambda _message: None
) -> BaselineModel:
    """Fit on train (with each row's context when config.context_weight > 0); choose C and the threshold on dev."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression

    vocab, idf = fit_vocabulary([r.text for r in train], config)
    train_ctx, dev_ctx = row_contexts(train), row_contexts(dev)
    context_vocab, context_idf = (
        fit_vocabulary([c for c in train_ctx if c], config) if config.context_weight > 0 else ({}, np.zeros(0))
    )
    log(f"vocabulary: {len(vocab)} character n-grams, {len(context_vocab)} of context")
    x_train = features([r.text for r in train], train_ctx, vocab, idf, context_vocab, context_idf, config)
    x_dev = features([r.text for r in dev], dev_ctx, vocab, idf, context_vocab, context_idf, config)
    # The problem flag reads the sentence alone unless asked: on real text the context's
    # "存在的问题" headings made it flag plans and results that stand under them.
    n_problem = x_train.shape[1] if config.context_for_problem else len(vocab)
    y_cat = np.array([CATEGORIES.index(r.category) for r in train])
    y_prob = np.array([r.problem for r in train])
    if len(set(y_prob.tolist())) < 2:
        raise LabelDataError(
            "expected both problem=true and problem=false rows in the train split, found only one kind"
        )

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
            pclf.fit(x_train[:, :n_problem], y_prob)
            t, pf1 = best_threshold([r.problem for r in dev], pclf.predict_proba(x_dev[:, :n_problem])[:, 1])
            log(f"problem  C={c:g}: dev F1 {pf1:.3f} at threshold {t:.2f}")
            if best_prob is None or pf1 > best_prob[0]:
                best_prob = (pf1, c, pclf, t)

    assert best_cat is not None and best_prob is not None  # c_grid is never empty
    _, c_cat, clf = best_cat
    pf1, c_prob, pclf, threshold = best_prob
    cat_coef = np.zeros((len(CATEGORIES), x_train.shape[1]))
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
    prob_coef = np.zeros(x_train.shape[1])
    prob_coef[:n_problem] = pclf.coef_[0]
    return BaselineModel(
        vocab,
        idf,
        cat_coef,
        cat_intercept,
        prob_coef,
        float(pclf.intercept_[0]),
        threshold,
        CATEGORIES,
        config,
        metadata,
        context_vocab,
        context_idf,
    )


def _full_argmax(clf, x) -> np.ndarray:
    return clf.classes_[np.asarray(clf.decision_function(x)).argmax(axis=1)]


def train_baseline(
    data: Path, output: Path, config: BaselineConfig | None = None, log: Callable[[str], None] = print
) -> Path:
    """Train, evaluate on test, and write the model directory atomically (temp dir, then rename)."""
    config = config or BaselineConfig()
    splits = load_splits(data)
    log(f"rows: train {len(splits['train'])}, dev {len(splits['dev'])}, test {len(splits['test'])}")
    model = fit_baseline(splits["train"], splits["dev"], config, log)
    with atomic_directory(output) as tmp:
        model.save(tmp)
        (tmp / "training_config.json").write_text(
            json.dumps({"model": "baseline", "data": str(data), **asdict(config)}, indent=2), encoding="utf-8"
        )
        test = splits["test"]
        result = evaluate_rows(model, test, "baseline on test", read_documents(data)) if test else None
        write_test_results(tmp, result, model.name, log)
    return output.resolve()
