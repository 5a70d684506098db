"""Reading training data in the accepted shapes, stopping before training on any bad row.

Accepted inputs (a file, or a folder of such files):

- ``*.jsonl`` in fazhi's schema: one object per line with
  ``id, doc, source, split, text, category, problem``.
- ``*.csv`` with a header row naming the same seven columns; ``problem`` is
  ``true``/``false`` (also ``1``/``0``, ``yes``/``no``).
- Label Studio JSON export (``*.json``, a list of tasks): the text in
  ``data.text``; in the first annotation, a ``choices`` result holding one of
  the six category names, and optionally a choice ``problem`` (or a control
  named ``problem`` with choice ``true``/``yes``). ``data.split`` and
  ``data.doc`` are used when present.
- doccano text-classification export (``*.jsonl`` whose lines have ``text``
  and ``label`` or ``labels`` but no ``category``): the labels list holds one
  category name and optionally ``problem``.

Rows without a split (Label Studio, doccano) are assigned one from a hash of
their document id: about 80% train, 10% dev, 10% test, the same on every run.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path

from fazhi.labels import CATEGORIES, SPLITS, Issue, Row, json_lines, validate_record

TRUE_WORDS = {"true", "1", "yes", "y", "problem", "是"}
FALSE_WORDS = {"false", "0", "no", "n", "", "否"}


class TrainingDataError(ValueError):
    """Raised with every bad row's file, line and reason."""


def hashed_split(key: str) -> str:
    h = int(hashlib.sha1(key.encode("utf-8")).hexdigest(), 16) % 10
    return "test" if h == 0 else "dev" if h == 1 else "train"


def _decode(path: Path) -> tuple[str | None, list[Issue]]:
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        return None, [Issue(str(path), raw[: exc.start].count(b"\n") + 1, f"expected UTF-8 text; byte {exc.start} is not valid UTF-8 (save the file as UTF-8)")]


def _row(obj: dict, path: Path, line: int, issues: list[Issue], rows: list[Row]) -> None:
    reasons = validate_record(obj)
    if reasons:
        issues.extend(Issue(str(path), line, r) for r in reasons)
    else:
        rows.append(Row(obj["id"], obj["doc"], obj["source"], obj["split"], obj["text"], obj["category"], obj["problem"], str(path), line, obj.get("context_only", False)))


def _from_labels(labels: list, text: str, ident: str, extra: dict) -> tuple[dict | None, str | None]:
    names = [str(l).strip() for l in labels]
    cats = [l for l in names if l in CATEGORIES]
    unknown = [l for l in names if l not in CATEGORIES and l.lower() not in TRUE_WORDS]
    if unknown:
        return None, f"unknown label(s) {', '.join(map(repr, unknown))}; expected one of {', '.join(CATEGORIES)} and optionally 'problem'"
    if len(cats) != 1:
        return None, f"expected exactly one category label, found {len(cats)} ({', '.join(names) or 'none'})"
    problem = any(l.lower() in TRUE_WORDS for l in names if l not in CATEGORIES)
    doc = str(extra.get("doc") or ident)
    return {
        "id": ident, "doc": doc, "source": str(extra.get("source") or "written"),
        "split": str(extra.get("split") or hashed_split(doc)), "text": text, "category": cats[0], "problem": problem,
    }, None


def _read_jsonl(path: Path, content: str) -> tuple[list[Row], list[Issue]]:
    rows: list[Row] = []
    issues: list[Issue] = []
    for line_no, obj in json_lines(path, content, issues):
        if isinstance(obj, dict) and "category" not in obj and ("label" in obj or "labels" in obj) and "text" in obj:
            labels = obj.get("label", obj.get("labels")) or []
            ident = str(obj.get("id", f"{path.stem}-{line_no}"))
            built, reason = _from_labels(labels if isinstance(labels, list) else [labels], str(obj["text"]), ident, obj)
            if reason:
                issues.append(Issue(str(path), line_no, reason))
                continue
            obj = built
        _row(obj, path, line_no, issues, rows)
    return rows, issues


