"""Models behind fazhi's stable prediction interface, and the shipped defaults.

Every model directory is self-describing: its ``config.json`` says which kind
of model it holds and carries the label maps, so nothing outside the directory
is read to decode a prediction.
"""

from __future__ import annotations

import json
from pathlib import Path

from fazhi.model.prediction import Predictor, Scores

__all__ = ["Predictor", "Scores", "load_model", "default_model_dir"]


def default_model_dir() -> Path:
    """The model fazhi uses when no --model is given: the shipped BERT (model/bert, rebuilt by `make model`)."""
    from fazhi.paths import DEFAULT_BERT_DIR

    return DEFAULT_BERT_DIR


def load_model(path: str | Path | None = None, quantize: bool | None = None) -> Predictor:
    """Load a model directory written by `fazhi train`.

    quantize: dynamic int8 for BERT's linear layers; None follows the model
    directory's own setting (fazhi_int8 in its config.json).
    """
    directory = Path(path) if path is not None else default_model_dir()
    config_file = directory / "config.json"
    if not config_file.is_file():
        raise FileNotFoundError(f"expected a model directory containing config.json, found none at {directory}")
    config = json.loads(config_file.read_text(encoding="utf-8"))
    kind = config.get("fazhi_model")
    if kind == "baseline":
        from fazhi.model.baseline import BaselineModel

        return BaselineModel.load(directory)
    if kind == "bert":
        from fazhi.hub import quiet_transformers
        from fazhi.model.bert import BertPredictor

        quiet_transformers()
        return BertPredictor.load(directory, quantize=quantize)
    raise ValueError(f"{config_file}: expected 'fazhi_model' to be 'baseline' or 'bert', found {kind!r}")
