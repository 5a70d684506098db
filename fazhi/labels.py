"""The label schema, reading label files, and validating the whole label set.

Pure standard library on purpose: `fazhi data check` imports nothing heavy
(no torch, no scikit-learn), so it answers in well under a second.
"""

from __future__ import annotations

import json
import math
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

CATEGORIES: tuple[str, ...] = ("decision", "enforcement", "dispute", "disclosure", "supervision", "other")
AREAS: tuple[str, ...] = CATEGORIES[:5]
SPLITS: tuple[str, ...] = ("train", "dev", "test")
SOURCES: tuple[str, ...] = ("seed", "written")
REQUIRED_KEYS: tuple[str, ...] = ("id", "doc", "source", "split", "text", "category", "problem")
NEAR_DUPLICATE_JACCARD = 0.8
# Template lines this short (table labels such as 不予公开 5件, 已全部办结) recur
# in real reports of one genre; their repeats are warnings, not errors.
SHORT_REPEAT_CHARS = 10

# Minimums the corpus must meet (issue 2); `check` reports each one.
MIN_UNITS = 4000
MIN_PER_AREA = 300
MIN_PROBLEMS = 500
MAX_OTHER_SHARE = 0.45


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


def read_label_file(path: Path) -> tuple[list[Row], list[Issue]]:
    """Read one JSONL label file; every bad line becomes an Issue, none is dropped silently."""
    rows: list[Row] = []
    issues: list[Issue] = []
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return [], [Issue(str(path), 0, f"cannot read file: {exc}")]
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return [], [Issue(str(path), 0, f"expected UTF-8 text; byte {exc.start} is not valid UTF-8")]
    for lineno, obj in json_lines(path, content, issues):
        reasons = validate_record(obj)
        if reasons:
            issues.extend(Issue(str(path), lineno, r) for r in reasons)
            continue
        rows.append(
            Row(obj["id"], obj["doc"], obj["source"], obj["split"], obj["text"], obj["category"],
                obj["problem"], str(path), lineno, obj.get("context_only", False))
        )
    return rows, issues


def label_files(path: Path) -> list[Path]:
    """The JSONL files a label path stands for: the file itself, or all *.jsonl in a folder."""
    if path.is_dir():
        return sorted(path.glob("*.jsonl"))
    return [path]


def load_rows(path: Path) -> tuple[list[Row], list[Issue]]:
    rows: list[Row] = []
    issues: list[Issue] = []
    files = label_files(path)
    if not files:
        issues.append(Issue(str(path), 0, "expected *.jsonl label files, found none"))
    for f in files:
        r, i = read_label_file(f)
        rows.extend(r)
        issues.extend(i)
    return rows, issues


# --- duplicates ---------------------------------------------------------------

def dedup_key(text: str) -> str:
    """Text as compared for duplicates: NFKC (full- and half-width alike, 。 as .), no whitespace."""
    return "".join(unicodedata.normalize("NFKC", text).replace("。", ".").split())


def trigrams(text: str) -> frozenset[str]:
    s = dedup_key(text)
    return frozenset(s[i : i + 3] for i in range(len(s) - 2))


def near_duplicate_pairs(texts: list[str], threshold: float = NEAR_DUPLICATE_JACCARD) -> list[tuple[int, int, float]]:
    """Pairs (i, j, jaccard) of texts whose character-trigram Jaccard is >= threshold.

    Prefix filtering keeps this fast in pure Python: order each set's trigrams
    from rarest to commonest; two sets can only reach the threshold if they
    share a trigram within their first |A| - ceil(t·|A|) + 1 rarest ones.
    Texts shorter than three characters have no trigrams and are only
    compared exactly (by the caller).
    """
    sets = [trigrams(t) for t in texts]
    freq: Counter[str] = Counter(g for s in sets for g in s)
    index: dict[str, list[int]] = defaultdict(list)
    pairs: list[tuple[int, int, float]] = []
    order = sorted(range(len(sets)), key=lambda i: len(sets[i]))
    for i in order:
        s = sets[i]
        if not s:
            continue
        ranked = sorted(s, key=lambda g: (freq[g], g))
        prefix = ranked[: len(s) - math.ceil(threshold * len(s)) + 1]
        seen: set[int] = set()
        for g in prefix:
            for j in index[g]:
                if j in seen:
                    continue
                seen.add(j)
                other = sets[j]
                if len(other) < threshold * len(s):
                    continue
                inter = len(s & other)
                jac = inter / (len(s) + len(other) - inter)
                if jac >= threshold:
                    pairs.append((min(i, j), max(i, j), jac))
            index[g].append(i)
    return sorted(pairs)


# --- the whole-set check --------------------------------------------------------

@dataclass
class CheckReport:
    rows: list[Row]
    issues: list[Issue] = field(default_factory=list)
    minimums: list[tuple[str, bool, str]] = field(default_factory=list)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def ok(self) -> bool:
        return not self.errors and all(ok for _, ok, _ in self.minimums)


