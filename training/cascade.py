"""Build a hybrid or a cascade from a trained n-gram baseline and a fine-tuned BERT.

    .venv/bin/python -m fazhi.training.cascade --kind cascade --baseline model/baseline --bert model/bert --output DIR
    .venv/bin/python -m fazhi.training.cascade --kind hybrid  --baseline model/baseline --bert model/bert --output DIR
    .venv/bin/python -m fazhi.training.cascade --kind cascade --second hybrid ...   # routes unsure units to a hybrid

Both parts were trained on the train split alone, so their scores of the dev
split are held out for both. Everything here is fitted on those dev scores:

- the hybrid head (fazhi.model.hybrid): linear models over both parts'
  evidence, their strength chosen by cross-validation over dev documents,
  the problem threshold chosen on the out-of-fold scores;
- the cascade's margins and weight (fazhi.model.cascade): the grid point with
  the best dev category macro-F1 + problem F1 among those that route at most
  max_share of dev units (a cascade over a hybrid is judged on the hybrid's
  out-of-fold dev scores, never on scores of units its head was fitted on).

Nothing reads a real-text folder. The result is one model directory that
load_model reads, evaluated on the test split with a model card.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path

import numpy as np

from fazhi.evaluation.metrics import best_threshold, compute_metrics
from fazhi.labels import CATEGORIES, Row
from fazhi.model.cascade import combine, routed_units
from fazhi.model.config import TRAINING
from fazhi.model.hybrid import baseline_evidence, evidence_matrix
from fazhi.model.prediction import Scores
from fazhi.training.configs import CascadeConfig


def _figures(rows: Sequence[Row], scores: Scores) -> tuple[float, float]:
    m = compute_metrics([r.category for r in rows], scores.categories, [r.problem for r in rows], scores.problems)
    return m["macro_f1"], m["problem"]["f1"]


def _folds(rows: Sequence[Row], k: int, seed: int) -> list[np.ndarray]:
    """k folds of row indices, whole documents kept together (units of one report share their context)."""
    docs = sorted({r.doc for r in rows})
    rng = np.random.default_rng(seed)
    rng.shuffle(docs)
    fold_of = {d: i % k for i, d in enumerate(docs)}
    return [np.array([i for i, r in enumerate(rows) if fold_of[r.doc] == f]) for f in range(k)]


def fit_head(
    x: np.ndarray, rows: Sequence[Row], config: CascadeConfig, log: Callable[[str], None]
) -> tuple[dict[str, np.ndarray], float, Scores, dict]:
    """The hybrid head fitted on all of x, its problem threshold, its out-of-fold scores of these rows, and the
    cross-validation record."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression

    y_cat = np.array([CATEGORIES.index(r.category) for r in rows])
    y_prob = np.array([r.problem for r in rows])
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    z = (x - mean) / scale
    folds = _folds(rows, config.folds, config.seed)
    weight = None if config.class_weight == "none" else config.class_weight

    def cat_model(c: float):
        return LogisticRegression(C=c, class_weight=weight, max_iter=5000)

    def prob_model(c: float):
        return LogisticRegression(C=c, class_weight=weight, max_iter=5000)

    record: dict = {"category": {}, "problem": {}}
    best_cat: tuple[float, float, np.ndarray] | None = None
    best_prob: tuple[float, float, np.ndarray, float] | None = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for c in config.head_c_grid:
            oof_cat = np.zeros((len(rows), len(CATEGORIES)))
            oof_prob = np.zeros(len(rows))
            for f in folds:
                train = np.setdiff1d(np.arange(len(rows)), f)
                m = cat_model(c).fit(z[train], y_cat[train])
                oof_cat[np.ix_(f, m.classes_)] = m.predict_proba(z[f])
                p = prob_model(c).fit(z[train], y_prob[train])
                oof_prob[f] = p.predict_proba(z[f])[:, 1]
            macro = compute_metrics(
                [r.category for r in rows],
                [CATEGORIES[k] for k in oof_cat.argmax(axis=1)],
                [False] * len(rows),
                [False] * len(rows),
            )["macro_f1"]
            t, pf1 = best_threshold(list(y_prob), oof_prob)
            record["category"][str(c)] = macro
            record["problem"][str(c)] = pf1
            log(f"head C={c:g}: out-of-fold dev macro-F1 {macro:.3f}, problem F1 {pf1:.3f} at {t:.2f}")
            if best_cat is None or macro > best_cat[0]:
                best_cat = (macro, c, oof_cat)
            if best_prob is None or pf1 > best_prob[0]:
                best_prob = (pf1, c, oof_prob, t)
        assert best_cat is not None and best_prob is not None  # the grid is never empty
        cat = cat_model(best_cat[1]).fit(z, y_cat)
        prob = prob_model(best_prob[1]).fit(z, y_prob)
    cat_coef = np.zeros((len(CATEGORIES), z.shape[1]))
    cat_intercept = np.full(len(CATEGORIES), -30.0)  # a class absent from dev is never predicted
    for row, k in enumerate(cat.classes_):
        cat_coef[k] = cat.coef_[row] if len(cat.classes_) > 2 else (cat.coef_[0] if row else -cat.coef_[0])
        cat_intercept[k] = (
            cat.intercept_[row] if len(cat.classes_) > 2 else (cat.intercept_[0] if row else -cat.intercept_[0])
        )
    head = {
        "mean": mean,
        "scale": scale,
        "cat_coef": cat_coef,
        "cat_intercept": cat_intercept,
        "prob_coef": prob.coef_[0],
        "prob_intercept": np.array([prob.intercept_[0]]),
    }
    threshold = best_prob[3]
    record.update(
        {
            "chosen_category_C": best_cat[1],
            "chosen_problem_C": best_prob[1],
            "oof_dev_macro_f1": best_cat[0],
            "oof_dev_problem_f1": best_prob[0],
            "folds": config.folds,
            "dev_rows": len(rows),
        }
    )
    oof = Scores(tuple(CATEGORIES), best_cat[2], best_prob[2], threshold)
    return head, threshold, oof, record


