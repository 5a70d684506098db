"""`fazhi suggest DIR --model M -n 200 -o tasks.json`: the units whose labels would teach the model most.

Every report is tagged (fazhi.pipeline.tag's engine), and each unit scored by how
unsure the model is about it:

- category: 1 - margin, the margin being the gap between the two most likely
  categories;
- problem: 1 - |p - t| / max(t, 1 - t), with t the model's problem threshold
  (1 at the threshold, 0 at certainty either way);

a unit's uncertainty is the larger of the two: it is worth a label when either
head is unsure. From the most uncertain units a greedy pick spreads over
reports and predicted areas: each further unit from a report (or area) that
already holds its fair share (n / reports, n / 6) counts for less, so that a
batch does not come from one odd report. Units that repeat one already picked,
or one already in the label set (character-trigram Jaccard, as
`fazhi data check` finds duplicates), are left out; so are headings and units
too short to label.

The output is a Label Studio import file: one task per unit with its text,
context (title › headings), report and place, and the model's labels as a
pre-annotation (``predictions``, scored by the model's confidence so Label
Studio can sort by it), plus a matching labelling config. Label Studio's JSON
export of the labelled tasks is read by fazhi.labels, so it goes straight back
into `fazhi train --data` (the report names in ``data.doc`` keep the
one-split-per-report rule).
"""

from __future__ import annotations

import heapq
import json
import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import quoteattr

from fazhi import paths
from fazhi.errors import UsageError
from fazhi.label_check import NEAR_DUPLICATE_JACCARD, dedup_key, near_duplicate_pairs
from fazhi.labels import CATEGORIES
from fazhi.pipeline.aggregate import AREA_NAMES
from fazhi.schema import UnitRow

__all__ = ["SuggestConfig", "uncertainty", "pick_units", "label_studio_tasks", "label_config", "suggest_files"]

# Control names in the labelling config; fazhi.labels reads a `problem` control's choice as the problem flag.
CATEGORY_CONTROL, PROBLEM_CONTROL, TEXT_OBJECT = "category", "problem", "text"
# A pick is made among this many times n of the most uncertain units (enough for the spread and the duplicates).
POOL_FACTOR = 5


@dataclass(frozen=True)
class SuggestConfig:
    """Settings of `fazhi suggest`; the CLI has one option per field."""

    n: int = field(default=200, metadata={"help": "how many units to suggest"})
    min_chars: int = field(
        default=6, metadata={"help": "units shorter than this (after removing spaces) are never suggested"}
    )
    duplicate_jaccard: float = field(
        default=NEAR_DUPLICATE_JACCARD,
        metadata={
            "help": "a unit this close (character-trigram Jaccard) to one already picked or already labelled is "
            "left out"
        },
    )
    labelled: str = field(
        default=str(paths.LABELS_DIR),
        metadata={
            "help": "label file or folder whose units are not suggested again, nor their near-duplicates ('' for none)"
        },
    )

    def validate(self) -> None:
        if self.n < 1:
            raise UsageError(f"expected -n of at least 1, found {self.n}")
        if not 0.0 < self.duplicate_jaccard <= 1.0:
            raise UsageError(
                f"expected --duplicate-jaccard between 0 (exclusive) and 1, found {self.duplicate_jaccard}"
            )


def uncertainty(scores: dict[str, float], problem_score: float, threshold: float) -> float:
    """The larger of the category uncertainty (1 - margin) and the problem uncertainty (closeness to the threshold)."""
    top = sorted(scores.values(), reverse=True)
    margin = top[0] - (top[1] if len(top) > 1 else 0.0)
    spread = max(threshold, 1.0 - threshold) or 1.0
    return max(1.0 - margin, 1.0 - abs(problem_score - threshold) / spread)


def _labelled_keys(path: str) -> list[str]:
    if not path:
        return []
    from fazhi.labels import load_rows

    rows, _issues = load_rows(Path(path))  # a bad row there is `data check`'s business, not a reason to stop here
    return [r.text for r in rows]


