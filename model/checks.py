"""Models prove themselves at load, and every batch of scores is checked before it becomes a label.

A model directory whose files are damaged can still load: random bytes in the
middle of model.safetensors give NaN weights, and a baseline whose arrays do
not fit each other fails only when a sentence is scored. ``prove`` refuses
both at load (ModelLoadError: exit 3, and `fazhi serve` does not start):

- every weight is a finite number;
- a baseline's arrays fit each other (integer vocabulary indices within the
  IDF weights, coefficient shapes matching the features and the labels);
- the problem threshold is a number from 0 to 1;
- a known sentence gets finite scores in [0, 1] whose category scores sum
  to 1.

``check_scores`` is the same test for every batch at run time: a model that
goes wrong afterwards raises ModelOutputError instead of writing NaN as a
label (JSON cannot hold NaN).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from fazhi.errors import EXIT_MODEL, FazhiError
from fazhi.model.prediction import Predictor, Scores

__all__ = [
    "ModelOutputError",
    "KNOWN_SENTENCES",
    "check_scores",
    "prove",
    "check_weights",
    "check_baseline_shapes",
    "check_threshold",
]

# Real-looking sentences of two kinds, with a context, scored at every load.
KNOWN_SENTENCES = ("全面推进依法行政，建设法治政府。", "行政执法人员力量不足，执法水平有待提高。")
KNOWN_CONTEXT = "某区2023年法治政府建设年度报告 › 二、存在的问题"
_SUM_TOLERANCE = 1e-3  # float16 weights and int8 layers move the sum by far less


class ModelOutputError(FazhiError, RuntimeError):
    """The model gave scores that are not probabilities (NaN, infinite, out of [0, 1], or not summing to 1): one line
    and exit 3 on the command line, 500 model_error from the service."""

    exit_code = EXIT_MODEL


def check_scores(scores: Scores, n: int) -> Scores:
    """scores, when they are n rows of probabilities over the labels; else ModelOutputError saying what was found."""
    cat = np.asarray(scores.category_probs, dtype=np.float64)
    prob = np.asarray(scores.problem_probs, dtype=np.float64)
    if cat.shape != (n, len(scores.labels)) or prob.shape != (n,):
        raise ModelOutputError(
            f"the model gave scores of shape {cat.shape} and {prob.shape} for {n} sentences and "
            f"{len(scores.labels)} labels, expected ({n}, {len(scores.labels)}) and ({n},)"
        )
    if n == 0:
        return scores
    bad = ~(np.isfinite(cat).all(axis=1) & np.isfinite(prob))
    if bad.any():
        raise ModelOutputError(
            f"the model gave scores that are not finite numbers (NaN or infinite) for {int(bad.sum())} of {n} sentences"
        )
    if (cat < 0).any() or (cat > 1).any() or (prob < 0).any() or (prob > 1).any():
        raise ModelOutputError("the model gave scores outside [0, 1]")
    sums = cat.sum(axis=1)
    worst = float(np.abs(sums - 1).max())
    if worst > _SUM_TOLERANCE:
        raise ModelOutputError(f"the model's category scores do not sum to 1 (off by up to {worst:.3g})")
    return scores


def _arrays(model: Any) -> Iterator[tuple[str, np.ndarray]]:
    """Every weight array of model: a torch module's parameters and buffers, or a baseline's NumPy arrays."""
    module = getattr(model, "model", None)
    if module is not None and hasattr(module, "state_dict"):
        for name, tensor in module.state_dict().items():
            if callable(getattr(tensor, "is_floating_point", None)) and tensor.is_floating_point():
                yield name, tensor.detach().float().numpy()
    for name, value in vars(model).items():
        if isinstance(value, np.ndarray) and np.issubdtype(value.dtype, np.floating):
            yield name, value
    for part in getattr(model, "parts", ()) or ():
        yield from _arrays(part)


def check_weights(model: Any) -> None:
    """ValueError naming the first weight that holds NaN or an infinity."""
    for name, array in _arrays(model):
        if not np.isfinite(array).all():
            bad = int((~np.isfinite(array)).sum())
            raise ValueError(
                f"weight {name!r} holds {bad} values that are not finite numbers (NaN or "
                "infinite): the weights are damaged"
            )


def check_baseline_shapes(model: Any) -> None:
    """ValueError when a baseline's vocabulary, IDF weights, coefficients and labels do not fit each other."""
    if not all(hasattr(model, a) for a in ("vocab", "idf", "cat_coef", "cat_intercept", "prob_coef")):
        return
    n_features = len(model.idf)
    for vocab_name, vocab, idf in (
        ("vocab.json", model.vocab, model.idf),
        ("context_vocab.json", getattr(model, "context_vocab", {}), getattr(model, "context_idf", np.zeros(0))),
    ):
        if vocab:
            odd = next((k for k, v in vocab.items() if type(v) is not int), None)
            if odd is not None:
                raise ValueError(
                    f"{vocab_name} maps {odd[:20]!r} to {vocab[odd]!r}, expected an integer index for every n-gram"
                )
            top = max(vocab.values())
            low = min(vocab.values())
            if low < 0 or top >= len(idf):
                raise ValueError(
                    f"{vocab_name} has indices from {low} to {top}, expected 0 to {len(idf) - 1} (one per IDF weight)"
                )
    n_context = len(getattr(model, "context_idf", np.zeros(0))) if getattr(model, "context_vocab", None) else 0
    width = n_features + n_context
    k = len(model.labels)
    expected = {"cat_coef": (k, width), "cat_intercept": (k,), "prob_coef": (width,)}
    for name, shape in expected.items():
        found = tuple(np.shape(getattr(model, name)))
        if found != shape:
            raise ValueError(
                f"weights.npz array {name!r} has shape {found}, expected {shape} ({k} labels, {width} features)"
            )


def check_threshold(model: Predictor) -> None:
    """ValueError unless the problem threshold is a probability (7 or NaN would never flag a sentence)."""
    found = model.threshold
    if isinstance(found, bool) or not isinstance(found, (int, float)) or not 0 <= found <= 1:
        raise ValueError(
            f"the problem threshold (problem_threshold in config.json) is {found!r}, expected a number from 0 to 1"
        )


def prove(model: Predictor) -> None:
    """ValueError unless model's weights are finite, its arrays fit, its threshold is a probability, and a known
    sentence gets probabilities."""
    check_threshold(model)
    check_weights(model)
    check_baseline_shapes(model)
    try:
        scores = model.predict(list(KNOWN_SENTENCES), [KNOWN_CONTEXT, ""])
        check_scores(scores, len(KNOWN_SENTENCES))
    except ModelOutputError as exc:
        raise ValueError(f"on a known sentence {exc}") from None
    except (ValueError, IndexError, KeyError, TypeError, RuntimeError) as exc:
        raise ValueError(f"the model fails on a known sentence: {exc.__class__.__name__}: {exc}") from None
