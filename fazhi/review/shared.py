"""Units one report shares nearly verbatim with a report of another body.

Method (it must scale to thousands of reports, so no all-pairs comparison):

1. A unit is normalised (NFKC, no leading enumerator, every number one symbol, letters, digits and CJK
   only) and cut into character 3-gram shingles; each shingle gets a stable 32-bit hash (CRC-32).
2. Its MinHash sketch is the bottom-k of those hashes (k = 10): one hash function, the k smallest
   values. Two units with Jaccard similarity J share, in expectation, about k*J of them.
3. An inverted index maps each sketch value to the units carrying it. Units that share at least two
   sketch values become candidates; a value carried by very many units (a stock phrase) is skipped.
4. Each candidate pair is verified with the exact Jaccard similarity of the shingle sets; pairs at or
   above ``threshold`` (default 0.7: a 50-character sentence copied with another body's name and a word
   changed stays above it; sentences of one frame with other facts, 0.5-0.65, stay below) are reported, each pair once
   per side.
5. Short units: one changed word costs a 20-character unit up to five of its eighteen shingles, so a copy of it
   falls below 0.7. A pair that differs in one contiguous span only (same start, same end once normalised) with
   ``edit_similarity`` (0.85) of its characters in common is reported too, at ``threshold``.

Boilerplate that every report must carry is not copying, and is left out in two ways:

- stock lines: the title and addressee, headings, the statutory section titles of the disclosure format, and the
  format's stock sentences (本报告所列数据的统计期限…, 本报告电子版…, 现将…报告如下, 专此报告), table rows, short
  lead-ins to a list (ending in ：, under 30 characters once normalised) and units of fewer than 16 characters once
  normalised;
- frequency: a unit whose sentence frame is in ``boilerplate_docs`` or more other reports (default: 5, or 2%
  of the reports when that is more) is a stock line of the genre, not one body copying another. Its frame is
  every unit of another report at ``frame_threshold`` (0.4) or more: "受理政府信息公开申请N件，均在法定期限内答复"
  is written a little differently in a dozen reports, each time with the body's own figures, and two of them
  word it alike by chance; a sentence one body copied from another has no such family.

Reports of one body (last year's own report) are not sharing: the body is read from the title (the
name before 关于 or the year), or given by the caller.
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from fazhi.review.outline import table_row

__all__ = [
    "SharedConfig",
    "SharedIndex",
    "find_shared",
    "issuing_body",
    "normalize",
    "is_boilerplate",
    "one_edit_similarity",
]

_ENUMERATOR = re.compile(
    r"^\s*(?:[一二三四五六七八九十]+是|[（(][一二三四五六七八九十\d]+[)）]|[一二三四五六七八九十]+[、.．]|\d+[.．、])"
)
_DIGITS = re.compile(r"\d+(?:[.．]\d+)?")
_DROP = re.compile(r"[^\w#]|_")
# The disclosure format's section titles and stock sentences, and the closing lines of any report.
_STOCK = re.compile(
    r"本报告(?:中)?所列数据的?统计期限|本报告电子版|本报告依据|国办公开办函|年度报告格式|"
    r"^(?:总体情况|主动公开政府信息情况|收到和处理政府信息公开申请情况|政府信息公开行政复议、?行政诉讼情况|"
    r"存在的主要问题及改进情况|其他需要报告的事项)|现将.{0,30}报告如下|专此报告|特此报告|如对本报告有任何疑问"
)


def normalize(text: str) -> str:
    """Text as compared: NFKC, no leading enumerator, every number '#', letters, digits and CJK only."""
    t = unicodedata.normalize("NFKC", text)
    t = _ENUMERATOR.sub("", t)
    t = _DIGITS.sub("#", t)
    return _DROP.sub("", t)


def is_boilerplate(unit: Mapping) -> bool:
    """A stock line every report of its kind carries (or too short to say anything): never 'shared'."""
    text = str(unit.get("text", ""))
    if unit.get("is_heading") or table_row(unit):
        return True
    if _STOCK.search(text):
        return True
    # A short lead-in to a list ("结合存在的问题，2024年将从以下方面改进：", "主要表现在：") says nothing of its own.
    if re.search(r"[:：]\s*$", text) and len(normalize(text)) < _LEAD_IN_CHARS:
        return True
    return len(normalize(text)) < _MIN_CHARS


# Shorter units ("2020年，我局将重点做好以下工作：") are stock phrasing whatever their wording.
_MIN_CHARS = 16
_LEAD_IN_CHARS = 30
_TITLE_BODY = re.compile(r"^(.{2,40}?)(?:关于|(?:19|20)\d\d年|[〇○零一二]{4}年)")


def one_edit_similarity(a: str, b: str) -> float:
    """Share of characters two texts have in common when they differ in one contiguous span only: their common
    start and common end (not overlapping), twice over their total length. Texts that differ in two places or
    more score only what their start and end keep."""
    if not a or not b:
        return 0.0
    limit = min(len(a), len(b))
    head = 0
    while head < limit and a[head] == b[head]:
        head += 1
    tail = 0
    while tail < limit - head and a[-1 - tail] == b[-1 - tail]:
        tail += 1
    return 2 * (head + tail) / (len(a) + len(b))


def issuing_body(units: Sequence[Mapping], doc: str) -> str:
    """The body that issued a report: the title's name before 关于 or the year; else the document name."""
    for u in units[:3]:
        m = _TITLE_BODY.match(str(u.get("text", "")).strip())
        if m:
            return re.sub(r"^(?:中共)", "", m.group(1)).strip(" ，,")
    return doc


