"""Several models' probabilities averaged: one Predictor over member model directories.

A directory of this kind holds its members as sub-directories and a
``config.json`` naming them with their weights and the problem threshold of
the averaged score (chosen on the project's dev split when it was built).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from fazhi.model.config import KIND, NAME, read_config, write_config
from fazhi.model.prediction import Predictor, Scores


class EnsemblePredictor:
    """Weighted average of the members' category and problem probabilities."""

    def __init__(
        self, members: Sequence[Predictor], weights: Sequence[float], threshold: float = 0.5, name: str = "ensemble"
    ) -> None:
        if len(members) != len(weights) or not members:
            raise ValueError(f"expected one weight per member, found {len(weights)} weights for {len(members)} members")
        labels = {tuple(m.labels) for m in members}
        if len(labels) != 1:
            raise ValueError(f"expected members with the same labels, found {sorted(labels)}")
        self.members = list(members)
        total = float(sum(weights))
        self.weights = [float(w) / total for w in weights]
        self.labels = tuple(members[0].labels)
        self.threshold = float(threshold)
        self.name = name
        limits = [m.max_chars for m in members if m.max_chars is not None]
        self.max_chars = min(limits) if limits else None
        self.int8 = any(m.int8 for m in members)
        self.reads_context = any(m.reads_context for m in members)

    def predict(self, texts: Sequence[str], contexts: Sequence[str] | None = None) -> Scores:
        cat = np.zeros((len(texts), len(self.labels)))
        prob = np.zeros(len(texts))
        for m, w in zip(self.members, self.weights, strict=True):
            s = m.predict(texts, contexts)
            cat += w * s.category_probs
            prob += w * s.problem_probs
        return Scores(self.labels, cat, prob, self.threshold)

    def save(self, directory: Path, member_dirs: Sequence[Path]) -> Path:
        """Copy the members in and write config.json."""
        directory.mkdir(parents=True, exist_ok=True)
        names = []
        for i, src in enumerate(member_dirs):
            name = f"member{i}-{Path(src).name}"
            shutil.copytree(src, directory / name, dirs_exist_ok=True)
            names.append(name)
        config = {
            KIND: "ensemble",
            NAME: self.name,
            "problem_threshold": self.threshold,
            "id2label": {str(i): l for i, l in enumerate(self.labels)},
            "members": [{"dir": n, "weight": w} for n, w in zip(names, self.weights, strict=True)],
        }
        write_config(directory, config)
        return directory

    @classmethod
    def load(
        cls, directory: Path, load_part: Callable[..., Predictor], quantize: bool | None = None
    ) -> EnsemblePredictor:
        config = read_config(directory)
        members = [load_part(directory / m["dir"], quantize=quantize) for m in config["members"]]
        return cls(
            members,
            [m["weight"] for m in config["members"]],
            config["problem_threshold"],
            config.get(NAME, directory.name),
        )
