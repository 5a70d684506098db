"""Models behind fazhi's stable prediction interface, and the shipped defaults.

Every model directory is self-describing: its ``config.json`` says which kind
of model it holds and carries the label maps, so nothing outside the directory
is read to decode a prediction.
"""

from __future__ import annotations

from pathlib import Path

from fazhi.errors import ModelLoadError
from fazhi.model.checks import prove
from fazhi.model.config import COMPOSITE_KINDS, model_kind, read_config
from fazhi.model.prediction import Predictor, Scores

__all__ = ["Predictor", "Scores", "ModelLoadError", "load_model", "default_model_dir"]


def default_model_dir() -> Path:
    """The model fazhi uses when no --model is given: the shipped variant that wins on real text (fazhi.paths)."""
    from fazhi.paths import DEFAULT_MODEL_DIR

    return DEFAULT_MODEL_DIR


def _load_unchecked(path: str | Path | None = None, quantize: bool | None = None) -> Predictor:
    """Load a model directory written by `fazhi train`.

    quantize: dynamic int8 for BERT's linear layers; None follows the model
    directory's own setting (fazhi_int8 in its config.json).

    Raises ModelLoadError, with one line naming what is wrong, for a directory
    that is not a model, a config.json that is not valid, missing or damaged
    weights, or a tokenizer that does not fit the model.
    """
    directory = Path(path) if path is not None else default_model_dir()
    config = read_config(directory)
    kind = model_kind(config, directory / "config.json")
    try:
        if kind in COMPOSITE_KINDS:  # made of parts, each an ordinary model directory inside this one
            from fazhi.model.cascade import CascadePredictor
            from fazhi.model.ensemble import EnsemblePredictor
            from fazhi.model.hybrid import HybridPredictor

            composite = {"cascade": CascadePredictor, "hybrid": HybridPredictor, "ensemble": EnsemblePredictor}[kind]
            # The parts are loaded (and checked) by this function: passed in, so the kinds never import it back.
            return composite.load(directory, load_model, quantize=quantize)
        if kind == "baseline":
            if quantize:
                raise ModelLoadError(f"{directory}: int8 applies to BERT models, found a baseline model (drop --int8)")
            from fazhi.model.baseline import BaselineModel

            return BaselineModel.load(directory)
        from fazhi.hub import quiet_transformers
        from fazhi.model.bert import BertPredictor

        quiet_transformers()
        return BertPredictor.load(directory, quantize=quantize)
    except ModelLoadError:
        raise
    except Exception as exc:  # missing or damaged files: whatever the loader raised, said in one line
        raise ModelLoadError(f"{directory}: cannot load the {kind} model: {_one_line(exc)}") from exc


def load_model(path: str | Path | None = None, quantize: bool | None = None) -> Predictor:
    """Load a model directory (see _load_unchecked), then make it prove itself (fazhi.model.checks): finite
    weights, arrays that fit, probabilities for a known sentence; ModelLoadError in one line otherwise."""
    directory = Path(path) if path is not None else default_model_dir()
    model = _load_unchecked(directory, quantize)
    try:
        prove(model)
    except ValueError as exc:
        raise ModelLoadError(f"{directory}: the model loads but would answer wrongly: {exc}") from None
    return model


def _one_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else exc.__class__.__name__
