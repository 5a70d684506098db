"""The hybrid: a small head that reads the BERT's scores beside the n-gram model's evidence.

The n-gram baseline and the BERT err differently on real reports (issue 16:
of the baseline's category errors, the BERT gets a quarter right), and an
average of their probabilities loses to the baseline alone. The head instead
learns, per category, how far to trust each part, and it sees the baseline's
evidence split into what the unit's own n-grams say and what its context
(report title and headings) says, so that it can weigh the context more when
the unit alone names no area (TAXONOMY rule 11).

The head is two linear models over standardised evidence features (a softmax
for the category, a logistic for the problem flag), stacked: both parts were
trained on the train split only, and the head is fitted on their scores of
the dev split, which neither part trained on (fazhi.training.cascade).

A hybrid directory holds both parts as ordinary model directories and the
head as safetensors:

    config.json        {"fazhi_model": "hybrid", "parts": {"baseline": "baseline", "bert": "bert"},
                       features, threshold...}
    head.safetensors   mean, scale, cat_coef, cat_intercept, prob_coef, prob_intercept (float32)
    baseline/          the n-gram model as the baseline stores it (vocab JSON + weights .npz)
    bert/              the fine-tuned BERT (save_pretrained, safetensors)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from fazhi.model.config import KIND, NAME, TRAINING, read_config, write_config
from fazhi.model.prediction import Predictor, Scores

HEAD_FILE = "head.safetensors"
HEAD_ARRAYS = ("mean", "scale", "cat_coef", "cat_intercept", "prob_coef", "prob_intercept")
# Log-probabilities are clipped here: the baseline gives a class absent from its training data
# an intercept of -1e4, which would otherwise dominate the standardised features.
LOG_FLOOR = -20.0


def _log_softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    return np.maximum(z - np.log(np.exp(z).sum(axis=1, keepdims=True)), LOG_FLOOR)


def _shifted_logit(p: np.ndarray, threshold: float) -> np.ndarray:
    """logit(p) - logit(threshold): 0 at the model's own threshold, so two models' problem scores compare."""
    eps = 1e-6
    p = np.clip(p, eps, 1 - eps)
    t = min(max(threshold, eps), 1 - eps)
    return np.log(p / (1 - p)) - np.log(t / (1 - t))


def baseline_evidence(baseline, texts: Sequence[str], contexts: Sequence[str] | None) -> dict[str, np.ndarray]:
    """The baseline's evidence for each unit: its log-probabilities, the logits of the unit's own n-grams and of
    its context block taken apart (the model is linear, so they add up to its logits), and its problem logit
    relative to its threshold."""
    x = baseline.transform(texts, contexts)
    v = len(baseline.vocab)
    coef = baseline.cat_coef
    intercept = np.maximum(baseline.cat_intercept, LOG_FLOOR)
    unit = np.asarray(x[:, :v] @ coef[:, :v].T) + intercept
    ctx = np.asarray(x[:, v:] @ coef[:, v:].T) if x.shape[1] > v else np.zeros_like(unit)
    z = np.asarray(x @ baseline.prob_coef).ravel() + baseline.prob_intercept
    return {
        "logp": _log_softmax(unit + ctx),
        "unit": _log_softmax(unit),
        "context": ctx,
        "problem": z - float(np.log(baseline.threshold / (1 - baseline.threshold))),
    }


def evidence_matrix(
    base: dict[str, np.ndarray], bert: Scores, contexts: Sequence[str] | None
) -> tuple[np.ndarray, list[str]]:
    """The head's input rows and the names of their columns."""
    n = len(bert)
    has_context = np.array([1.0 if c else 0.0 for c in contexts] if contexts is not None else [0.0] * n)
    unit_conf = np.exp(base["unit"]).max(axis=1)
    bert_logp = np.maximum(np.log(np.clip(bert.category_probs, 1e-12, 1.0)), LOG_FLOOR)
    labels = bert.labels
    blocks = [
        ("base_logp", base["logp"]),
        ("base_unit", base["unit"]),
        ("base_context", base["context"]),
        # Context evidence where the unit alone is unsure: lets a linear head follow the context
        # mostly for units that name no area of their own.
        ("base_context_x_unsure", base["context"] * (1.0 - unit_conf)[:, None]),
        ("bert_logp", bert_logp),
    ]
    cols = [b for _, b in blocks] + [
        base["problem"][:, None],
        _shifted_logit(bert.problem_probs, bert.threshold)[:, None],
        has_context[:, None],
    ]
    names = [f"{name}:{l}" for name, _ in blocks for l in labels] + ["base_problem", "bert_problem", "has_context"]
    return np.hstack(cols).astype(np.float64), names