@dataclass(frozen=True)
class SharedConfig:
    threshold: float = field(
        default=0.7, metadata={"help": "Jaccard similarity of character 3-grams at which a unit counts as shared (0-1)"}
    )
    shingle: int = field(default=3, metadata={"help": "characters per shingle"})
    sketch: int = field(default=10, metadata={"help": "MinHash bottom-k sketch size"})
    min_common: int = field(default=2, metadata={"help": "sketch values two units must share to be compared"})
    max_posting: int = field(
        default=400,
        metadata={"help": "a sketch value carried by more units than this is a stock phrase and not indexed"},
    )
    boilerplate_docs: int = field(
        default=5,
        metadata={
            "help": "a unit whose frame is in this many other reports (or 2%% of them, if more) is genre boilerplate"
        },
    )
    frame_threshold: float = field(
        default=0.4,
        metadata={
            "help": "similarity at which units of other reports count as "
            "the same sentence frame, for boilerplate_docs (0-1)"
        },
    )
    edit_similarity: float = field(
        default=0.85,
        metadata={
            "help": "a pair that differs in one contiguous span only, with "
            "this share of its characters in common, counts as "
            "shared whatever its Jaccard (0-1; above 1: never)"
        },
    )

    def validate(self) -> None:
        if not 0.0 < self.threshold <= 1.0:
            raise ValueError(f"expected a shared-text threshold in (0, 1], found {self.threshold}")
        if not 0.0 < self.frame_threshold <= self.threshold:  # the frame is looser than a match
            raise ValueError(
                f"expected a frame threshold in (0, threshold={self.threshold}], found {self.frame_threshold}"
            )
        if self.shingle < 1 or self.sketch < 1 or self.min_common < 1:
            raise ValueError(
                f"expected positive shingle, sketch and min_common, found {self.shingle}, "
                f"{self.sketch}, {self.min_common}"
            )


