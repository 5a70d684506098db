"""Settings of the baseline model (standard library only, so the CLI builds its options without heavy imports)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class BaselineConfig:
    """Settings of the baseline; saved inside the model directory."""

    ngram_min: int = field(default=1, metadata={"help": "shortest character n-gram"})
    ngram_max: int = field(default=3, metadata={"help": "longest character n-gram"})
    min_df: int = field(default=2, metadata={"help": "drop n-grams seen in fewer training sentences"})
    max_features: int = field(default=60000, metadata={"help": "keep at most this many n-grams (by frequency)"})
    c_grid: tuple[float, ...] = field(
        default=(1.0, 4.0, 16.0),
        metadata={"help": "inverse regularisation strengths tried; the best on dev macro-F1 is kept"},
    )
    class_weight: str = field(default="balanced", metadata={"help": "class weighting against label imbalance"})
    context_weight: float = field(
        default=0.5,
        metadata={
            "help": "weight of the context's n-grams (report title and headings) beside the sentence's; 0 "
            "reads the sentence alone"
        },
    )
    context_for_problem: bool = field(
        default=False,
        metadata={"help": "let the problem flag read the context block too (it reads the sentence alone otherwise)"},
    )
    seed: int = field(default=13, metadata={"help": "random seed"})
