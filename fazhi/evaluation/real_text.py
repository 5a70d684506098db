"""Scoring a model on a real-text set: labelled units inside whole published documents.

A real-text set is a folder in the format of the project's real development
set (``../shared/realdev``, which ships with no clone: this module only reads
a folder it is pointed at):

- ``docs/<doc>.txt``: a document as saved from its web page (title on the
  first line);
- ``units.jsonl``: ``{id, doc, start, end, text, category, problem, part}``
  per labelled unit, ``start``/``end`` being character offsets into the
  document, so that ``text == docs[doc][start:end]``.

A model is scored two ways, overall and per ``part``:

- **by unit**: each unit's text alone goes to the model, as ``fazhi classify``
  would send it;
- **by document**: each whole document is tagged as ``fazhi tag`` tags it
  (reading, segmenting, context), and each labelled unit takes the prediction
  of the project unit that covers most of its characters. A labelled unit
  that no project unit covers (dropped as page furniture) counts as ``other``
  with no problem, which is what a user would see.

Intervals are 95% bootstrap intervals over documents (units of one document
are not independent, so documents are resampled, not units).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fazhi.errors import LabelDataError
from fazhi.evaluation.metrics import compute_metrics
from fazhi.labels import CATEGORIES
from fazhi.pipeline.tag import tag_text

__all__ = [
    "RealUnit",
    "RealSet",
    "read_real_set",
    "predict_by_unit",
    "predict_by_document",
    "score_real",
    "real_markdown",
]

BOOTSTRAP_SAMPLES = 1000


@dataclass(frozen=True)
class RealUnit:
    id: str
    doc: str
    start: int
    end: int
    text: str
    category: str
    problem: bool
    part: str


@dataclass
class RealSet:
    docs: dict[str, str]  # doc id -> its text
    units: list[RealUnit]

    @property
    def parts(self) -> list[str]:
        return sorted({u.part for u in self.units})


def read_real_set(folder: Path) -> RealSet:
    """Read a real-text folder; raise ValueError naming the first unit that does not fit its document."""
    folder = Path(folder)
    units_file = folder / "units.jsonl"
    if not units_file.is_file():
        raise FileNotFoundError(f"expected a real-text folder with units.jsonl and docs/, found no {units_file}")
    docs: dict[str, str] = {}
    units: list[RealUnit] = []
    for lineno, line in enumerate(units_file.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            unit = RealUnit(
                str(obj["id"]),
                str(obj["doc"]),
                int(obj["start"]),
                int(obj["end"]),
                str(obj["text"]),
                str(obj["category"]),
                bool(obj["problem"]),
                str(obj.get("part", "all")),
            )
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise LabelDataError(
                f"{units_file}:{lineno}: expected {{id, doc, start, end, text, category, problem, part}}, found a "
                f"bad row ({exc})"
            ) from None
        if unit.category not in CATEGORIES:
            raise LabelDataError(
                f"{units_file}:{lineno}: expected a category among {', '.join(CATEGORIES)}, found {unit.category!r}"
            )
        if unit.doc not in docs:
            path = folder / "docs" / f"{unit.doc}.txt"
            if not path.is_file():
                raise FileNotFoundError(
                    f"{units_file}:{lineno}: unit {unit.id} names document {unit.doc}, but {path} does not exist"
                )
            docs[unit.doc] = path.read_text(encoding="utf-8")
        if docs[unit.doc][unit.start : unit.end] != unit.text:
            raise LabelDataError(
                f"{units_file}:{lineno}: unit {unit.id}: text differs from {unit.doc}.txt[{unit.start}:{unit.end}]"
            )
        units.append(unit)
    if not units:
        raise LabelDataError(f"expected labelled units in {units_file}, found none")
    return RealSet(docs, units)


@dataclass
class Predictions:
    categories: list[str]
    problems: list[bool]
    uncovered: int = 0  # labelled units no project unit covers (by document only)


def predict_by_unit(model, real: RealSet) -> Predictions:
    scores = model.predict([u.text for u in real.units])
    return Predictions(scores.categories, scores.problems)


def predict_by_document(model, real: RealSet) -> Predictions:
    """Tag every document as `fazhi tag` does; each labelled unit takes the covering project unit's labels."""
    categories: list[str] = []
    problems: list[bool] = []
    uncovered = 0
    tagged = {doc: tag_text(doc, text, model).units for doc, text in real.docs.items()}
    for u in real.units:
        best, overlap = None, 0
        for row in tagged[u.doc]:
            o = min(u.end, row["end"]) - max(u.start, row["start"])
            if o > overlap:
                best, overlap = row, o
        if best is None:
            uncovered += 1
            categories.append("other")
            problems.append(False)
        else:
            categories.append(best["category"])
            problems.append(bool(best["problem"]))
    return Predictions(categories, problems, uncovered)