def _read_csv(path: Path, content: str) -> tuple[list[Row], list[Issue]]:
    rows: list[Row] = []
    issues: list[Issue] = []
    reader = csv.DictReader(io.StringIO(content))
    missing = [k for k in ("id", "doc", "source", "split", "text", "category", "problem") if k not in (reader.fieldnames or [])]
    if missing:
        return [], [Issue(str(path), 1, f"CSV header is missing column(s): {', '.join(missing)}")]
    for rec in reader:
        line_no = reader.line_num
        obj = dict(rec)
        p = (obj.get("problem") or "").strip().lower()
        if p in TRUE_WORDS:
            obj["problem"] = True
        elif p in FALSE_WORDS:
            obj["problem"] = False
        _row(obj, path, line_no, issues, rows)
    return rows, issues


def _read_label_studio(path: Path, content: str) -> tuple[list[Row], list[Issue]]:
    rows: list[Row] = []
    issues: list[Issue] = []
    try:
        tasks = json.loads(content)
    except json.JSONDecodeError as exc:
        return [], [Issue(str(path), exc.lineno, f"invalid JSON: {exc.msg}")]
    if not isinstance(tasks, list):
        return [], [Issue(str(path), 1, "expected a Label Studio export: a JSON list of tasks")]
    for n, task in enumerate(tasks, start=1):
        where = f"task {n}"
        data = task.get("data", {}) if isinstance(task, dict) else {}
        text = data.get("text")
        if not isinstance(text, str):
            issues.append(Issue(str(path), n, f"{where}: expected data.text to be a string"))
            continue
        anns = task.get("annotations") or task.get("completions") or []
        if not anns:
            issues.append(Issue(str(path), n, f"{where}: has no annotation"))
            continue
        labels: list[str] = []
        for result in anns[0].get("result", []):
            choices = result.get("value", {}).get("choices", [])
            if result.get("from_name") == "problem":
                labels += ["problem" for c in choices if str(c).lower() in TRUE_WORDS]
            else:
                labels += [str(c) for c in choices]
        ident = str(task.get("id", n))
        built, reason = _from_labels(labels, text, f"{path.stem}-{ident}", data)
        if reason:
            issues.append(Issue(str(path), n, f"{where}: {reason}"))
            continue
        _row(built, path, n, issues, rows)
    return rows, issues


READERS = {".jsonl": _read_jsonl, ".csv": _read_csv, ".json": _read_label_studio}


def read_training_file(path: Path) -> tuple[list[Row], list[Issue]]:
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        return [], [Issue(str(path), 0, f"expected a .jsonl, .csv or .json (Label Studio) file, found {path.suffix!r}")]
    content, issues = _decode(path)
    if content is None:
        return [], issues
    return reader(path, content)


def load_training_rows(data: Path) -> dict[str, list[Row]]:
    """Rows grouped by split; raises TrainingDataError naming every bad row before anything trains."""
    if not data.exists():
        raise FileNotFoundError(f"expected a label file or folder, found nothing at {data}")
    files = sorted(p for p in data.iterdir() if p.suffix.lower() in READERS) if data.is_dir() else [data]
    if not files:
        raise TrainingDataError(f"expected .jsonl, .csv or .json label files in {data}, found none")
    rows: list[Row] = []
    errors: list[Issue] = []
    for f in files:
        r, i = read_training_file(f)
        rows.extend(r)
        errors.extend(i)
    if errors:
        shown = "\n".join(str(e) for e in errors[:50])
        more = f"\n... and {len(errors) - 50} more" if len(errors) > 50 else ""
        raise TrainingDataError(f"{len(errors)} bad row(s) in {data}; nothing was trained:\n{shown}{more}")
    splits = {s: [r for r in rows if r.split == s] for s in SPLITS}
    for needed in ("train", "dev"):
        if not splits[needed]:
            raise TrainingDataError(f"expected rows with split {needed!r} in {data}, found none (dev chooses the model and the problem threshold)")
    return splits
