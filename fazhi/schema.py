"""The rows fazhi returns, defined once: a sentence result and a unit result.

`fazhi.pipeline.results` builds them; the writers' JSONL and CSV columns, the HTTP API's response models
(fazhi.serve.schemas) and the corpus view's reader of a units file all derive from these definitions, so a
field is added here and nowhere else.
"""

from __future__ import annotations

import typing

# pydantic (the HTTP API's response models) reads TypedDicts from typing_extensions on Python < 3.12.
from pydantic import ConfigDict, with_config
from typing_extensions import TypedDict

__all__ = [
    "SentenceRow",
    "UnitPlace",
    "ReportUnit",
    "UnitRow",
    "SENTENCE_FIELDS",
    "UNIT_FIELDS",
    "BOOL_FIELDS",
    "field_types",
]


# Each field's docstring is its description in the OpenAPI document (pydantic reads attribute docstrings).
_DOCUMENTED = with_config(ConfigDict(use_attribute_docstrings=True))


@_DOCUMENTED
class SentenceRow(TypedDict):
    """What the model says about one sentence."""

    text: str
    """the sentence (or unit) as read."""
    context: str
    """the context the model read with the sentence ('' for none)."""
    category: str
    """one of decision, enforcement, dispute, disclosure, supervision, other."""
    scores: dict[str, float]
    """the probability of each category."""
    problem: bool
    """true when the sentence states a problem (problem_score at or above the model's threshold)."""
    problem_score: float
    """the probability that the sentence states a problem."""
    truncated: bool
    """true when the sentence is longer than the model reads (model max_chars)."""


@_DOCUMENTED
class UnitPlace(TypedDict):
    """Where a unit sits in its report."""

    index: int
    """the unit's position in the report, from 0."""
    start: int
    """offset of the unit's first character in text (Unicode code points)."""
    end: int
    """offset just past the unit's last character."""
    heading: str
    """the nearest heading above the unit ('' for none)."""
    is_heading: bool
    """true when the unit is itself a heading."""
    table: bool
    """true when the unit is a row of a table of figures, each figure after its column header
    ('主动公开 | 规章 | 本年制发件数 | 3')."""


class ReportUnit(UnitPlace, SentenceRow):
    """A unit of one report, as the HTTP API returns it: the report's name is said once per response, not per unit."""


@_DOCUMENTED
class _InDoc(TypedDict):
    doc: str
    """the report's name."""


class UnitRow(_InDoc, ReportUnit):
    """A sentence unit of a report as the writers and `fazhi tag` give it: its report, its place, its sentence result
    (the order of the output columns)."""


def field_types(row: type) -> dict[str, type]:
    """Field name → type of a row TypedDict, in declaration order."""
    return dict(typing.get_type_hints(row))


SENTENCE_FIELDS: tuple[str, ...] = tuple(field_types(SentenceRow))
UNIT_FIELDS: tuple[str, ...] = tuple(field_types(UnitRow))
# Written as true/false in CSV and read back from it.
BOOL_FIELDS: tuple[str, ...] = tuple(f for f, t in field_types(UnitRow).items() if t is bool)