class HybridPredictor:
    """Category and problem from a linear head over both parts' evidence."""

    kind = "hybrid"

    def __init__(
        self, baseline, bert, head: dict[str, np.ndarray], threshold: float = 0.5, name: str = "hybrid"
    ) -> None:
        if tuple(baseline.labels) != tuple(bert.labels):
            raise ValueError(f"expected parts with the same labels, found {baseline.labels} and {bert.labels}")
        missing = [k for k in HEAD_ARRAYS if k not in head]
        if missing:
            raise ValueError(f"expected head arrays {', '.join(HEAD_ARRAYS)}, found no {', '.join(missing)}")
        self.baseline = baseline
        self.bert = bert
        self.head = {k: np.asarray(head[k], dtype=np.float64) for k in HEAD_ARRAYS}
        bad = [k for k, v in self.head.items() if not np.isfinite(v).all()]
        if bad:
            raise ValueError(f"expected finite head weights, found NaN or infinite values in {', '.join(bad)}")
        self.parts = (baseline, bert)  # fazhi.model.checks proves each part's weights
        self.labels = tuple(baseline.labels)
        self.threshold = float(threshold)
        self.name = name
        self.max_chars = None  # the n-gram part reads all of a long unit; the BERT part truncates its own input
        self.int8 = bert.int8
        self.reads_context = baseline.reads_context or bert.reads_context
        self.composition = (
            f"hybrid: a linear head over the n-gram model ({baseline.name}) and the BERT "
            f"({bert.name}), every unit read by both"
        )

    def features(self, texts: Sequence[str], contexts: Sequence[str] | None = None) -> np.ndarray:
        """Standardised evidence rows, as the head reads them."""
        x, _ = evidence_matrix(
            baseline_evidence(self.baseline, texts, contexts), self.bert.predict(texts, contexts), contexts
        )
        return (x - self.head["mean"]) / self.head["scale"]

    def predict(self, texts: Sequence[str], contexts: Sequence[str] | None = None) -> Scores:
        if not len(texts):
            return Scores(self.labels, np.zeros((0, len(self.labels))), np.zeros(0), self.threshold)
        x = self.features(texts, contexts)
        logits = x @ self.head["cat_coef"].T + self.head["cat_intercept"]
        probs = np.exp(_log_softmax(logits))
        probs /= probs.sum(axis=1, keepdims=True)
        z = x @ self.head["prob_coef"] + float(self.head["prob_intercept"][0])
        return Scores(self.labels, probs, 1.0 / (1.0 + np.exp(-z)), self.threshold)

    @classmethod
    def load(
        cls, directory: Path, load_part: Callable[..., Predictor], quantize: bool | None = None
    ) -> HybridPredictor:
        from safetensors.numpy import load_file

        directory = Path(directory)
        config = read_config(directory)
        parts = config["parts"]
        return cls(
            load_part(directory / parts["baseline"]),
            load_part(directory / parts["bert"], quantize=quantize),
            load_file(str(directory / HEAD_FILE)),
            config["problem_threshold"],
            config.get(NAME, directory.name),
        )


def save_hybrid(
    directory: Path,
    baseline_dir: Path,
    bert_dir: Path,
    head: dict[str, np.ndarray],
    threshold: float,
    name: str,
    feature_names: Sequence[str],
    training: dict,
) -> Path:
    """Write a hybrid directory: both parts copied in as they are, the head as safetensors, config.json."""
    from safetensors.numpy import save_file

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    copy_part(baseline_dir, directory / "baseline")
    copy_part(bert_dir, directory / "bert")
    save_file({k: np.ascontiguousarray(head[k], dtype=np.float32) for k in HEAD_ARRAYS}, str(directory / HEAD_FILE))
    config = {
        KIND: "hybrid",
        NAME: name,
        "parts": {"baseline": "baseline", "bert": "bert"},
        "part_kinds": {"baseline": _kind(baseline_dir), "bert": _kind(bert_dir)},
        "id2label": _labels(baseline_dir),
        "problem_threshold": float(threshold),
        "features": list(feature_names),
        TRAINING: training,
    }
    write_config(directory, config)
    return directory


def copy_part(src: Path, dst: Path) -> None:
    """Copy a part's model files into dst (not its card or evaluation, which describe it alone)."""
    import shutil

    shutil.copytree(
        src,
        dst,
        ignore=shutil.ignore_patterns("README.md", "evaluation.json", "evaluation.md", ".*"),
        dirs_exist_ok=True,
    )


def _kind(directory: Path) -> str:
    return str(read_config(Path(directory)).get(KIND))


def _labels(directory: Path) -> dict:
    return dict(read_config(Path(directory))["id2label"])
