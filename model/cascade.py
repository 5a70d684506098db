"""The cascade: the n-gram model answers where it is sure, a slower second model where it is not.

The baseline reads about 12,000 sentences/s on 2 cores and the BERT a few
hundred, so a tagger that sends every unit through the BERT cannot reach the
speed target. The cascade scores every unit with the n-gram model (the first
part), and sends on to the second part (a BERT, or a hybrid of both) only the
units the first is unsure of:

- its top two category probabilities are less than ``margin`` apart, or
- its problem score lies within ``problem_margin`` of its own threshold
  (measured as |logit(p) - logit(threshold)|).

For a routed unit the answer is ``second_weight`` × the second part's
probabilities + (1 − ``second_weight``) × the first's; its problem score is
the same mix of the two parts' problem logits, each taken relative to its own
threshold, so the cascade flags at 0.5 and a unit that is not routed keeps
exactly the first part's flag. The margins and the weight are chosen on the
project's dev split (fazhi.training.cascade), never on real text.

A cascade directory holds both parts as ordinary model directories:

    config.json   {"fazhi_model": "cascade", "parts": {"first": "first", "second": "second"}, margin, ...}
    first/        the n-gram model as the baseline stores it (vocab JSON + weights .npz)
    second/       a BERT (save_pretrained, safetensors) or a hybrid directory
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from fazhi.model.config import KIND, NAME, TRAINING, read_config, write_config
from fazhi.model.hybrid import _shifted_logit, copy_part
from fazhi.model.prediction import Predictor, Scores


def category_margin(scores: Scores) -> np.ndarray:
    """Top category probability minus the second one, per unit."""
    if not len(scores):
        return np.zeros(0)
    top2 = np.sort(scores.category_probs, axis=1)[:, -2:]
    return top2[:, 1] - top2[:, 0]


def problem_logit(scores: Scores) -> np.ndarray:
    """Each unit's problem logit relative to its model's threshold (0 at the threshold)."""
    return _shifted_logit(scores.problem_probs, scores.threshold)


def routed_units(first: Scores, margin: float, problem_margin: float = 0.0) -> np.ndarray:
    """Which units go on to the second part: category margin under margin, or problem logit within problem_margin of
    the threshold."""
    return (category_margin(first) < margin) | (np.abs(problem_logit(first)) < problem_margin)


def combine(first: Scores, routed: np.ndarray, second: Scores, second_weight: float) -> Scores:
    """The cascade's scores: first's where not routed; the weighted mix where routed (second holds the routed
    units' scores, in order)."""
    cat = first.category_probs.copy()
    z = problem_logit(first)
    if routed.any():
        w = float(second_weight)
        cat[routed] = w * second.category_probs + (1.0 - w) * first.category_probs[routed]
        z[routed] = w * problem_logit(second) + (1.0 - w) * z[routed]
    return Scores(first.labels, cat, 1.0 / (1.0 + np.exp(-z)), 0.5)


class CascadePredictor:
    """The first part's answer where it is sure, the second part's (or their mix) where not."""

    kind = "cascade"

    def __init__(
        self,
        first,
        second,
        margin: float,
        problem_margin: float = 0.0,
        second_weight: float = 1.0,
        name: str = "cascade",
        dev_share_routed: float | None = None,
    ) -> None:
        if tuple(first.labels) != tuple(second.labels):
            raise ValueError(f"expected parts with the same labels, found {first.labels} and {second.labels}")
        if not 0.0 <= second_weight <= 1.0:
            raise ValueError(f"expected second_weight between 0 and 1, found {second_weight}")
        self.first = first
        self.second = second
        self.margin = float(margin)
        self.problem_margin = float(problem_margin)
        self.second_weight = float(second_weight)
        self.parts = (first, second)  # fazhi.model.checks proves each part's weights
        self.dev_share_routed = dev_share_routed
        self.labels = tuple(first.labels)
        self.threshold = 0.5  # problem scores are relative to each part's own threshold (see combine)
        self.name = name
        self.max_chars = None  # the first part reads all of a long unit
        self.int8 = second.int8
        self.reads_context = first.reads_context or second.reads_context
        share = f", {dev_share_routed:.0%} of dev units" if dev_share_routed is not None else ""
        second_says = getattr(second, "composition", f"the BERT ({second.name})")
        mix = "answers" if self.second_weight == 1.0 else f"is mixed in at weight {self.second_weight:g}"
        self.composition = (
            f"cascade: the n-gram model ({first.name}) answers where its top two categories are at least "
            f"{self.margin:g} apart"
            + (
                f" and its problem score is clear of its threshold by {self.problem_margin:g} in logit"
                if self.problem_margin
                else ""
            )
            + f"; elsewhere ({share.removeprefix(', ') or 'the rest'}) {second_says} {mix}"
        )

    def route(self, texts: Sequence[str], contexts: Sequence[str] | None = None) -> np.ndarray:
        """Which of these units the second part reads (True) — the same decision predict() makes."""
        return routed_units(self.first.predict(texts, contexts), self.margin, self.problem_margin)

    def predict(self, texts: Sequence[str], contexts: Sequence[str] | None = None) -> Scores:
        first = self.first.predict(texts, contexts)
        routed = routed_units(first, self.margin, self.problem_margin)
        idx = [int(i) for i in np.flatnonzero(routed)]
        if not len(idx):
            return combine(first, routed, first, self.second_weight)
        second = self.second.predict(
            [texts[i] for i in idx], [contexts[i] for i in idx] if contexts is not None else None
        )
        return combine(first, routed, second, self.second_weight)

    @classmethod
    def load(
        cls, directory: Path, load_part: Callable[..., Predictor], quantize: bool | None = None
    ) -> CascadePredictor:
        directory = Path(directory)
        config = read_config(directory)
        parts = config["parts"]
        first = load_part(directory / parts["first"])
        second = load_part(directory / parts["second"], quantize=quantize)
        return cls(
            first,
            second,
            config["margin"],
            config.get("problem_margin", 0.0),
            config.get("second_weight", 1.0),
            config.get(NAME, directory.name),
            config.get("dev_share_routed"),
        )


def save_cascade(
    directory: Path,
    first_dir: Path,
    second_dir: Path,
    margin: float,
    problem_margin: float,
    second_weight: float,
    name: str,
    training: dict,
    dev_share_routed: float | None = None,
) -> Path:
    """Write a cascade directory: both parts copied in as they are, and config.json naming them and the routing."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    copy_part(first_dir, directory / "first")
    copy_part(second_dir, directory / "second")
    kinds = {}
    for part in ("first", "second"):
        kinds[part] = read_config(directory / part).get(KIND)
    config = {
        KIND: "cascade",
        NAME: name,
        "parts": {"first": "first", "second": "second"},
        "part_kinds": kinds,
        "id2label": read_config(directory / "first")["id2label"],
        "margin": float(margin),
        "problem_margin": float(problem_margin),
        "second_weight": float(second_weight),
        "problem_threshold": 0.5,
        "dev_share_routed": dev_share_routed,
        TRAINING: training,
    }
    write_config(directory, config)
    return directory


def card_lines(config: dict) -> list[str]:
    """The model card's description of a cascade or hybrid directory, from its config.json."""
    t = config.get(TRAINING, {}) or {}
    dev = t.get("parts_on_dev", {})
    parts = ", ".join(f"{k} {v['macro_f1']:.3f} / {v['problem_f1']:.3f}" for k, v in dev.items())
    head = t.get("head")
    head_line = (
        "- hybrid head: linear softmax (category) and logistic (problem) over both parts' evidence, fitted on the "
        f"dev split ({head['dev_rows']} units; C {head['chosen_category_C']:g} / {head['chosen_problem_C']:g} by "
        f"{head['folds']}-fold cross-validation over documents: out-of-fold macro-F1 {head['oof_dev_macro_f1']:.3f}, "
        f"problem F1 {head['oof_dev_problem_f1']:.3f})"
        if head
        else None
    )
    if config.get(KIND) == "hybrid":
        lines = [
            "- kind: hybrid — every unit is read by the n-gram model (`baseline/`) and the BERT (`bert/`); a "
            "stacked head decides",
            head_line or "",
            f"- problem threshold: {config.get('problem_threshold', 0.5):.2f} (chosen on the head's out-of-fold "
            "dev scores)",
        ]
    else:
        kinds = config.get("part_kinds", {})
        second = "a hybrid of the n-grams and the BERT" if kinds.get("second") == "hybrid" else "the fine-tuned BERT"
        share = config.get("dev_share_routed")
        lines = [
            f"- kind: cascade — the n-gram model (`first/`) answers where it is sure; {second} (`second/`) reads "
            "the rest",
            f"- routed: top-two category margin under {config.get('margin'):g}"
            + (
                f" or problem logit within {config.get('problem_margin'):g} of the threshold"
                if config.get("problem_margin")
                else ""
            )
            + (f": {share:.1%} of dev units" if share is not None else "")
            + "; chosen on the project's dev split",
            f"- a routed unit's scores: {config.get('second_weight', 1.0):g} × the second part's + the rest × the "
            "n-grams' (problem scores as logits relative to each part's threshold)",
        ]
        if head_line:
            lines.append(head_line)
    if parts:
        lines.append(f"- parts alone on dev (category macro-F1 / problem F1): {parts}")
    return [line for line in lines if line]