def pick_units(
    rows: Sequence[Mapping], threshold: float, config: SuggestConfig, labelled: Sequence[str] = ()
) -> list[dict]:
    """The units to label: uncertain, spread over reports and areas, no (near-)duplicates. Each pick is its unit row
    with "uncertainty" added, most uncertain first."""
    config.validate()
    seen_keys = {dedup_key(t) for t in labelled}
    best: dict[str, dict] = {}  # one candidate per distinct text, the most uncertain
    for r in rows:
        key = dedup_key(r["text"])
        if r.get("is_heading") or len(key) < config.min_chars or key in seen_keys:
            continue
        u = uncertainty(r["scores"], r["problem_score"], threshold)
        if key not in best or u > best[key]["uncertainty"]:
            best[key] = {**r, "uncertainty": u}
    pool = sorted(best.values(), key=lambda c: (-c["uncertainty"], c["doc"], c["index"]))[: POOL_FACTOR * config.n]

    # Near-duplicates: among the pool, and of anything already labelled.
    texts = [c["text"] for c in pool] + list(labelled)
    neighbours: dict[int, set[int]] = {}
    blocked: set[int] = set()
    for i, j, _ in near_duplicate_pairs(texts, config.duplicate_jaccard):
        if j >= len(pool) and i < len(pool):
            blocked.add(i)
        elif j < len(pool):
            neighbours.setdefault(i, set()).add(j)
            neighbours.setdefault(j, set()).add(i)

    reports = len({c["doc"] for c in pool}) or 1
    report_share, area_share = max(1.0, config.n / reports), max(1.0, config.n / len(CATEGORIES))
    per_report: Counter[str] = Counter()
    per_area: Counter[str] = Counter()

    def weight(i: int) -> float:
        c = pool[i]
        return c["uncertainty"] / (
            (1 + per_report[c["doc"]] / report_share) * (1 + per_area[c["category"]] / area_share)
        )

    # Lazy greedy: weights only fall as picks accumulate, so a popped entry whose weight is still current is the best.
    heap = [(-weight(i), i) for i in range(len(pool)) if i not in blocked]
    heapq.heapify(heap)
    picked: list[dict] = []
    while heap and len(picked) < config.n:
        neg, i = heapq.heappop(heap)
        if i in blocked:
            continue
        current = weight(i)
        if current < -neg - 1e-12:
            heapq.heappush(heap, (-current, i))
            continue
        c = pool[i]
        picked.append(c)
        per_report[c["doc"]] += 1
        per_area[c["category"]] += 1
        blocked |= neighbours.get(i, set()) | {i}
    return sorted(picked, key=lambda c: (-c["uncertainty"], c["doc"], c["index"]))


# --- Label Studio -------------------------------------------------------------------
def label_studio_tasks(picks: Sequence[Mapping], model_name: str) -> list[dict]:
    """A Label Studio import: one task per unit, with the model's labels as a pre-annotation."""
    tasks = []
    for c in picks:
        result = [
            {
                "from_name": CATEGORY_CONTROL,
                "to_name": TEXT_OBJECT,
                "type": "choices",
                "value": {"choices": [c["category"]]},
            }
        ]
        if c["problem"]:
            result.append(
                {
                    "from_name": PROBLEM_CONTROL,
                    "to_name": TEXT_OBJECT,
                    "type": "choices",
                    "value": {"choices": ["problem"]},
                }
            )
        tasks.append(
            {
                "data": {
                    "text": c["text"],
                    "context": c.get("context", ""),
                    "doc": c["doc"],
                    "index": c["index"],
                    "heading": c.get("heading", ""),
                    "uncertainty": round(c["uncertainty"], 4),
                },
                "predictions": [
                    {"model_version": model_name, "score": round(1.0 - c["uncertainty"], 4), "result": result}
                ],
            }
        )
    return tasks


# What an annotator needs to label a unit as data/labels/ is labelled, inside the labelling screen itself: they have
# the config and the tasks, not this repository (TAXONOMY.md, label 1 and label 2, in brief).
CATEGORY_HINTS = {
    "decision": "依法决策、政府立法、规范性文件的制定审查备案清理、重大行政决策程序（公众参与、专家论证、风险评估、"
    "合法性审查、集体讨论）、法律顾问参与决策 | rule-making and decision procedures",
    "enforcement": "行政执法：执法体制改革、执法三项制度、裁量基准、执法人员资格培训、检查处罚、"
    "针对执法的监督（案卷评查） | enforcement and oversight specific to it",
    "dispute": "矛盾纠纷化解：行政复议、行政应诉（负责人出庭）、人民调解和行政调解、仲裁、行政裁决、信访 | "
    "reconsideration, litigation, mediation, petitions",
    "disclosure": "政务公开：主动公开及其数量、依申请公开、政策解读、回应关切、政府网站和新媒体 | disclosure of "
    "information",
    "supervision": "行政权力制约和监督：人大建议政协提案办理、审计、监察、层级监督、投诉举报和12345热线、问责纠错 | "
    "oversight of administrative power in general, accountability",
    "other": "其余：法治建设的领导和考核、学法普法、放管服和政务服务、公共法律服务、社会治理；"
    "不属于任何领域的标题、报告自身的说明（编制依据、结构、统计期限、联系方式）、落款日期 | everything else",
}
CATEGORY_RULE = (
    "按句子的主要内容标注，不按顺带提到的词；一句涉及两个领域时取篇幅多的一个，相同则取先提到的。"
    "自身不指明领域的条目、统计行、简短结果（二是强化队伍建设、不予公开5件、已全部办结）取上方最近的、"
    "指明领域的标题的领域。 | Label what the unit is mainly about; an item that names no area takes the area "
    "of the nearest heading above that names one."
)
PROBLEM_RULE = (
    "勾选“问题”：句子的主要断言是报告单位自身工作的不足、差距、困难（存在…问题/不足/短板、有待提高、不到位、不够、"
    "不健全、不规范、滞后、力量薄弱、仍需、还需），或是引出这类陈述的句子与标题（二、存在的问题；但也存在一些不足：）。"
    "不勾选：成绩和“未发生…”之类的结果；计划和要求（进一步加强…、将…、要…）；针对问题的措施（切实解决…突出问题）；"
    "原则口号（坚持问题导向）。问题句仍要选类别：不足所在的领域。 | Tick problem when the unit's main assertion is a "
    "shortcoming of the body's own work, or it introduces such statements; not for results, plans, measures "
    "that target a problem, or slogans."
)