def check_rows(rows: list[Row], issues: list[Issue] | None = None, minimums: bool = True) -> CheckReport:
    """Validate the set as a whole: ids, splits per doc, duplicates, minimums."""
    report = CheckReport(rows, list(issues or []))
    add = report.issues.append

    first_id: dict[str, Row] = {}
    for r in rows:
        if r.id in first_id:
            o = first_id[r.id]
            add(Issue(r.file, r.line, f"duplicate id {r.id!r} (first at {o.file}:{o.line})"))
        else:
            first_id[r.id] = r

    doc_split: dict[str, Row] = {}
    for r in rows:
        o = doc_split.setdefault(r.doc, r)
        if o.split != r.split:
            add(Issue(r.file, r.line, f"doc {r.doc!r} is in split {r.split!r} here but {o.split!r} at {o.file}:{o.line}; a document belongs to one split"))

    # Seed rows are real published text we may not change: repeats among them
    # (a heading two reports share) are reported, not failed; so are repeats of
    # short template lines. Any other pair that involves a written row is an
    # error, since we wrote it and can reword it.
    def dup(a: Row, b: Row, what: str) -> None:
        short = max(len(dedup_key(a.text)), len(dedup_key(b.text))) <= SHORT_REPEAT_CHARS
        severity = "warning" if a.source == b.source == "seed" or short else "error"
        add(Issue(b.file, b.line, f"{what} of {a.id!r} ({a.file}:{a.line}): {b.text[:40]!r}", severity))

    by_text: dict[str, Row] = {}
    exact_dupes: set[int] = set()
    norm = [dedup_key(r.text) for r in rows]
    for k, r in enumerate(rows):
        if norm[k] in by_text:
            dup(by_text[norm[k]], r, "exact duplicate")
            exact_dupes.add(k)
        else:
            by_text[norm[k]] = r
    for i, j, jac in near_duplicate_pairs([r.text for r in rows]):
        if norm[i] == norm[j]:
            continue
        a, b = (rows[i], rows[j]) if (rows[i].file, rows[i].line) <= (rows[j].file, rows[j].line) else (rows[j], rows[i])
        dup(a, b, f"near duplicate (trigram Jaccard {jac:.2f})")

    if minimums:
        n = len(rows)
        cats = Counter(r.category for r in rows)
        probs = [r for r in rows if r.problem]
        prob_cats = Counter(r.category for r in probs)
        report.minimums.append(("units", n >= MIN_UNITS, f"{n} (minimum {MIN_UNITS})"))
        for a in AREAS:
            report.minimums.append((f"{a} units", cats[a] >= MIN_PER_AREA, f"{cats[a]} (minimum {MIN_PER_AREA})"))
        report.minimums.append(("problem units", len(probs) >= MIN_PROBLEMS, f"{len(probs)} (minimum {MIN_PROBLEMS})"))
        missing = [c for c in CATEGORIES if prob_cats[c] == 0]
        report.minimums.append(("problem units in every category", not missing, "missing: " + ", ".join(missing) if missing else "all six present"))
        share = cats["other"] / n if n else 0.0
        report.minimums.append(("share of other", share <= MAX_OTHER_SHARE, f"{share:.1%} (maximum {MAX_OTHER_SHARE:.0%})"))
    return report


def check_path(path: Path, minimums: bool = True) -> CheckReport:
    rows, issues = load_rows(path)
    return check_rows(rows, issues, minimums=minimums)


def format_counts(rows: Iterable[Row]) -> str:
    """Counts per category × problem × split, then per source, as a text table."""
    rows = list(rows)
    table: Counter[tuple[str, bool, str]] = Counter((r.category, r.problem, r.split) for r in rows)
    lines = [f"{'category':<12} {'problem':<8}" + "".join(f"{s:>8}" for s in SPLITS) + f"{'total':>8}"]
    for c in CATEGORIES:
        for p in (False, True):
            counts = [table[(c, p, s)] for s in SPLITS]
            lines.append(f"{c:<12} {str(p).lower():<8}" + "".join(f"{x:>8}" for x in counts) + f"{sum(counts):>8}")
    totals = [sum(v for (c, p, s), v in table.items() if s == sp) for sp in SPLITS]
    lines.append(f"{'all':<21}" + "".join(f"{x:>8}" for x in totals) + f"{sum(totals):>8}")
    lines.append("")
    src = Counter((r.source, r.split) for r in rows)
    docs = defaultdict(set)
    for r in rows:
        docs[(r.source, r.split)].add(r.doc)
    lines.append(f"{'source':<12} {'':<8}" + "".join(f"{s:>8}" for s in SPLITS) + f"{'total':>8}")
    for so in SOURCES:
        counts = [src[(so, s)] for s in SPLITS]
        lines.append(f"{so + ' units':<21}" + "".join(f"{x:>8}" for x in counts) + f"{sum(counts):>8}")
        dcounts = [len(docs[(so, s)]) for s in SPLITS]
        lines.append(f"{so + ' docs':<21}" + "".join(f"{x:>8}" for x in dcounts) + f"{sum(dcounts):>8}")
    return "\n".join(lines)
