"""`fazhi compare OLD NEW`: two reports of one body (say 2022 and 2023) side by side.

It reports, from the two reports' tagged units (fazhi.pipeline.tag.tag_text):

- per area, the sentence and problem counts of each year and the change;
- the areas OLD covers and NEW drops, and the areas NEW adds;
- **carried-over problems**: problem statements of NEW that restate a problem
  statement of OLD;
- **new measures**: NEW's units in each area (not problems, not headings, not
  plans for next year, nothing inside a problems section) with no close match
  anywhere in OLD.

Problem statements are counted by the one rule of fazhi.pipeline.problems:
a flagged heading or lead-in that only opens the problems section is not one.

Matching is TF-IDF cosine over normalised characters (character 1-grams),
with the IDF counted over the units of the two reports, so that the
characters every problem statement shares (存, 在, 问, 题, 不, 足) weigh
little; numbers are folded to one symbol, so "仅有3人" and "仍只有4名" agree.
The choice was measured on report pairs written for it (tests/data/compare,
benchmarks/compare_matching.py): character 1-grams separated restatements
from unrelated problems of the same area better than 2-grams, 1+2-grams and
2+3-grams, and far better than mean-pooled embeddings of our own encoder,
which place any two problem statements of one area close together whatever
shortcoming they name. A restatement reorders and rewords
(多头检查、重复检查 / 多头进行、重复进行), which breaks bigrams but keeps
characters.

A NEW problem statement is matched against OLD's problem statements: the
units the model flags, and also every unit under a heading it flags
(二、存在的问题), so that one missed flag in OLD's problems section does not
hide a restatement of it.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from fazhi.labels import AREAS, CATEGORIES
from fazhi.pipeline.aggregate import AREA_NAMES, count, md_text
from fazhi.pipeline.problems import problem_section_flags, states_problem
from fazhi.review.outline import PART_TITLES, missing_parts
from fazhi.review.report import review_fields

__all__ = [
    "CompareConfig",
    "normalize",
    "is_plan",
    "Similarity",
    "closest",
    "problem_targets",
    "closest_old_problems",
    "compare_reports",
    "compare_files",
    "compare_markdown",
]

METHOD = "character TF-IDF cosine"


@dataclass(frozen=True)
class CompareConfig:
    """Settings of `fazhi compare`; the CLI has one option per field."""

    # Chosen on the dev pairs by benchmarks/compare_matching.py: the middle of the run of thresholds that find
    # all 7 planted restatements with 1 false match (a measure of NEW matched to a plan of OLD, both wrongly
    # flagged as problems by the model); precision 1.00 on the target and held-out pairs there.
    carried_threshold: float = field(
        default=0.49,
        metadata={
            "help": "similarity at which a problem statement of NEW counts as restating one of OLD; chosen on the "
            "written pairs in tests/data/compare (benchmarks/compare_matching.py gives its precision)"
        },
    )
    # On the written pairs, a yearly line repeated with new figures scores 0.74-1.0 against last year's; a
    # related but different measure (same area and words, another act) 0.3-0.65.
    new_measure_threshold: float = field(
        default=0.7,
        metadata={"help": "a NEW unit whose best similarity with any unit of OLD stays below this is a new measure"},
    )

    def validate(self) -> None:
        for name in ("carried_threshold", "new_measure_threshold"):
            value = getattr(self, name)
            if not 0.0 < value <= 1.0:
                raise ValueError(f"expected --{name.replace('_', '-')} between 0 (exclusive) and 1, found {value}")


# --- similarity ------------------------------------------------------------------
# Enumerators that open a unit ("一是", "（三）", "2．") say nothing about its content.
_ENUMERATOR = re.compile(
    r"^\s*(?:[一二三四五六七八九十]+是|[（(][一二三四五六七八九十\d]+[)）]|[一二三四五六七八九十]+、|\d+[.．、])"
)
_DIGITS = re.compile(r"\d+(?:[.．]\d+)?")
_KEEP = re.compile(r"[\w]")


def normalize(text: str) -> str:
    """Text as compared: NFKC, no leading enumerator, every number one symbol '#', letters, digits and CJK only."""
    s = unicodedata.normalize("NFKC", text)
    s = _ENUMERATOR.sub("", s)
    s = _DIGITS.sub("#", s)
    return "".join(ch for ch in s if _KEEP.match(ch) and ch != "_").lower()


def _grams(text: str, sizes: tuple[int, ...]) -> Counter[str]:
    s = normalize(text)
    return Counter(s[i : i + n] for n in sizes for i in range(len(s) - n + 1))


class Similarity:
    """TF-IDF cosine over normalised characters, with IDF counted over the given texts (both reports' units)."""

    def __init__(self, texts: Sequence[str], sizes: tuple[int, ...] = (1,)) -> None:
        """sizes: the n-gram sizes compared (characters alone by default; the benchmark measures the others)."""
        self.sizes = sizes
        grams = [_grams(t, sizes) for t in texts]
        df: Counter[str] = Counter(g for c in grams for g in c)
        n = len(texts)
        self._idf = {g: math.log((n + 1) / (k + 1)) + 1.0 for g, k in df.items()}
        self._default_idf = math.log(n + 1) + 1.0
        self._cache: dict[str, tuple[dict[str, float], float]] = {}

    def _vector(self, text: str) -> tuple[dict[str, float], float]:
        hit = self._cache.get(text)
        if hit is None:
            vec = {g: k * self._idf.get(g, self._default_idf) for g, k in _grams(text, self.sizes).items()}
            hit = (vec, math.sqrt(sum(v * v for v in vec.values())))
            self._cache[text] = hit
        return hit

    def __call__(self, a: str, b: str) -> float:
        va, na = self._vector(a)
        vb, nb = self._vector(b)
        if not na or not nb:
            return 0.0
        if len(vb) < len(va):
            va, vb = vb, va
        return sum(w * vb.get(g, 0.0) for g, w in va.items()) / (na * nb)


def closest(text: str, candidates: Sequence[str], similarity: Callable[[str, str], float]) -> tuple[int, float]:
    """Index and similarity of the candidate closest to text ((-1, 0.0) when none is similar at all)."""
    best_i, best_s = -1, 0.0
    for i, c in enumerate(candidates):
        s = similarity(text, c)
        if s > best_s:
            best_i, best_s = i, s
    return best_i, best_s


# --- the comparison ----------------------------------------------------------------
def _unit(row: Mapping) -> dict:
    return {
        "index": row.get("index"),
        "category": row["category"],
        "heading": row.get("heading", ""),
        "text": row["text"],
    }


def _content(rows: Sequence[Mapping]) -> list[Mapping]:
    """Units that say something: not headings, not blank."""
    return [r for r in rows if not r.get("is_heading") and r["text"].strip()]


def problem_targets(rows: Sequence[Mapping]) -> list[Mapping]:
    """OLD's units a restatement is looked for among: flagged problem statements, and every unit under a flagged
    heading."""
    problem_headings = {r["text"] for r in rows if r.get("is_heading") and r["problem"]}
    return [r for r in _content(rows) if r["problem"] or r.get("heading") in problem_headings]


def closest_old_problems(
    old_rows: Sequence[Mapping], new_rows: Sequence[Mapping], similarity: Callable[[str, str], float]
) -> list[tuple[Mapping, Mapping | None, float]]:
    """(NEW problem statement, closest of OLD's problem targets or None, similarity) for each problem statement of
    NEW."""
    targets = problem_targets(old_rows)
    out: list[tuple[Mapping, Mapping | None, float]] = []
    for r in _content(new_rows):
        if states_problem(r):
            k, s = closest(r["text"], [o["text"] for o in targets], similarity)
            out.append((r, targets[k] if k >= 0 else None, s))
    return out


# Next year's plans are not this year's measures: a unit under a plans heading
# (三、2024年工作安排, 下一步工作打算, 工作思路), or one that says what will be done.
_PLAN_HEADING = re.compile(
    r"下一步|打算|工作安排|工作计划|工作思路|工作重点|努力方向|改进措施|改进举措|\d{4}年(?:的)?(?:主要)?(?:工作|任务)"
)
_PLAN_TEXT = re.compile(
    r"^\s*(?:[一二三四五六七八九十]+是|[（(][一二三四五六七八九十\d]+[)）]|\d+[.．、])?\s*"
    r"(?:下一步|下一年|明年|今后|来年|力争|计划|拟|\d{4}年[，,]?(?:我[局市县区省厅委镇]|全[市县区省])?(?:将|要|计划|拟)"
    r"|将(?:进一步|继续|持续|着力|加快|全面|重点|积极|不断)|要(?:进一步|继续|持续|着力|加快|全面|重点|坚持))"
)


def is_plan(row: Mapping) -> bool:
    """True for a plan for next year rather than a measure taken: under a plans heading, or opening with
    下一步/将进一步/明年…"""
    return bool(_PLAN_HEADING.search(row.get("heading", "")) or _PLAN_TEXT.match(row["text"]))


def compare_reports(
    old_doc: str,
    old_rows: Sequence[Mapping],
    new_doc: str,
    new_rows: Sequence[Mapping],
    config: CompareConfig | None = None,
) -> dict:
    """The comparison of two tagged reports (unit rows as fazhi.pipeline.results builds them), as a JSON-ready dict."""
    config = config or CompareConfig()
    config.validate()
    old_c, new_c = _content(old_rows), _content(new_rows)
    sim = Similarity([r["text"] for r in old_c + new_c])

    def counts(rows: Sequence[Mapping]) -> tuple[Counter[str], Counter[str]]:
        return Counter(r["category"] for r in rows), Counter(r["category"] for r in rows if states_problem(r))

    old_n, old_p = counts(old_rows)
    new_n, new_p = counts(new_rows)
    areas = [
        {
            "category": c,
            "name": AREA_NAMES.get(c, ""),
            "old_sentences": old_n[c],
            "new_sentences": new_n[c],
            "sentence_change": new_n[c] - old_n[c],
            "old_problems": old_p[c],
            "new_problems": new_p[c],
            "problem_change": new_p[c] - old_p[c],
        }
        for c in CATEGORIES
    ]

    carried, fresh = [], []
    for r, o, s in closest_old_problems(old_rows, new_rows, sim):
        if o is not None and s >= config.carried_threshold:
            carried.append({"new": _unit(r), "old": _unit(o), "similarity": round(s, 3)})
        else:
            fresh.append({**_unit(r), "closest_old": round(s, 3)})

    old_texts = [o["text"] for o in old_c]
    new_measures: dict[str, list[dict]] = {a: [] for a in AREAS}
    in_problems = problem_section_flags(new_rows)
    for r, inside in zip(new_rows, in_problems, strict=True):
        if (
            r.get("is_heading")
            or not r["text"].strip()
            or r["problem"]
            or inside
            or r["category"] not in new_measures
            or is_plan(r)
        ):
            continue
        _, s = closest(r["text"], old_texts, sim)
        if s < config.new_measure_threshold:
            new_measures[r["category"]].append({**_unit(r), "closest_old": round(s, 3)})

    return {
        # each side's summary carries issue 20's review: report_type, outline, figures (shared: [] for two reports of
        # one body)
        "old": {"doc": old_doc, "sentences": len(old_rows), "problems": sum(old_p.values()), **review_fields(old_rows)},
        "new": {"doc": new_doc, "sentences": len(new_rows), "problems": sum(new_p.values()), **review_fields(new_rows)},
        "areas": areas,
        "areas_dropped": [a for a in AREAS if old_n[a] and not new_n[a]],
        "areas_added": [a for a in AREAS if new_n[a] and not old_n[a]],
        "carried_over": carried,
        "new_problems": fresh,
        "new_measures": new_measures,
        "settings": {"method": METHOD, **asdict(config)},
    }


def compare_files(old: Path, new: Path, model, config: CompareConfig | None = None) -> dict:
    """Read, tag and compare two report files (any format fazhi.reading reads)."""
    from fazhi.pipeline.tag import tag_text
    from fazhi.reading import read_report

    old_report = tag_text(str(old), read_report(old), model)
    new_report = tag_text(str(new), read_report(new), model)
    return compare_reports(old_report.doc, old_report.units, new_report.doc, new_report.units, config)


# --- Markdown ----------------------------------------------------------------------
def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _signed(k: int) -> str:
    return f"+{k}" if k > 0 else str(k)


def _missing(side: dict) -> str:
    return "、".join(PART_TITLES[p] for p in missing_parts(side.get("outline", []))) or "无"


def compare_markdown(result: dict) -> str:
    """A readable Markdown report of a comparison."""
    old, new = result["old"], result["new"]
    lines = [
        f"# {md_text(new['doc'])} compared with {md_text(old['doc'])}",
        "",
        f"OLD: {count(old['sentences'], 'sentence unit')}, {count(old['problems'], 'problem statement')}. "
        f"NEW: {count(new['sentences'], 'sentence unit')}, {count(new['problems'], 'problem statement')}.",
        "",
        *([f"Outline — OLD 缺少：{_missing(old)}; NEW 缺少：{_missing(new)}.", ""] if "outline" in new else []),
        "| area | | sentences OLD | NEW | change | problems OLD | NEW | change |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for a in result["areas"]:
        lines.append(
            f"| {a['category']} | {a['name']} | {a['old_sentences']} | {a['new_sentences']} | "
            f"{_signed(a['sentence_change'])} | {a['old_problems']} | {a['new_problems']} | "
            f"{_signed(a['problem_change'])} |"
        )

    def names(keys: list[str]) -> str:
        return ", ".join(f"{k} ({AREA_NAMES[k]})" for k in keys) or "none"

    lines += [
        "",
        f"**Areas dropped** (in OLD, not in NEW): {names(result['areas_dropped'])}",
        "",
        f"**Areas added** (in NEW, not in OLD): {names(result['areas_added'])}",
        "",
    ]
    carried = result["carried_over"]
    lines += [f"## Problems carried over ({len(carried)} of NEW's {count(new['problems'], 'problem statement')})", ""]
    if carried:
        for m in carried:
            lines.append(f"- **{m['new']['category']}** NEW: {_cell(m['new']['text'])}")
            lines.append(f"  - OLD: {_cell(m['old']['text'])} (similarity {m['similarity']:.2f})")
    else:
        lines.append("(none found)")
    lines += ["", f"## New problem statements ({len(result['new_problems'])})", ""]
    lines += [f"- **{p['category']}**: {_cell(p['text'])}" for p in result["new_problems"]] or ["(none)"]
    total = sum(len(v) for v in result["new_measures"].values())
    lines += ["", f"## New measures ({total}: units of NEW with no close match in OLD)", ""]
    for area, units in result["new_measures"].items():
        if units:
            lines += [f"### {area} ({AREA_NAMES[area]}), {len(units)}", ""]
            lines += [f"- {_cell(u['text'])}" for u in units]
            lines.append("")
    settings = result["settings"]
    lines += [
        "",
        f"_Matching: {settings['method']}; carried over at similarity >= {settings['carried_threshold']}, "
        f"new measure below {settings['new_measure_threshold']}._",
    ]
    return "\n".join(lines) + "\n"