def choose_routing(
    first: Scores, second: Scores, rows: Sequence[Row], config: CascadeConfig, log: Callable[[str], None]
) -> tuple[float, float, float, float, list[dict]]:
    """(margin, problem_margin, second_weight, share routed, grid) with the best dev macro-F1 + problem F1 among
    the points that route at most max_share of the rows; ties go to the point that routes fewer units."""
    grid = []
    for m in config.margins:
        for pm in config.problem_margins:
            routed = routed_units(first, m, pm)
            share = float(routed.mean()) if len(routed) else 0.0
            for w in config.weights:
                sub = Scores(
                    second.labels, second.category_probs[routed], second.problem_probs[routed], second.threshold
                )
                macro, pf1 = _figures(rows, combine(first, routed, sub, w))
                grid.append(
                    {
                        "margin": m,
                        "problem_margin": pm,
                        "second_weight": w,
                        "share": share,
                        "macro_f1": macro,
                        "problem_f1": pf1,
                    }
                )
    allowed = [g for g in grid if g["share"] <= config.max_share] or [min(grid, key=lambda g: g["share"])]
    best = max(allowed, key=lambda g: (round(g["macro_f1"] + g["problem_f1"], 6), -g["share"]))
    log(
        f"routing: margin {best['margin']}, problem margin {best['problem_margin']}, second weight "
        f"{best['second_weight']}: {best['share']:.1%} of dev routed, dev macro-F1 {best['macro_f1']:.3f}, problem "
        f"F1 {best['problem_f1']:.3f}"
    )
    return best["margin"], best["problem_margin"], best["second_weight"], best["share"], grid


def dev_parts(baseline, bert, dev: Sequence[Row]) -> tuple[list[str], Scores, Scores, np.ndarray, list[str]]:
    """Both parts' dev scores and the hybrid head's input rows, each unit read with its context."""
    from fazhi.pipeline.context import row_contexts

    contexts = row_contexts(dev)
    texts = [r.text for r in dev]
    base_scores = baseline.predict(texts, contexts)
    bert_scores = bert.predict(texts, contexts)
    x, names = evidence_matrix(baseline_evidence(baseline, texts, contexts), bert_scores, contexts)
    return contexts, base_scores, bert_scores, x, names