def label_config() -> str:
    """The Label Studio labelling config that matches the tasks and the export fazhi.labels reads, with the rules."""
    choices = "\n".join(
        f"    <Choice value={quoteattr(c)} hint={quoteattr(f'{AREA_NAMES[c]}：{CATEGORY_HINTS[c]}')}/>"
        for c in CATEGORIES
    )
    return f"""<View>
  <Header value="$context" size="6"/>
  <Text name="{TEXT_OBJECT}" value="$text"/>
  <Header value="category 类别" size="5"/>
  <Header value={quoteattr(CATEGORY_RULE)} size="6"/>
  <Choices name="{CATEGORY_CONTROL}" toName="{TEXT_OBJECT}" choice="single-radio" showInline="true" required="true">
{choices}
  </Choices>
  <Header value="problem statement 问题表述" size="5"/>
  <Header value={quoteattr(PROBLEM_RULE)} size="6"/>
  <Choices name="{PROBLEM_CONTROL}" toName="{TEXT_OBJECT}" choice="multiple" showInline="true">
    <Choice value="problem" hint={quoteattr(PROBLEM_RULE)}/>
  </Choices>
  <Text name="doc" value="$doc"/>
</View>
"""


# --- the command ---------------------------------------------------------------------
def suggest_files(
    inputs: Sequence[str], model, config: SuggestConfig, log: Callable[[str], None] = lambda _m: None
) -> tuple[list[dict], int]:
    """Tag the reports named by inputs and pick units to label; returns (picks, reports tagged).
    A report that cannot be read is logged and skipped."""
    from fazhi.pipeline.tag import Failure, expand_inputs, local_reports

    config.validate()
    sources, failures = expand_inputs(inputs)
    for f in failures:
        log(f"fazhi suggest: skipped {f}")
    rows: list[UnitRow] = []
    tagged = 0
    for _source, report in local_reports(sources, model):
        if isinstance(report, Failure):
            log(f"fazhi suggest: skipped {report.reason}")
            continue
        rows.extend(report.units)
        tagged += 1
    if not tagged:
        raise UsageError(f"expected report files to choose units from, found none readable in {', '.join(inputs)}")
    labelled = _labelled_keys(config.labelled)
    picks = pick_units(rows, model.threshold, config, labelled)
    log(
        f"fazhi suggest: {len(picks)} units picked from {len(rows)} in {tagged} reports"
        + (f", leaving out what {config.labelled} already holds" if labelled else "")
    )
    if not picks:
        log(
            "fazhi suggest: nothing left to suggest: every unit is a heading, shorter than --min-chars, or (a "
            "near-duplicate of) one already labelled (--labelled '' to suggest labelled units as well)"
        )
    return picks, tagged


def tasks_json(picks: Sequence[Mapping], model_name: str) -> str:
    return json.dumps(label_studio_tasks(picks, model_name), ensure_ascii=False, indent=1) + "\n"


def spread(picks: Sequence[Mapping]) -> str:
    """One line on how the picks spread: reports, areas, mean uncertainty."""
    areas = Counter(p["category"] for p in picks)
    mean = sum(p["uncertainty"] for p in picks) / len(picks) if picks else math.nan
    return (
        f"{len({p['doc'] for p in picks})} reports; predicted areas "
        + ", ".join(f"{c} {areas.get(c, 0)}" for c in CATEGORIES)
        + f"; mean uncertainty {mean:.2f}"
    )
