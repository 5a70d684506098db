"""The hand-written metrics give scikit-learn's figures (they are kept because they are much faster, which the
bootstrap intervals need)."""

import numpy as np
import pytest

from fazhi.evaluation.metrics import compute_metrics
from fazhi.labels import CATEGORIES

sklearn_metrics = pytest.importorskip("sklearn.metrics")


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_metrics_equal_scikit_learn_on_random_predictions(seed):
    rng = np.random.default_rng(seed)
    n = 400
    # Skewed, so some classes are rare and one may be missing from the gold or the predictions.
    gold = list(rng.choice(CATEGORIES, size=n, p=[0.3, 0.25, 0.2, 0.15, 0.1, 0.0]))
    pred = [g if rng.random() < 0.7 else str(rng.choice(CATEGORIES)) for g in gold]
    gold_p = rng.random(n) < 0.3
    pred_p = np.where(rng.random(n) < 0.8, gold_p, ~gold_p)
    m = compute_metrics(gold, pred, list(gold_p), list(pred_p))
    present = sorted(set(gold) | set(pred), key=CATEGORIES.index)
    assert m["macro_f1"] == pytest.approx(
        sklearn_metrics.f1_score(gold, pred, labels=present, average="macro", zero_division=0), abs=1e-12
    )
    p, r, f, s = sklearn_metrics.precision_recall_fscore_support(gold, pred, labels=list(CATEGORIES), zero_division=0)
    for i, label in enumerate(CATEGORIES):
        assert m["per_class"][label]["precision"] == pytest.approx(p[i], abs=1e-12)
        assert m["per_class"][label]["recall"] == pytest.approx(r[i], abs=1e-12)
        assert m["per_class"][label]["f1"] == pytest.approx(f[i], abs=1e-12)
        assert m["per_class"][label]["support"] == s[i]
    assert m["problem"]["f1"] == pytest.approx(sklearn_metrics.f1_score(gold_p, pred_p), abs=1e-12)
    assert m["problem"]["precision"] == pytest.approx(sklearn_metrics.precision_score(gold_p, pred_p), abs=1e-12)
    assert m["accuracy"] == pytest.approx(sklearn_metrics.accuracy_score(gold, pred), abs=1e-12)
    assert (
        m["confusion"]["rows_gold_cols_pred"]
        == sklearn_metrics.confusion_matrix(gold, pred, labels=list(CATEGORIES)).tolist()
    )
