"""Checking a whole label set: ids, one split per document, duplicates, and the corpus minimums.

`fazhi data check` runs this over data/labels. Standard library only, like
the label reader, so the check answers in well under a second.
"""

from __future__ import annotations

import math
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from fazhi.labels import (
    AREAS,
    CATEGORIES,
    DOCUMENTS_FILE,
    SOURCES,
    SPLITS,
    USER_SOURCE,
    Issue,
    Row,
    load_rows,
    read_documents,
)

NEAR_DUPLICATE_JACCARD = 0.8
# Template lines this short (table labels such as 不予公开 5件, 已全部办结) recur
# in real reports of one genre; their repeats are warnings, not errors.
SHORT_REPEAT_CHARS = 10

# Minimums the corpus must meet; `check` reports each one.
MIN_UNITS = 8000
MIN_PER_AREA = 900
MIN_PROBLEMS = 1200
MIN_PROBLEMS_PER_CATEGORY = 100
MAX_OTHER_SHARE = 0.40
MIN_CONTEXT_ONLY = 300


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


def _genre_issues(rows: list[Row], genres: dict[str, str]) -> list[Issue]:
    """Every labelled report (a doc that is a .txt file) must have a genre in the document table."""
    first_row: dict[str, Row] = {}
    for r in rows:
        first_row.setdefault(r.doc, r)
    return [
        Issue(r.file, r.line, f"report {doc!r} has no genre in {DOCUMENTS_FILE}; add a line '{doc},<genre>'")
        for doc, r in first_row.items()
        if doc.endswith(".txt") and doc not in genres
    ]


def _id_issues(rows: list[Row]) -> list[Issue]:
    """An id used twice: each repeat, pointing at the first."""
    issues: list[Issue] = []
    first_id: dict[str, Row] = {}
    for r in rows:
        if r.id in first_id:
            o = first_id[r.id]
            issues.append(Issue(r.file, r.line, f"duplicate id {r.id!r} (first at {o.file}:{o.line})"))
        else:
            first_id[r.id] = r
    return issues


def _split_issues(rows: list[Row]) -> list[Issue]:
    """A document in more than one split: each row that differs from the document's first."""
    issues: list[Issue] = []
    doc_split: dict[str, Row] = {}
    for r in rows:
        o = doc_split.setdefault(r.doc, r)
        if o.split != r.split:
            issues.append(
                Issue(
                    r.file,
                    r.line,
                    f"doc {r.doc!r} is in split {r.split!r} here but {o.split!r} at {o.file}:{o.line}; a document "
                    "belongs to one split",
                )
            )
    return issues


def _duplicate_issue(a: Row, b: Row, what: str) -> Issue:
    """Seed rows are real published text we may not change: repeats among them
    (a heading two reports share) are reported, not failed; so are repeats of
    short template lines. Any other pair that involves a written row is an
    error, since we wrote it and can reword it."""
    short = max(len(dedup_key(a.text)), len(dedup_key(b.text))) <= SHORT_REPEAT_CHARS
    severity = "warning" if a.source == b.source == "seed" or short else "error"
    return Issue(b.file, b.line, f"{what} of {a.id!r} ({a.file}:{a.line}): {b.text[:40]!r}", severity)


def _duplicate_issues(rows: list[Row]) -> list[Issue]:
    """Exact duplicates (after dedup_key), then near duplicates that are not exact ones."""
    issues: list[Issue] = []
    by_text: dict[str, Row] = {}
    norm = [dedup_key(r.text) for r in rows]
    for k, r in enumerate(rows):
        if norm[k] in by_text:
            issues.append(_duplicate_issue(by_text[norm[k]], r, "exact duplicate"))
        else:
            by_text[norm[k]] = r
    for i, j, jac in near_duplicate_pairs([r.text for r in rows]):
        if norm[i] == norm[j]:
            continue
        a, b = (
            (rows[i], rows[j]) if (rows[i].file, rows[i].line) <= (rows[j].file, rows[j].line) else (rows[j], rows[i])
        )
        issues.append(_duplicate_issue(a, b, f"near duplicate (trigram Jaccard {jac:.2f})"))
    return issues


