"""The ablation's tables: results in the order of the variants, OUT.json and OUT.md, and the merge of several runs'
result files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fazhi.training.ablation_variants import ENCODERS, VARIANTS, Variant


def _result_key(r: dict) -> str:
    """A result's place in a table: its variant and, when it says one, its label set (one variant may be run on
    several)."""
    return f"{r['variant']} | {r['labels']}" if r.get("labels") else r["variant"]


def _named(r: dict) -> str:
    """The first two cells of a table row: the variant and its label set."""
    return f"{r['variant']} | {r.get('labels', '')}"


def _order(results: dict[str, dict]) -> list[dict]:
    """Results in the order of VARIANTS, each variant's older label sets first."""
    index = {n: i for i, n in enumerate(VARIANTS)}
    return sorted(results.values(), key=lambda r: (index.get(r["variant"], len(index)), _rows(r)))


def _rows(r: dict) -> int:
    import re

    m = re.match(r"([\d,]+) rows", str(r.get("labels", "")))
    return int(m.group(1).replace(",", "")) if m else 0


def _fig(m: dict, key: str, ci: bool = True) -> str:
    from fazhi.model.card import format_figure

    return format_figure(m, "macro_f1" if key == "macro_f1" else "f1", ci, sep=", ", undefined="–")


def _pretraining_lines(results: list[dict]) -> list[str]:
    """What each encoder the variants start from was pretrained on, for how long, and its held-out loss."""
    rows = []
    seen = set()
    for r in results:
        v = VARIANTS.get(r["variant"])
        name = (r.get("encoder") or {}).get("name") or (v.encoder if v else None)
        if not name or name in seen:
            continue
        seen.add(name)
        p = r.get("encoder")
        if p is None:
            summary_file = ENCODERS / name / "pretrain_config.json"
            if not summary_file.is_file():
                continue
            p = json.loads(summary_file.read_text(encoding="utf-8"))
        rows.append(_pretraining_row(name, p))
    if not rows:
        return []
    return [
        "",
        "## Pretraining of the encoders",
        "",
        "Minutes are wall-clock on the 2-core CPU machine with one torch thread while other jobs shared it (no GPU was "
        "lent). Held-out loss is on whole documents of each source kept out of pretraining (for ELECTRA, its "
        "generator's MLM loss, not comparable with an MLM encoder's). The -laws encoders add the intermediate area "
        "task on law articles to the encoder named as their start.",
        "",
        "| encoder | objective | size | starts from | corpus | characters | steps | minutes | "
        "held-out loss, start → end |",
        "|---|---|---|---|---|---:|---:|---:|---|",
        *rows,
    ]


def _pretraining_row(name: str, p: dict) -> str:
    """One encoder's row: paths are shown by their last part, so the table names no machine's folders."""
    corpus = p.get("corpus", [])
    corpus_text = (
        ", ".join(f"{c.split(':', 1)[0]}:{Path(c.split(':', 1)[1]).name}" if ":" in c else c for c in corpus)
        if isinstance(corpus, list)
        else str(corpus)
    )
    chars = p.get("characters")
    start = Path(str(p.get("init_from") or p.get("init_embeddings") or "")).name
    held = p.get("heldout") or {}
    key = "generator_mlm_loss" if p.get("objective") == "electra" else "mlm_loss"
    begin, end = held.get("start") or {}, held.get("end") or {}
    losses = "; ".join(
        f"{src} {begin[src][key]:.2f} → {end[src][key]:.2f}"
        for src in end
        if key in end[src] and key in begin.get(src, {})
    )
    return (
        f"| {name} | {p.get('objective', 'mlm')} | {p.get('layers', '?')}x{p.get('hidden', '?')} | {start} | "
        f"{corpus_text} | {f'{chars:,}' if isinstance(chars, int) else ''} | {p.get('steps', '')} | "
        f"{p.get('minutes', '')} | {losses} |"
    )


def _routed(r: dict) -> str:
    s = r.get("routed")
    if not s:
        return ""
    dev = f"{s['dev']:.0%}" if s.get("dev") is not None else "?"
    return f"{dev} / {s['real_units']:.0%} / {s['real_documents']:.0%}"