class SharedIndex:
    """An index of units across reports; `add` each report, then `matches()` gives every report's shared units."""

    def __init__(self, config: SharedConfig | None = None) -> None:
        self.config = config or SharedConfig()
        self.config.validate()
        self.docs: list[str] = []
        self.bodies: list[str] = []
        self._units: list[tuple[int, int]] = []  # unit id -> (doc id, unit index)
        self._shingles: list[frozenset[int]] = []
        self._postings: dict[int, list[int]] = defaultdict(list)
        self._pairs: dict[tuple[int, int], float] = {}  # (unit id, unit id) lower first -> similarity
        self._frames: dict[int, set[int]] = defaultdict(set)  # unit id -> other reports with a unit of its frame
        self._texts: list[str] = []  # unit id -> normalised text

    def _sketch(self, t: str) -> tuple[frozenset[int], list[int]]:
        """Shingle hashes and bottom-k sketch of a normalised text."""
        n = self.config.shingle
        grams = {zlib.crc32(t[i : i + n].encode("utf-8")) for i in range(max(1, len(t) - n + 1))}
        return frozenset(grams), sorted(grams)[: self.config.sketch]

    def add(self, doc: str, units: Sequence[Mapping], body: str | None = None) -> list[dict]:
        """Index one report's units, comparing each with the units already indexed; return this report's
        shared units among the reports added before it (`matches()` later gives both sides of every pair)."""
        new_pairs: list[tuple[tuple[int, int], float]] = []  # this report's, not a copy of every pair so far
        doc_id = len(self.docs)
        self.docs.append(doc)
        body = body if body is not None else issuing_body(units, doc)
        self.bodies.append(body)
        cfg = self.config
        for k, u in enumerate(units):
            if is_boilerplate(u) or (k < 4 and not re.search(r"[。，,；;]", str(u["text"]))):  # title, addressee
                continue
            text = normalize(str(u["text"]))
            shingles, sketch = self._sketch(text)
            uid = len(self._units)
            self._units.append((doc_id, int(u["index"])))
            self._shingles.append(shingles)
            self._texts.append(text)
            common: Counter[int] = Counter()
            for h in sketch:
                posting = self._postings[h]
                if len(posting) <= cfg.max_posting:
                    common.update(posting)  # counted in C: the inner loop of the whole index
                posting.append(uid)
            need = min(cfg.min_common, len(sketch))
            n = len(shingles)
            for other, hits in common.items():
                if hits < need:
                    continue
                other_doc = self._units[other][0]
                if other_doc == doc_id or self.bodies[other_doc] == body:
                    continue
                b = self._shingles[other]
                if min(n, len(b)) < cfg.frame_threshold * max(n, len(b)):  # sizes too far apart to be one frame
                    continue
                inter = len(shingles & b)
                sim = inter / (n + len(b) - inter)
                if sim < cfg.frame_threshold:
                    continue
                self._frames[other].add(doc_id)
                self._frames[uid].add(other_doc)
                if sim < cfg.threshold and one_edit_similarity(text, self._texts[other]) >= cfg.edit_similarity:
                    sim = cfg.threshold
                if sim >= cfg.threshold:
                    self._pairs[(other, uid)] = sim
                    new_pairs.append(((other, uid), sim))
        return self._rows_for(doc_id, new_pairs)

    def _common(self, unit: int) -> bool:
        """A unit whose frame is in so many reports that it is genre boilerplate, not copying."""
        return len(self._frames.get(unit, ())) >= max(self.config.boilerplate_docs, int(0.02 * len(self.docs)))

    def _rows_for(self, doc_id: int, pairs: list[tuple[tuple[int, int], float]]) -> list[dict]:
        rows: list[dict] = []
        for (a, b), sim in pairs:
            if self._common(a) or self._common(b):
                continue
            (da, ia), (db, ib) = self._units[a], self._units[b]
            if db == doc_id:
                rows.append({"index": ib, "doc": self.docs[da], "other_index": ia, "similarity": round(sim, 3)})
        rows.sort(key=lambda r: (r["index"], -r["similarity"], r["doc"], r["other_index"]))
        return rows

    def matches(self) -> dict[str, list[dict]]:
        """doc -> its shared units [{index, doc, other_index, similarity}], boilerplate by frequency left out."""
        out: dict[str, list[dict]] = {d: [] for d in self.docs}
        for (a, b), sim in self._pairs.items():
            if self._common(a) or self._common(b):
                continue
            (da, ia), (db, ib) = self._units[a], self._units[b]
            out[self.docs[da]].append(
                {"index": ia, "doc": self.docs[db], "other_index": ib, "similarity": round(sim, 3)}
            )
            out[self.docs[db]].append(
                {"index": ib, "doc": self.docs[da], "other_index": ia, "similarity": round(sim, 3)}
            )
        for rows in out.values():
            rows.sort(key=lambda r: (r["index"], -r["similarity"], r["doc"], r["other_index"]))
        return out


def find_shared(
    reports: Mapping[str, Sequence[Mapping]],
    bodies: Mapping[str, str] | None = None,
    config: SharedConfig | None = None,
) -> dict[str, list[dict]]:
    """Shared units of every report of a corpus: doc -> [{index, doc, other_index, similarity}]."""
    index = SharedIndex(config)
    for doc, units in reports.items():
        index.add(doc, units, (bodies or {}).get(doc))
    return index.matches()