def _minimums(rows: list[Row]) -> list[tuple[str, bool, str]]:
    """The corpus minimums, each as (what, met, figures)."""
    n = len(rows)
    cats = Counter(r.category for r in rows)
    probs = [r for r in rows if r.problem]
    prob_cats = Counter(r.category for r in probs)
    minimums = [("units", n >= MIN_UNITS, f"{n} (minimum {MIN_UNITS})")]
    for area in AREAS:
        minimums.append((f"{area} units", cats[area] >= MIN_PER_AREA, f"{cats[area]} (minimum {MIN_PER_AREA})"))
    minimums.append(("problem units", len(probs) >= MIN_PROBLEMS, f"{len(probs)} (minimum {MIN_PROBLEMS})"))
    thin = [f"{c} {prob_cats[c]}" for c in CATEGORIES if prob_cats[c] < MIN_PROBLEMS_PER_CATEGORY]
    minimums.append(
        (
            f"problem units in every category (minimum {MIN_PROBLEMS_PER_CATEGORY} each)",
            not thin,
            "below: " + ", ".join(thin) if thin else ", ".join(f"{c} {prob_cats[c]}" for c in CATEGORIES),
        )
    )
    share = cats["other"] / n if n else 0.0
    minimums.append(("share of other", share <= MAX_OTHER_SHARE, f"{share:.1%} (maximum {MAX_OTHER_SHARE:.0%})"))
    context = sum(r.context_only for r in rows)
    minimums.append(("context_only units", context >= MIN_CONTEXT_ONLY, f"{context} (minimum {MIN_CONTEXT_ONLY})"))
    return minimums


def check_rows(
    rows: list[Row], issues: list[Issue] | None = None, minimums: bool = True, genres: dict[str, str] | None = None
) -> CheckReport:
    """Validate the set as a whole: ids, splits per doc, duplicates, genres of reports, minimums.

    genres: doc -> genre from the document table; when given, every labelled
    report (a doc that is a .txt file) must have one.
    """
    report = CheckReport(rows, list(issues or []))
    if genres is not None:
        report.issues += _genre_issues(rows, genres)
    report.issues += _id_issues(rows)
    report.issues += _split_issues(rows)
    report.issues += _duplicate_issues(rows)
    if minimums:
        report.minimums += _minimums(rows)
    return report


def check_path(path: Path, minimums: bool = True) -> CheckReport:
    """Read and check a label file or folder (with the folder's document table, when it has one)."""
    rows, issues = load_rows(path)
    genres = read_documents(path)
    return check_rows(rows, issues, minimums=minimums, genres=genres or None)


def format_counts(rows: Iterable[Row]) -> str:
    """Counts per category × problem × split, then context_only rows and counts per source, as a text table."""
    rows = list(rows)
    table: Counter[tuple[str, bool, str]] = Counter((r.category, r.problem, r.split) for r in rows)
    lines = [f"{'category':<12} {'problem':<8}" + "".join(f"{s:>8}" for s in SPLITS) + f"{'total':>8}"]
    for c in CATEGORIES:
        for p in (False, True):
            counts = [table[(c, p, s)] for s in SPLITS]
            lines.append(f"{c:<12} {str(p).lower():<8}" + "".join(f"{x:>8}" for x in counts) + f"{sum(counts):>8}")
    totals = [sum(v for (c, p, s), v in table.items() if s == sp) for sp in SPLITS]
    lines.append(f"{'all':<21}" + "".join(f"{x:>8}" for x in totals) + f"{sum(totals):>8}")
    ctx = [sum(1 for r in rows if r.context_only and r.split == sp) for sp in SPLITS]
    lines.append(f"{'context_only':<21}" + "".join(f"{x:>8}" for x in ctx) + f"{sum(ctx):>8}")
    lines.append("")
    src = Counter((r.source, r.split) for r in rows)
    docs = defaultdict(set)
    for r in rows:
        docs[(r.source, r.split)].add(r.doc)
    lines.append(f"{'source':<12} {'':<8}" + "".join(f"{s:>8}" for s in SPLITS) + f"{'total':>8}")
    for so in SOURCES:
        if so == USER_SOURCE and not any(k[0] == so for k in src):
            continue  # the project's own labels have none: no row of zeros
        counts = [src[(so, s)] for s in SPLITS]
        lines.append(f"{so + ' units':<21}" + "".join(f"{x:>8}" for x in counts) + f"{sum(counts):>8}")
        dcounts = [len(docs[(so, s)]) for s in SPLITS]
        lines.append(f"{so + ' docs':<21}" + "".join(f"{x:>8}" for x in dcounts) + f"{sum(dcounts):>8}")
    return "\n".join(lines)
