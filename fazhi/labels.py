"""The label schema and the one reader of label files, in every accepted shape.

Accepted inputs (a file, or a folder of such files):

- ``*.jsonl`` in fazhi's schema: one object per line with ``text, category, problem``
  and optionally ``id, doc, split, source, context_only``. A missing ``id`` is
  FILE-LINE, a missing ``doc`` the row's id, a missing ``split`` one from a
  hash of the doc, a missing ``source`` ``user`` (the project's own rows say
  ``seed`` or ``written``).
- ``*.csv`` with a header row naming at least ``text, category, problem`` (an
  empty optional cell counts as missing); ``problem`` is
  ``true``/``false`` (also ``1``/``0``, ``yes``/``no``).
- Label Studio JSON export (``*.json``, a list of tasks): the text in
  ``data.text``; in the first annotation not skipped (``was_cancelled``), a
  ``choices`` result holding one of the six category names, and optionally a choice ``problem`` (or a control
  named ``problem`` with choice ``true``/``yes``). ``data.split`` and
  ``data.doc`` are used when present.
- doccano text-classification export (``*.jsonl`` whose lines have ``text``
  and ``label`` or ``labels`` but no ``category``): the labels list holds one
  category name and optionally ``problem``.

Rows without a split (Label Studio, doccano) are assigned one from a hash of
their document id: about 80% train, 10% dev, 10% test, the same on every run.
`fazhi data check`, `evaluate`, `train` and `pretrain` all read labels here.

Pure standard library on purpose: `fazhi data check` imports nothing heavy
(no torch, no scikit-learn), so it answers in well under a second.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from fazhi.errors import LabelDataError

CATEGORIES: tuple[str, ...] = ("decision", "enforcement", "dispute", "disclosure", "supervision", "other")
AREAS: tuple[str, ...] = CATEGORIES[:5]
SPLITS: tuple[str, ...] = ("train", "dev", "test")
USER_SOURCE = "user"  # a row of the user's own labels, which need not say where it came from
SOURCES: tuple[str, ...] = ("seed", "written", USER_SOURCE)
# The table of labelled documents and their genres (doc,genre), kept beside the label files.
DOCUMENTS_FILE = "documents.csv"
REQUIRED_KEYS: tuple[str, ...] = ("text", "category", "problem")
OPTIONAL_KEYS: tuple[str, ...] = ("id", "doc", "split", "source")  # filled in by with_defaults when missing
# Bad rows shown by `fazhi train`, `evaluate` and `data check` before "... and N more".
ISSUES_SHOWN = 50


@dataclass(frozen=True)
class Row:
    """One labelled sentence unit, with where it came from."""

    id: str
    doc: str
    source: str
    split: str
    text: str
    category: str
    problem: bool
    file: str = ""
    line: int = 0
    # True when the unit names no area itself and takes it from its heading or
    # report (TAXONOMY rule 11); evaluation reports these rows apart.
    context_only: bool = False
    # The unit's context (title › headings) when the label file carries it, as a Label Studio export of
    # `fazhi suggest` tasks does (data.context): a few units of a report, which cannot rebuild the report
    # to find it. None: found from the report's rows (fazhi.pipeline.context.row_contexts).
    context: str | None = None


@dataclass
class Issue:
    """A problem found in a label file; errors fail the check, warnings do not."""

    file: str
    line: int
    reason: str
    severity: str = "error"

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.severity}: {self.reason}"


def validate_record(obj: object) -> list[str]:
    """Reasons why one decoded JSON value is not a valid label row (empty if valid)."""
    if not isinstance(obj, dict):
        return [f"expected a JSON object, found {type(obj).__name__}"]
    reasons = []
    missing = [k for k in REQUIRED_KEYS if k not in obj]
    if missing:
        reasons.append(f"missing key(s): {', '.join(missing)}")
    for key in ("id", "doc", "text"):
        if key in obj and (not isinstance(obj[key], str) or not obj[key].strip()):
            reasons.append(f"'{key}' must be a non-empty string, found {obj[key]!r}")
    checks = (("source", SOURCES), ("split", SPLITS), ("category", CATEGORIES))
    for key, allowed in checks:
        if key in obj and obj[key] not in allowed:
            reasons.append(f"'{key}' must be one of {', '.join(allowed)}; found {obj[key]!r}")
    if "problem" in obj and not isinstance(obj["problem"], bool):
        reasons.append(f"'problem' must be true or false, found {obj['problem']!r}")
    if "context_only" in obj and not isinstance(obj["context_only"], bool):
        reasons.append(f"'context_only' must be true or false when present, found {obj['context_only']!r}")
    return reasons


def json_lines(path: Path, content: str, issues: list[Issue]) -> Iterator[tuple[int, object]]:
    """(line number, decoded value) of each non-blank line; a line that is not JSON becomes an Issue."""
    for lineno, line in enumerate(content.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield lineno, json.loads(line)
        except json.JSONDecodeError as exc:
            issues.append(Issue(str(path), lineno, f"invalid JSON: {exc.msg} at column {exc.colno}"))


TRUE_WORDS = {"true", "1", "yes", "y", "problem", "是"}
FALSE_WORDS = {"false", "0", "no", "n", "", "否"}


def hashed_split(key: str) -> str:
    h = int(hashlib.sha1(key.encode("utf-8")).hexdigest(), 16) % 10
    return "test" if h == 0 else "dev" if h == 1 else "train"


def _decode(path: Path) -> tuple[str | None, list[Issue]]:
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        return None, [
            Issue(
                str(path),
                raw[: exc.start].count(b"\n") + 1,
                f"expected UTF-8 text; byte {exc.start} is not valid UTF-8 (save the file as UTF-8)",
            )
        ]


def with_defaults(obj: object, path: Path, line: int) -> object:
    """A row with its optional keys filled in where missing (or, in a CSV, empty): id FILE-LINE, doc the id, split
    from a hash of the doc, source 'user'."""
    if not isinstance(obj, dict):
        return obj
    filled = {k: v for k, v in obj.items() if not (k in OPTIONAL_KEYS and v in (None, ""))}
    filled.setdefault("id", f"{path.stem}-{line}")
    filled.setdefault("doc", filled["id"])
    if isinstance(filled["doc"], str):
        filled.setdefault("split", hashed_split(filled["doc"]))
    filled.setdefault("source", USER_SOURCE)
    return filled


def shown_issues(issues: list[Issue], limit: int = ISSUES_SHOWN) -> list[str]:
    """One line per distinct reason in a file, its rows folded ('labels.csv:1-60 (60 rows): error: …'), in the order
    found; the first limit of them, then '... and N more' for the rest."""
    groups: dict[tuple[str, str, str], list[int]] = {}
    for i in issues:
        groups.setdefault((i.file, i.severity, i.reason), []).append(i.line)
    lines = []
    for (file, severity, reason), at in groups.items():
        where = str(at[0]) if len(at) == 1 else f"{_line_ranges(at)} ({len(at)} rows)"
        lines.append(f"{file}:{where}: {severity}: {reason}")
    if len(lines) > limit:
        lines = lines[:limit] + [f"... and {len(lines) - limit} more"]
    return lines


def _line_ranges(lines: list[int], shown: int = 8) -> str:
    """1,2,3,7,9,10 -> '1-3,7,9-10'; past `shown` ranges, ',…'."""
    ranges: list[list[int]] = []
    for n in sorted(set(lines)):
        if ranges and n == ranges[-1][1] + 1:
            ranges[-1][1] = n
        else:
            ranges.append([n, n])
    text = ",".join(f"{a}-{b}" if b > a else str(a) for a, b in ranges[:shown])
    return text + (",…" if len(ranges) > shown else "")


def _row(obj: dict, path: Path, line: int, issues: list[Issue], rows: list[Row]) -> None:
    obj = with_defaults(obj, path, line)  # type: ignore[assignment]  # a dict stays a dict
    reasons = validate_record(obj)
    if reasons:
        issues.extend(Issue(str(path), line, r) for r in reasons)
    else:
        context = obj.get("context")
        rows.append(
            Row(
                obj["id"],
                obj["doc"],
                obj["source"],
                obj["split"],
                obj["text"],
                obj["category"],
                obj["problem"],
                str(path),
                line,
                obj.get("context_only", False),
                context if isinstance(context, str) else None,
            )
        )


def _from_labels(labels: list, text: str, ident: str, extra: dict) -> tuple[dict | None, str | None]:
    names = [str(l).strip() for l in labels]
    cats = [l for l in names if l in CATEGORIES]
    unknown = [l for l in names if l not in CATEGORIES and l.lower() not in TRUE_WORDS]
    if unknown:
        return (
            None,
            f"unknown label(s) {', '.join(map(repr, unknown))}; expected one of {', '.join(CATEGORIES)} and "
            "optionally 'problem'",
        )
    if len(cats) != 1:
        return None, f"expected exactly one category label, found {len(cats)} ({', '.join(names) or 'none'})"
    problem = any(l.lower() in TRUE_WORDS for l in names if l not in CATEGORIES)
    doc = str(extra.get("doc") or ident)
    built = {
        "id": ident,
        "doc": doc,
        "source": str(extra.get("source") or "written"),
        "split": str(extra.get("split") or hashed_split(doc)),
        "text": text,
        "category": cats[0],
        "problem": problem,
    }
    if isinstance(extra.get("context"), str):
        built["context"] = extra["context"]
    return built, None


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
        if not isinstance(obj, dict):
            issues.append(Issue(str(path), line_no, f"expected a JSON object, found {type(obj).__name__}"))
            continue
        _row(obj, path, line_no, issues, rows)
    return rows, issues


def _read_csv(path: Path, content: str) -> tuple[list[Row], list[Issue]]:
    rows: list[Row] = []
    issues: list[Issue] = []
    reader = csv.DictReader(io.StringIO(content))
    missing = [k for k in REQUIRED_KEYS if k not in (reader.fieldnames or [])]
    if missing:
        return [], [Issue(str(path), 1, f"CSV header is missing column(s): {', '.join(missing)}")]
    for rec in reader:
        line_no = reader.line_num
        obj: dict = dict(rec)
        for key in ("problem", "context_only"):
            word = (obj.get(key) or "").strip().lower()
            if word in TRUE_WORDS:
                obj[key] = True
            elif word in FALSE_WORDS:
                obj[key] = False
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
        # An annotator who skips a task leaves a cancelled annotation in the export; the first one kept is the label.
        kept = [a for a in anns if isinstance(a, dict) and not a.get("was_cancelled")]
        if not kept:
            issues.append(
                Issue(
                    str(path),
                    n,
                    f"{where}: its only annotations were skipped (was_cancelled); label it or leave it out",
                )
            )
            continue
        labels: list[str] = []
        for result in kept[0].get("result", []):
            choices = result.get("value", {}).get("choices", [])
            if result.get("from_name") == "problem":
                labels += ["problem" for c in choices if str(c).lower() in TRUE_WORDS]
            else:
                labels += [str(c) for c in choices]
        ident = str(task.get("id", n))
        built, reason = _from_labels(labels, text, f"{path.stem}-{ident}", data)
        if reason or built is None:
            issues.append(Issue(str(path), n, f"{where}: {reason}"))
            continue
        _row(built, path, n, issues, rows)
    return rows, issues


READERS = {".jsonl": _read_jsonl, ".csv": _read_csv, ".json": _read_label_studio}


def read_label_file(path: Path) -> tuple[list[Row], list[Issue]]:
    """Rows of one label file in any accepted shape; every bad line becomes an Issue, none is dropped silently."""
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        return [], [Issue(str(path), 0, f"expected a .jsonl, .csv or .json (Label Studio) file, found {path.suffix!r}")]
    content, issues = _decode(path)
    if content is None:
        return [], issues
    return reader(path, content)


def label_files(path: Path) -> list[Path]:
    """The label files a path stands for: the file itself, or every .jsonl/.csv/.json in a folder
    (the document table excepted)."""
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.suffix.lower() in READERS and p.name != DOCUMENTS_FILE)
    return [path]


def load_rows(path: Path) -> tuple[list[Row], list[Issue]]:
    """Every row of a label file or folder, and every problem found while reading it."""
    if not path.exists():
        raise FileNotFoundError(f"expected a label file or folder, found nothing at {path}")
    files = label_files(path)
    if not files:
        return [], [Issue(str(path), 0, "expected .jsonl, .csv or .json label files, found none")]
    rows: list[Row] = []
    issues: list[Issue] = []
    for f in files:
        r, i = read_label_file(f)
        rows.extend(r)
        issues.extend(i)
    return rows, issues


def load_splits(data: Path, need: tuple[str, ...] = ("train", "dev")) -> dict[str, list[Row]]:
    """Rows grouped by split; raises LabelDataError naming every bad row before anything uses them."""
    rows, errors = load_rows(data)
    if errors:
        shown = "\n".join(shown_issues(errors))
        raise LabelDataError(f"{len(errors)} bad row(s) in {data}; nothing was done with them:\n{shown}")
    splits = {s: [r for r in rows if r.split == s] for s in SPLITS}
    for needed in need:
        if not splits[needed]:
            why = " (dev chooses the model and the problem threshold)" if needed == "dev" else ""
            if not rows:
                raise LabelDataError(f"expected labelled rows in {data}, found none")
            found = ", ".join(f"{s} {len(splits[s])}" for s in SPLITS)
            raise LabelDataError(
                f"expected rows with split {needed!r} in {data}, found none{why} (rows by split: {found}); "
                f"a row without a split gets one by a hash of its document (80/10/10), so give the rows meant for "
                f"{needed} split '{needed}'"
            )
    return splits


def read_documents(folder: Path) -> dict[str, str]:
    """doc -> genre from the folder's document table (empty when there is none)."""
    path = folder / DOCUMENTS_FILE if folder.is_dir() else folder.parent / DOCUMENTS_FILE
    if not path.is_file():
        return {}
    with open(path, encoding="utf-8-sig", newline="") as f:
        return {r["doc"]: r["genre"] for r in csv.DictReader(f) if r.get("doc")}