def build(
    kind: str,
    baseline_dir: Path,
    bert_dir: Path,
    data: Path,
    output: Path,
    config: CascadeConfig | None = None,
    log: Callable[[str], None] = print,
) -> Path:
    """Fit the hybrid head and/or the cascade's routing on dev, write the directory atomically, evaluate on test."""
    from fazhi.evaluation.evaluate import evaluate_rows
    from fazhi.labels import load_splits, read_documents
    from fazhi.model import load_model
    from fazhi.model.cascade import save_cascade
    from fazhi.model.hybrid import save_hybrid
    from fazhi.training.common import atomic_directory, write_test_results

    if kind not in ("cascade", "hybrid"):
        raise ValueError(f"expected kind cascade or hybrid, found {kind!r}")
    config = config or CascadeConfig()
    started = time.time()
    splits = load_splits(data, need=("train", "dev"))
    dev = splits["dev"]
    baseline = load_model(baseline_dir)
    bert = load_model(bert_dir)
    if getattr(baseline, "kind", None) is not None or not hasattr(baseline, "vocab"):
        raise ValueError(f"expected an n-gram baseline model in {baseline_dir}, found {type(baseline).__name__}")
    if not hasattr(bert, "tokenizer"):
        raise ValueError(f"expected a BERT model in {bert_dir}, found {type(bert).__name__}")
    log(f"dev rows: {len(dev)}; parts: {baseline.name} ({baseline_dir}), {bert.name} ({bert_dir})")
    _, base_scores, bert_scores, x, names = dev_parts(baseline, bert, dev)
    log(
        f"dev alone: n-grams macro-F1 {_figures(dev, base_scores)[0]:.3f} / problem F1 "
        f"{_figures(dev, base_scores)[1]:.3f}; BERT {_figures(dev, bert_scores)[0]:.3f} / "
        f"{_figures(dev, bert_scores)[1]:.3f}"
    )
    training: dict = {
        "config": asdict(config),
        "data": str(data),
        "dev_rows": len(dev),
        "parts_on_dev": {
            "baseline": dict(zip(("macro_f1", "problem_f1"), _figures(dev, base_scores), strict=True)),
            "bert": dict(zip(("macro_f1", "problem_f1"), _figures(dev, bert_scores), strict=True)),
        },
    }
    with tempfile.TemporaryDirectory(prefix="fazhi-hybrid-") as scratch, atomic_directory(output) as tmp:
        second_dir, second_dev = bert_dir, bert_scores
        if kind == "hybrid" or config.second == "hybrid":
            head, threshold, oof, record = fit_head(x, dev, config, log)
            training["head"] = record
            hybrid_dir = tmp if kind == "hybrid" else Path(scratch) / "hybrid"
            save_hybrid(
                hybrid_dir,
                baseline_dir,
                bert_dir,
                head,
                threshold,
                config.name if kind == "hybrid" else f"{config.name}-hybrid",
                names,
                training,
            )
            second_dir, second_dev = hybrid_dir, oof
        if kind == "cascade":
            margin, pm, w, share, grid = choose_routing(base_scores, second_dev, dev, config, log)
            training["routing"] = {
                "grid": grid,
                "chosen": {"margin": margin, "problem_margin": pm, "second_weight": w, "dev_share_routed": share},
            }
            save_cascade(tmp, baseline_dir, second_dir, margin, pm, w, config.name, training, share)
        config_file = tmp / "config.json"
        saved = json.loads(config_file.read_text(encoding="utf-8"))
        saved[TRAINING]["minutes"] = round((time.time() - started) / 60, 2)
        config_file.write_text(json.dumps(saved, ensure_ascii=False, indent=2), encoding="utf-8")
        model = load_model(tmp)
        test = splits["test"]
        result = evaluate_rows(model, test, f"{config.name} on test", read_documents(data)) if test else None
        write_test_results(tmp, result, config.name, log)
    return output.resolve()


def main(argv: Sequence[str] | None = None) -> int:
    from fazhi.paths import DEFAULT_BASELINE_DIR, DEFAULT_BERT_DIR, LABELS_DIR

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kind", choices=["cascade", "hybrid"], required=True, help="which model kind to build")
    parser.add_argument(
        "--baseline", default=str(DEFAULT_BASELINE_DIR), help="the n-gram model directory (default: %(default)s)"
    )
    parser.add_argument("--bert", default=str(DEFAULT_BERT_DIR), help="the BERT model directory (default: %(default)s)")
    parser.add_argument(
        "--data",
        default=str(LABELS_DIR),
        help="label folder whose dev split fits the head and margins (default: %(default)s)",
    )
    parser.add_argument("--output", required=True, help="model directory to write")
    defaults = CascadeConfig()
    parser.add_argument(
        "--second",
        choices=["bert", "hybrid"],
        default=defaults.second,
        help="cascade: what unsure units go to (default: %(default)s)",
    )
    parser.add_argument(
        "--max-share",
        type=float,
        default=defaults.max_share,
        help="cascade: most dev units routed (default: %(default)s)",
    )
    parser.add_argument("--name", default=None, help="model name (default: fazhi-cascade or fazhi-hybrid)")
    args = parser.parse_args(argv)
    from fazhi.hub import quiet_transformers

    quiet_transformers()
    config = CascadeConfig(second=args.second, max_share=args.max_share, name=args.name or f"fazhi-{args.kind}")
    build(
        args.kind,
        Path(args.baseline),
        Path(args.bert),
        Path(args.data),
        Path(args.output),
        config,
        log=lambda m: print(m, flush=True),
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
