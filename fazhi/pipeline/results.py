"""The result rows fazhi returns, built in one place for `classify`, `tag`, the HTTP API and the writers.

- A **sentence result**: ``text, context, category, scores, problem,
  problem_score, truncated``.
- A **unit result** (a sentence unit of a report): ``doc, index, start, end,
  heading, is_heading`` and the sentence result's fields.

Blank sentences never reach the model: they get ``other`` with certainty and
no problem. Text longer than the model reads (``max_chars``) is cut before the
model call, which bounds the cost of a pathological input; its result echoes
the whole text and says ``truncated: true``.
"""

from __future__ import annotations

from collections.abc import Sequence

from fazhi.model.checks import check_scores
from fazhi.model.prediction import Predictor, Scores
from fazhi.pipeline.segment import Unit
from fazhi.reading.text import to_simplified
from fazhi.schema import SENTENCE_FIELDS, UNIT_FIELDS, SentenceRow, UnitRow

__all__ = [
    "SENTENCE_FIELDS",
    "UNIT_FIELDS",
    "SCORE_DECIMALS",
    "INT8_SCORE_DECIMALS",
    "score_decimals",
    "classify",
    "sentence_results",
    "unit_results",
]

SCORE_DECIMALS = 6
# Dynamic int8 quantises activations per call, so a sentence's scores move in
# the 5th-6th decimal with its batch-mates: 4 decimals keep the answer stable.
INT8_SCORE_DECIMALS = 4
# Text beyond this multiple of max_chars is never looked at by the model (its
# tokenizer reads at most max_chars characters), so it is cut before the call.
_PRECUT_FACTOR = 4


def score_decimals(model: Predictor) -> int:
    """Decimals of the scores returned for model's predictions (fewer for an int8 model)."""
    return INT8_SCORE_DECIMALS if model.int8 else SCORE_DECIMALS


def sentence_results(
    texts: Sequence[str], contexts: Sequence[str], scores: Scores, max_chars: int | None, decimals: int = SCORE_DECIMALS
) -> list[SentenceRow]:
    """One result per text, from the model's scores for them, rounded to decimals."""
    # categories and problems are computed over the whole batch: once, not per sentence.
    categories, problems = scores.categories, scores.problems
    return [
        {
            "text": text,
            "context": contexts[i],
            "category": categories[i],
            "scores": {
                label: round(float(p), decimals)
                for label, p in zip(scores.labels, scores.category_probs[i], strict=True)
            },
            "problem": problems[i],
            "problem_score": round(float(scores.problem_probs[i]), decimals),
            "truncated": max_chars is not None and len(text) > max_chars,
        }
        for i, text in enumerate(texts)
    ]


def _blank(text: str, context: str, labels: Sequence[str]) -> SentenceRow:
    return {
        "text": text,
        "context": context,
        "category": "other",
        "scores": {label: (1.0 if label == "other" else 0.0) for label in labels},
        "problem": False,
        "problem_score": 0.0,
        "truncated": False,
    }


def classify(model: Predictor, texts: Sequence[str], contexts: Sequence[str] | None = None) -> list[SentenceRow]:
    """Sentence results for texts (with their contexts, '' when None), in order, in one model call."""
    contexts = list(contexts) if contexts is not None else [""] * len(texts)
    if len(contexts) != len(texts):
        raise ValueError(
            f"expected one context per sentence, found {len(contexts)} contexts for {len(texts)} sentences"
        )
    results: list[SentenceRow | None] = [None] * len(texts)
    todo = [i for i, t in enumerate(texts) if t.strip()]
    for i, t in enumerate(texts):
        if not t.strip():
            results[i] = _blank(t, contexts[i], model.labels)
    if todo:
        cut = None if model.max_chars is None else model.max_chars * _PRECUT_FACTOR
        # The model reads simplified characters (a Big5 report's traditional ones converted); the rows keep the text.
        scores = model.predict(
            [to_simplified(texts[i][:cut]) for i in todo], [to_simplified(contexts[i]) for i in todo]
        )
        check_scores(scores, len(todo))  # NaN is never a label, and never reaches JSON (issue 17 item 7)
        done = sentence_results(
            [texts[i] for i in todo], [contexts[i] for i in todo], scores, model.max_chars, score_decimals(model)
        )
        for i, res in zip(todo, done, strict=True):
            results[i] = res
    return results  # type: ignore[return-value]  # every slot is filled above


def unit_results(doc: str, units: Sequence[Unit], results: Sequence[SentenceRow]) -> list[UnitRow]:
    """Per-unit rows: the unit's place in the report joined with its sentence result."""
    return [
        {
            "doc": doc,
            "index": u.index,
            "start": u.start,
            "end": u.end,
            "heading": u.heading,
            "is_heading": u.is_heading,
            "table": u.table,
            **res,
        }
        for u, res in zip(units, results, strict=True)
    ]