def _decision_lines(results: list[dict], base: str = "baseline+context") -> list[str]:
    """Issue 16's rule for the default, computed from the table: on the newest label set, a model with the BERT in it
    wins only if its mean over seeds beats base by 0.02 category macro-F1 and 0.01 problem F1 (by document) and no part
    is worse by more than 0.01."""
    import re

    newest = max((_rows(r) for r in results if r.get("labels")), default=0)
    rows = [r for r in results if _rows(r) == newest]
    reference = next((r for r in rows if r["variant"] == base), None)
    if reference is None:
        return []
    groups: dict[str, list[dict]] = {}
    for r in rows:
        if r["variant"] != base and VARIANTS.get(r["variant"], Variant("baseline", "")).kind != "baseline":
            groups.setdefault(re.sub(r", seed \d+$", "", r["variant"]), []).append(r)

    def mean(rs: list[dict], part: str, key: str) -> float:
        values = [
            x["real"]["by document"][part]["macro_f1"]
            if key == "macro"
            else x["real"]["by document"][part]["problem"]["f1"]
            for x in rs
        ]
        return sum(values) / len(values)

    parts = [p for p in reference["real"]["by document"] if p != "all"]
    lines = [
        "",
        f"## The default, by issue 16's rule ({reference['labels']})",
        "",
        f"Against {base}: by document, mean over the seeds run; a winner needs +0.02 category macro-F1, +0.01 problem "
        "F1 and no part worse by more than 0.01.",
        "",
        "| variant | seeds | Δ macro-F1 | Δ problem F1 | worst part Δ macro-F1 | wins |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for name, rs in groups.items():
        d_macro = mean(rs, "all", "macro") - mean([reference], "all", "macro")
        d_problem = mean(rs, "all", "problem") - mean([reference], "all", "problem")
        worst = min((mean(rs, p, "macro") - mean([reference], p, "macro") for p in parts), default=0.0)
        wins = d_macro >= 0.02 and d_problem >= 0.01 and worst >= -0.01
        lines.append(
            f"| {name} | {len(rs)} | {d_macro:+.3f} | {d_problem:+.3f} | {worst:+.3f} | {'yes' if wins else 'no'} |"
        )
    return lines


def _seed_lines(results: list[dict]) -> list[str]:
    """Mean and spread over the seeds of each variant run with more than one seed (by document, all parts)."""
    import re

    groups: dict[str, list[dict]] = {}
    for r in results:
        groups.setdefault(_named({**r, "variant": re.sub(r", seed \d+$", "", r["variant"])}), []).append(r)
    lines = []
    for base, rs in groups.items():
        if len(rs) < 2:
            continue
        cols = []
        for mode in ("by document", "by unit"):
            mac = [x["real"][mode]["all"]["macro_f1"] for x in rs]
            pf1 = [x["real"][mode]["all"]["problem"]["f1"] for x in rs]
            cols += [
                f"{sum(mac) / len(mac):.3f} ({min(mac):.3f}–{max(mac):.3f})",
                f"{sum(pf1) / len(pf1):.3f} ({min(pf1):.3f}–{max(pf1):.3f})",
            ]
        parts = [p for p in rs[0]["real"]["by document"] if p != "all"]
        per_part = "; ".join(
            f"{p} {sum(x['real']['by document'][p]['macro_f1'] for x in rs) / len(rs):.3f}" for p in parts
        )
        lines.append(f"| {base} | {len(rs)} | " + " | ".join(cols) + f" | {per_part} |")
    if not lines:
        return []
    return [
        "",
        "## Seeds: mean (min–max) over the seeds run",
        "",
        "| variant | labels | seeds | by document macro-F1 | by document problem F1 | by unit macro-F1 | "
        "by unit problem F1 | "
        "by document, per part macro-F1 |",
        "|---|---|---:|---:|---:|---:|---:|---|",
        *lines,
    ]


def write_markdown(results: list[dict], path: Path) -> None:
    lines = [
        "# Ablation: which model fazhi ships",
        "",
        "Real text is `../shared/realdev` (880 labelled units of 66 published documents none of our data comes from), "
        "scored by tagging each whole document as `fazhi tag` does (*by document*) and unit by unit (*by unit*); 95% "
        "bootstrap intervals over documents in brackets. *Written* is the project's own test split (written by the "
        "same hands as the training data, so it flatters every model). *Train min* is wall-clock fine-tuning on the "
        "2-core CPU machine with one torch thread while other jobs shared it. Generated by `python -m "
        "fazhi.training.ablation`. *Labels* names the label set a row was trained on, by its size and a digest of its "
        "rows: rows on different sets do not compare. On this page: *before issue 16* (the 2x256 and 4x256 rows, "
        "measured on the labels of their day; 4x256 lac-pretrained+context was the shipped model/bert); 8,104 rows "
        "(bf5b9c), data/labels just before the rule-13 relabel; 8,104 rows (6026fd), just after it; 8,719 rows "
        "(e19f4d), with part of issue 16's new written reports; 8,904 rows (755337), with all of them (today's "
        "data/labels). A cascade or hybrid fits its margins or head on the dev split.",
        "",
        "## Headline: real text, by document",
        "",
        "*Routed* is a cascade's share of units sent to its second part: on dev / on realdev units read alone / on "
        "every unit `fazhi tag` makes of the realdev documents.",
        "",
        "| variant | labels | category macro-F1 | problem F1 | by unit: macro-F1 | by unit: problem F1 | "
        "written macro-F1 | written problem F1 | train min | routed |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        doc, unit, written = (
            r["real"]["by document"]["all"],
            r["real"]["by unit"]["all"],
            r["test"].get("written", r["test"]["all"]),
        )
        lines.append(
            f"| {_named(r)} | {_fig(doc, 'macro_f1')} | {_fig(doc, 'problem')} | {_fig(unit, 'macro_f1')} | "
            f"{_fig(unit, 'problem')} | {_fig(written, 'macro_f1', False)} | {_fig(written, 'problem', False)} | "
            f"{r['minutes'] or ''} | "
            f"{_routed(r)} |"
        )
    lines += _decision_lines(results)
    lines += _seed_lines(results)
    for mode in ("by document", "by unit"):
        lines += [
            "",
            f"## Real text {mode}, per part (category macro-F1 / problem F1)",
            "",
            "Per-part macro-F1 averages over the categories present in the part or predicted there, so a part where "
            "one category has a single unit moves a lot; '–' is a part without problem units.",
            "",
        ]
        parts = [p for p in results[0]["real"][mode] if p != "all"]
        first = results[0]["real"][mode]
        heads = [
            f"{p} ({first[p]['n']} units; problem units: {first[p]['problem'].get('support', '?')})" for p in parts
        ]
        lines += ["| variant | labels | " + " | ".join(heads) + " |", "|---" * (len(parts) + 2) + "|"]
        for r in results:
            cells = [
                f"{_fig(r['real'][mode][p], 'macro_f1', False)} / {_fig(r['real'][mode][p], 'problem', False)}"
                for p in parts
            ]
            lines.append(f"| {_named(r)} | " + " | ".join(cells) + " |")
    notes = {r["variant"]: VARIANTS[r["variant"]].note if r["variant"] in VARIANTS else r["note"] for r in results}
    lines += ["", "## Variants", ""] + [f"- **{name}**: {note}" for name, note in notes.items()]
    lines += _pretraining_lines(results)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _write(results: dict[str, dict], out: Path) -> list[dict]:
    """OUT.json and OUT.md from results by variant and label set, in the order of VARIANTS."""
    ordered = [_portable(r) for r in _order(results)]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(ordered, indent=1), encoding="utf-8")
    write_markdown(ordered, out.with_suffix(".md"))
    return ordered


def _portable(value: Any) -> Any:
    """A result with every absolute path cut to its last part (also after a 'source:' prefix), so that a committed
    table names no machine's folders."""
    if isinstance(value, dict):
        return {k: _portable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_portable(v) for v in value]
    if isinstance(value, str):
        prefix, _, rest = value.rpartition(":") if ":/" in value else ("", "", value)
        if rest.startswith("/"):
            return f"{prefix}:{Path(rest).name}" if prefix else Path(rest).name
    return value


def merge(files: list[Path], out: Path) -> list[dict]:
    """Results of several runs in one table, in the order of VARIANTS; a variant on one label set in more than one file
    keeps its last."""
    results: dict[str, dict] = {}
    for f in files:
        for r in json.loads(f.read_text(encoding="utf-8")):
            results[_result_key(r)] = r
    return _write(results, out)
