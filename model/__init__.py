"""Models behind fazhi's stable prediction interface, and the shipped defaults.

Every model directory is self-describing: its ``config.json`` says which kind
of model it holds and carries the label maps, so nothing outside the directory
is read to decode a prediction.
"""

from __future__ import annotations

import json
from pathlib import Path

from fazhi.errors import ModelLoadError
from fazhi.model.checks import prove
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
    config_file = directory / "config.json"
    if not config_file.is_file():
        raise ModelLoadError(f"expected a model directory containing config.json, found none at {directory}")
    try:
        config = json.loads(config_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:  # ValueError: bad JSON or bad UTF-8
        raise ModelLoadError(f"{config_file}: not a valid model config: {_one_line(exc)}") from None
    if not isinstance(config, dict):
        raise ModelLoadError(f"{config_file}: expected a JSON object, found {type(config).__name__}")
    kind = config.get("fazhi_model")
    if kind not in ("baseline", "bert", "cascade", "hybrid"):
        raise ModelLoadError(f"{config_file}: expected 'fazhi_model' to be 'baseline', 'bert', 'cascade' or 'hybrid', found {kind!r}")
    try:
        if kind in ("cascade", "hybrid"):  # made of parts, each an ordinary model directory inside this one
            from fazhi.model.cascade import CascadePredictor
            from fazhi.model.hybrid import HybridPredictor

            return (CascadePredictor if kind == "cascade" else HybridPredictor).load(directory, quantize=quantize)
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