def _figures(m: dict) -> dict[str, float]:
    out = {"macro_f1": m["macro_f1"], "accuracy": m["accuracy"]}
    out.update({f"problem_{k}": m["problem"][k] for k in ("precision", "recall", "f1")})
    out.update({f"f1_{c}": v["f1"] for c, v in m["per_class"].items()})
    return out


def _bootstrap(
    units: Sequence[RealUnit], pred: Predictions, idx: list[int], samples: int, seed: int
) -> dict[str, list[float]]:
    """95% intervals of every figure, resampling the documents that the units idx come from."""
    by_doc: dict[str, list[int]] = {}
    for i in idx:
        by_doc.setdefault(units[i].doc, []).append(i)
    groups = list(by_doc.values())
    rng = np.random.default_rng(seed)
    draws: dict[str, list[float]] = {}
    for _ in range(samples):
        chosen = [i for g in rng.integers(0, len(groups), len(groups)) for i in groups[g]]
        m = compute_metrics(
            [units[i].category for i in chosen],
            [pred.categories[i] for i in chosen],
            [units[i].problem for i in chosen],
            [pred.problems[i] for i in chosen],
        )
        for k, v in _figures(m).items():
            draws.setdefault(k, []).append(v)
    return {k: [float(np.percentile(v, 2.5)), float(np.percentile(v, 97.5))] for k, v in draws.items()}


def score_real(real: RealSet, pred: Predictions, samples: int = BOOTSTRAP_SAMPLES, seed: int = 13) -> dict:
    """Metrics overall and per part, each with its figures' 95% bootstrap intervals under 'ci'."""
    units = real.units
    parts = {"all": list(range(len(units)))}
    for p in real.parts:
        parts[p] = [i for i, u in enumerate(units) if u.part == p]
    out = {}
    for name, idx in parts.items():
        m = compute_metrics(
            [units[i].category for i in idx],
            [pred.categories[i] for i in idx],
            [units[i].problem for i in idx],
            [pred.problems[i] for i in idx],
        )
        m["ci"] = _bootstrap(units, pred, idx, samples, seed) if samples else {}
        m["documents"] = len({units[i].doc for i in idx})
        out[name] = m
    out["all"]["uncovered"] = pred.uncovered
    return out


def _cell(m: dict, key: str) -> str:
    if key == "macro_f1":
        value = m["macro_f1"]
    elif key.startswith("problem_"):
        value = m["problem"][key.removeprefix("problem_")]
    else:
        value = m["per_class"][key.removeprefix("f1_")]["f1"]
    ci = m.get("ci", {}).get(key)
    return f"{value:.3f} [{ci[0]:.2f}, {ci[1]:.2f}]" if ci else f"{value:.3f}"


def real_markdown(results: dict[str, dict], title: str) -> str:
    """Tables per scoring mode ('by unit', 'by document'): headline figures per part, then per-class F1."""
    lines = [f"## {title}", ""]
    for mode, by_part in results.items():
        lines += [
            f"### {mode}",
            "",
            "| part | docs | units | category macro-F1 | problem P | problem R | problem F1 |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for part, m in by_part.items():
            lines.append(
                f"| {part} | {m['documents']} | {m['n']} | {_cell(m, 'macro_f1')} | {_cell(m, 'problem_precision')} | "
                f"{_cell(m, 'problem_recall')} | {_cell(m, 'problem_f1')} |"
            )
        if by_part["all"].get("uncovered"):
            lines.append(
                f"\n{by_part['all']['uncovered']} labelled units were covered by no unit of the segmenter (scored "
                "as other)."
            )
        lines += ["", "| part | " + " | ".join(CATEGORIES) + " |", "|---" * (len(CATEGORIES) + 1) + "|"]
        for part, m in by_part.items():
            lines.append(f"| {part} | " + " | ".join(_cell(m, f"f1_{c}") for c in CATEGORIES) + " |")
        lines.append("")
    return "\n".join(lines)
