"""What every model returns: scores, with no formatting and no side effects."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

BATCH_SIZE = 64  # sentences per model call: a BERT predictor's, `fazhi classify`'s and the server's micro-batches


@dataclass(frozen=True)
class Scores:
    """Scores for a batch of sentences.

    category_probs[i, k] is the probability of labels[k] for sentence i;
    problem_probs[i] is the probability that sentence i states a problem,
    flagged when it reaches threshold.
    """

    labels: tuple[str, ...]
    category_probs: np.ndarray  # shape (n, len(labels))
    problem_probs: np.ndarray  # shape (n,)
    threshold: float

    def __len__(self) -> int:
        return len(self.problem_probs)

    @property
    def categories(self) -> list[str]:
        return [self.labels[k] for k in self.category_probs.argmax(axis=1)] if len(self) else []

    @property
    def problems(self) -> list[bool]:
        return [bool(p >= self.threshold) for p in self.problem_probs]


class Predictor(Protocol):
    name: str
    labels: tuple[str, ...]
    threshold: float
    # Longest input, in characters, the model reads in full; longer text is
    # truncated by predict(). None means no limit.
    max_chars: int | None
    # Whether BERT Linear layers run as dynamic int8 (scores then move in the 5th decimal, so outputs round them
    # to fewer places), and whether scores depend on each unit's context: both said by every model kind.
    int8: bool
    reads_context: bool

    def predict(self, texts: Sequence[str], contexts: Sequence[str] | None = None) -> Scores:
        """Scores for texts; contexts (one per text: the report title and headings above it, '' for none)
        are read by models trained with context and ignored by others."""
        ...
