"""The ablation that chooses the shipped model: every variant trained the same way and scored on real text.

    .venv/bin/python -m fazhi.training.ablation --real ../shared/realdev [--only NAME ...] [--reuse] [--out STEM]
    .venv/bin/python -m fazhi.training.ablation --merge build/a.json build/b.json --out docs/ablation

Variants that start from an encoder read it from --encoders (default build/pretrain), where `fazhi pretrain`
writes them; variants "before the rule-13 relabel" train on --labels-before, an export of data/labels at the
commit before the relabel (for example `git archive HASH~ data/labels | tar -x -C build/before`). Cascade and
hybrid variants are built from two trained variants by fazhi.training.cascade (head and margins on dev).

Each variant is trained into build/ablation/NAME (fine-tuning from an encoder
that `fazhi pretrain` wrote into build/pretrain/ when the variant names one)
and scored three ways: on a real-text folder unit by unit and by tagging each
whole document (per part, with 95% bootstrap intervals over documents), and
on the written test split. Choosing among variants by their real-text
figures is what the real-text folder is for; nothing here trains on it,
stops early on it or sets a threshold on it: those use the project's dev
split. Figures go to OUT.json and OUT.md.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from fazhi.evaluation.real_text import BOOTSTRAP_SAMPLES
from fazhi.model.config import read_config
from fazhi.paths import BUILD_DIR, LABELS_DIR, REPO_DIR
from fazhi.training.configs import BertTrainConfig, preset

WORK = BUILD_DIR / "ablation"
ENCODERS = BUILD_DIR / "pretrain"


@dataclass
class Variant:
    """One row of the ablation: how its model is made."""

    kind: str  # "baseline", "bert", "average" (of members), "int8" (of one member), "cascade" or "hybrid" (of baseline, bert)
    note: str
    baseline: dict[str, Any] = field(default_factory=dict)  # BaselineConfig overrides
    bert: BertTrainConfig | None = None
    encoder: str | None = None  # a folder under --encoders
    members: tuple[str, ...] = ()
    labels: str = "current"  # "before": trained on --labels-before (data/labels before the rule-13 relabel)
    cascade: dict[str, Any] = field(default_factory=dict)  # CascadeConfig overrides


def _bert(encoder: str | None, note: str, **changes: Any) -> Variant:
    base = preset("shipped")
    config = replace(base, base_model=None, **changes)
    return Variant("bert", note, bert=config, encoder=encoder)


def _fast(encoder: str, note: str, seed: int = 13) -> Variant:
    """Issue 16's fine-tunes: the 'fast' preset (the shipped recipe in at most 10 minutes) from an encoder of --encoders."""
    return Variant("bert", note, bert=replace(preset("fast"), base_model=None, seed=seed), encoder=encoder)


# The encoders of issue 16 (folders of --encoders): today's, continued by MLM or ELECTRA on the laws corpus,
# each then trained on the laws' weak area labels (the intermediate task).
NEW_ENCODERS = {
    "v1": ("encoder-v1", "today's encoder (People's Daily, 4 epochs of MLM)"),
    "mlm": ("mlm", "today's encoder continued by whole-word MLM on People's Daily + laws-db + LawRefBook + our text"),
    "electra": (
        "electra",
        "today's encoder continued by ELECTRA (1-layer generator, discriminator kept) on the same corpus",
    ),
    "mlm+laws": ("mlm-laws", "the MLM encoder, then the intermediate task (a statute's subject as its articles' area)"),
    "electra+laws": ("electra-laws", "the ELECTRA encoder, then the intermediate task"),
}

VARIANTS: dict[str, Variant] = {
    "baseline": Variant("baseline", "TF-IDF + logistic regression, sentence alone", baseline={"context_weight": 0.0}),
    "baseline+context": Variant(
        "baseline", "TF-IDF with the context as a second n-gram block (half weight)", baseline={"context_weight": 0.5}
    ),
    "2x256 scratch": Variant(
        "bert", "today's recipe: compact BERT from scratch, sentence alone", bert=preset("scratch-2x256")
    ),
    "2x256 scratch+context": Variant(
        "bert", "from scratch, context as second segment", bert=replace(preset("scratch-2x256"), context=True)
    ),
    "2x256 lac-pretrained": _bert(
        "enc-2x256-lac", "pretrained (People's Daily + our text, LAC embeddings), sentence alone", context=False
    ),
    "2x256 lac-pretrained+context": _bert("enc-2x256-lac", "pretrained (LAC embeddings), context as second segment"),
    "2x256 random-pretrained+context": _bert("enc-2x256-random", "pretrained without LAC embeddings, context"),
    "4x256 lac-pretrained+context": _bert(
        "enc-4x256-lac",
        "4 layers, pretrained (LAC embeddings) for 4 epochs, the compute of 8 "
        "epochs of 2x256; context. The shipped model/bert (make pretrained, make model)",
    ),
    "2x256 lac+context, noise": _bert("enc-2x256-lac", "plus character noise on 30% of training units", augment=0.3),
    "2x256 lac+context, regularised": _bert(
        "enc-2x256-lac",
        "dropout 0.2, label smoothing 0.1, embeddings frozen 1 epoch",
        dropout=0.2,
        label_smoothing=0.1,
        freeze_embeddings_epochs=1,
    ),
    "2x256 lac+context, seeds x3": _bert("enc-2x256-lac", "real seed units weigh 3x in the loss", seed_weight=3.0),
    "average(bert, baseline+context)": Variant(
        "average", "mean of the two models' probabilities", members=("2x256 lac-pretrained+context", "baseline+context")
    ),
    "2x256 lac-pretrained+context, int8": Variant(
        "int8", "the same model with dynamic int8 Linear layers at load", members=("2x256 lac-pretrained+context",)
    ),
    "4x256 lac-pretrained+context, int8": Variant(
        "int8", "the shipped BERT with dynamic int8 Linear layers at load", members=("4x256 lac-pretrained+context",)
    ),
    "baseline+context, before rule-13 relabel": Variant(
        "baseline",
        "baseline+context trained on data/labels before the rule-13 relabel and the new units",
        baseline={"context_weight": 0.5},
        labels="before",
    ),
}
_BASE = "baseline+context"
for _key, (_folder, _about) in NEW_ENCODERS.items():
    for _seed in (13, 14, 15):
        _suffix = "" if _seed == 13 else f", seed {_seed}"
        _bert_name = f"bert {_key}{_suffix}"
        VARIANTS[_bert_name] = _fast(
            _folder, f"4x256 fine-tuned ('fast' preset, seed {_seed}) from {_about}; context", _seed
        )
        VARIANTS[f"hybrid({_key}){_suffix}"] = Variant(
            "hybrid", f"stacked head over {_BASE} and {_bert_name}, fitted on dev", members=(_BASE, _bert_name)
        )
        VARIANTS[f"cascade({_key}){_suffix}"] = Variant(
            "cascade",
            f"{_BASE} answers where sure, {_bert_name} (or the mix) elsewhere; margins on dev",
            members=(_BASE, _bert_name),
        )
        VARIANTS[f"cascade({_key}, hybrid){_suffix}"] = Variant(
            "cascade",
            f"{_BASE} answers where sure, hybrid({_key}){_suffix} elsewhere; margins on dev",
            members=(_BASE, _bert_name),
            cascade={"second": "hybrid"},
        )
    VARIANTS[f"bert {_key}, int8"] = Variant(
        "int8", f"bert {_key} with dynamic int8 Linear layers at load", members=(f"bert {_key}",)
    )
    VARIANTS[f"cascade({_key}), int8"] = Variant(
        "int8", f"cascade({_key}) with its BERT's Linear layers dynamic int8 at load", members=(f"cascade({_key})",)
    )
VARIANTS["cascade(shipped)"] = Variant(
    "cascade",
    "the shipped model/baseline answers where sure, the shipped model/bert (4x256 "
    "lac-pretrained+context) elsewhere; margins on dev",
    members=("model/baseline", "model/bert"),
)
VARIANTS["cascade(shipped, hybrid)"] = Variant(
    "cascade",
    "the shipped model/baseline answers where sure, hybrid(shipped) elsewhere; margins on dev",
    members=("model/baseline", "model/bert"),
    cascade={"second": "hybrid"},
)
VARIANTS["hybrid(shipped)"] = Variant(
    "hybrid",
    "stacked head over the shipped model/baseline and model/bert, fitted on dev",
    members=("model/baseline", "model/bert"),
)


def model_dir(name: str) -> Path:
    return WORK / name.replace(" ", "_").replace("+", "-").replace("(", "").replace(")", "").replace(",", "")


def build(
    name: str, data: Path, log, reuse: bool, encoders: Path = ENCODERS, labels_before: Path | None = None
) -> tuple[Any, float]:
    """The variant's predictor and its training minutes (0 when reused)."""
    from fazhi.model import load_model
    from fazhi.model.configs import BaselineConfig
    from fazhi.model.ensemble import EnsemblePredictor
    from fazhi.training.baseline import train_baseline
    from fazhi.training.bert import train_bert

    v = VARIANTS[name]
    out = model_dir(name)
    if v.kind in ("cascade", "hybrid"):
        from fazhi.training.cascade import build as build_composite
        from fazhi.training.configs import CascadeConfig

        for m in v.members:
            if not m.startswith("model/"):
                build(m, data, log, reuse=True, encoders=encoders, labels_before=labels_before)
        dirs = [REPO_DIR / m if m.startswith("model/") else model_dir(m) for m in v.members]
        if not (reuse and (out / "config.json").is_file()):
            build_composite(v.kind, dirs[0], dirs[1], data, out, CascadeConfig(name=name, **v.cascade), log=log)
        return load_model(out), 0.0
    if v.labels == "before":
        if labels_before is None:
            raise ValueError(f"{name}: expected --labels-before (data/labels before the rule-13 relabel), found none")
        data = labels_before
    if v.kind == "average":
        members = [build(m, data, log, reuse=True)[0] for m in v.members]
        return EnsemblePredictor(members, [1.0] * len(members), _average_threshold(members, data), name), 0.0
    if v.kind == "int8":
        if not (model_dir(v.members[0]) / "config.json").is_file():
            build(v.members[0], data, log, reuse=False, encoders=encoders, labels_before=labels_before)
        return load_model(model_dir(v.members[0]), quantize=True), 0.0
    if reuse and (out / "config.json").is_file():
        log(f"{name}: reusing {out}")
        return load_model(out), 0.0
    started = time.time()
    if v.kind == "baseline":
        train_baseline(data, out, BaselineConfig(**v.baseline), log=log)
    else:
        assert v.bert is not None
        config = v.bert
        if v.encoder:
            encoder = encoders / v.encoder
            if not (encoder / "config.json").is_file():
                raise FileNotFoundError(
                    f"{name}: expected the pretrained encoder {encoder} (fazhi pretrain), found none"
                )
            config = replace(config, base_model=str(encoder))
        train_bert(data, out, replace(config, name=name), log=log, progress=False)
    return load_model(out), (time.time() - started) / 60


def _average_threshold(members, data: Path) -> float:
    """The problem threshold of the averaged score, chosen on the dev split (never on real text)."""
    import numpy as np

    from fazhi.evaluation.metrics import best_threshold
    from fazhi.labels import load_splits
    from fazhi.pipeline.context import row_contexts

    dev = load_splits(data)["dev"]
    contexts = row_contexts(dev)
    probs = np.mean([m.predict([r.text for r in dev], contexts).problem_probs for m in members], axis=0)
    return best_threshold([r.problem for r in dev], probs)[0]


def routed_shares(predictor, real: Path) -> dict[str, Any] | None:
    """A cascade's share of units sent to its second part: on dev (where its margins were chosen), on the real-text
    units read alone, and on every unit `fazhi tag` makes of the real documents (read with their contexts)."""
    if not hasattr(predictor, "route"):
        return None
    from fazhi.evaluation.real_text import read_real_set
    from fazhi.pipeline.context import unit_contexts
    from fazhi.pipeline.segment import segment

    real_set = read_real_set(real)
    by_unit = predictor.route([u.text for u in real_set.units])
    routed, total = 0, 0
    for text in real_set.docs.values():
        units = segment(text)
        if units:
            r = predictor.route([u.text for u in units], unit_contexts(units))
            routed, total = routed + int(r.sum()), total + len(units)
    dev = getattr(predictor, "dev_share_routed", None)
    return {
        "dev": dev,
        "real_units": float(by_unit.mean()),
        "real_documents": routed / total if total else 0.0,
        "real_document_units": total,
    }


def score(
    name: str, predictor, data: Path, real: Path, minutes: float, samples: int, encoders: Path = ENCODERS
) -> dict:
    from fazhi.evaluation.evaluate import evaluate_real, evaluate_rows
    from fazhi.labels import load_splits, read_documents

    test = evaluate_rows(predictor, load_splits(data, need=("test",))["test"], name, read_documents(data)).metrics
    real_metrics = evaluate_real(predictor, real, name, samples).metrics
    result: dict[str, Any] = {
        "variant": name,
        "note": VARIANTS[name].note,
        "minutes": round(minutes, 1),
        "real": real_metrics,
        "test": test,
        "labels": label_set(data),
    }
    shares = routed_shares(predictor, real)
    if shares is not None:
        result["routed"] = shares
    encoder = VARIANTS[name].encoder
    summary_file = encoders / encoder / "pretrain_config.json" if encoder else None
    if summary_file is not None and summary_file.is_file():
        result["encoder"] = {"name": encoder, **json.loads(summary_file.read_text(encoding="utf-8"))}
        # The size the encoder has, not pretrain's own size options (unused when it starts from another encoder).
        shape = read_config(summary_file.parent)
        result["encoder"].update(layers=shape.get("num_hidden_layers"), hidden=shape.get("hidden_size"))
    return result


def label_set(data: Path) -> str:
    """The label set a variant was trained on, by its size and a digest of its rows (a relabel keeps the size): rows
    trained on different label sets do not compare."""
    import hashlib

    from fazhi.labels import load_rows

    rows = load_rows(data)[0]
    digest = hashlib.sha256(
        "\n".join(sorted(f"{r.id}\t{r.split}\t{r.category}\t{r.problem}\t{r.text}" for r in rows)).encode()
    )
    return f"{len(rows):,} rows ({digest.hexdigest()[:6]})"


def _result_key(r: dict) -> str:
    """A result's place in a table: its variant and, when it says one, its label set (one variant may be run on several)."""
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
        "| encoder | objective | size | starts from | corpus | characters | steps | minutes | held-out loss, start → end |",
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
        f"{corpus_text} | {f'{chars:,}' if isinstance(chars, int) else ''} | {p.get('steps', '')} | {p.get('minutes', '')} | {losses} |"
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
        "| variant | labels | seeds | by document macro-F1 | by document problem F1 | by unit macro-F1 | by unit problem F1 | "
        "by document, per part macro-F1 |",
        "|---|---|---:|---:|---:|---:|---:|---|",
        *lines,
    ]


def write_markdown(results: list[dict], path: Path) -> None:
    lines = [
        "# Ablation: which model fazhi ships",
        "",
        "Real text is `../shared/realdev` (880 labelled units of 66 published documents none of our data comes from), "
        "scored by tagging each whole document as `fazhi tag` does (*by document*) and unit by unit (*by unit*); "
        "95% bootstrap intervals over documents in brackets. *Written* is the project's own test split (written by "
        "the same hands as the training data, so it flatters every model). *Train min* is wall-clock fine-tuning on the 2-core "
        "CPU machine with one torch thread while other jobs shared it. Generated by `python -m fazhi.training.ablation`. "
        "*Labels* names the label set a row was trained on, by its size and a digest of its rows: rows on different "
        "sets do not compare. On this page: *before issue 16* (the 2x256 and 4x256 rows, measured on the labels of their "
        "day; 4x256 lac-pretrained+context was the shipped model/bert); 8,104 rows (bf5b9c), data/labels just before the "
        "rule-13 relabel; 8,104 rows (6026fd), just after it; 8,719 rows (e19f4d), with part of issue 16's new written "
        "reports; 8,904 rows (755337), with all of them (today's data/labels). A cascade or hybrid fits its margins or "
        "head on the dev split.",
        "",
        "## Headline: real text, by document",
        "",
        "*Routed* is a cascade's share of units sent to its second part: on dev / on realdev units read alone / on every unit "
        "`fazhi tag` makes of the realdev documents.",
        "",
        "| variant | labels | category macro-F1 | problem F1 | by unit: macro-F1 | by unit: problem F1 | written macro-F1 | "
        "written problem F1 | train min | routed |",
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
            f"{_fig(unit, 'problem')} | {_fig(written, 'macro_f1', False)} | {_fig(written, 'problem', False)} | {r['minutes'] or ''} | "
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


def run(
    names: list[str],
    data: Path,
    real: Path,
    out: Path,
    log=print,
    reuse: bool = False,
    samples: int = BOOTSTRAP_SAMPLES,
    encoders: Path = ENCODERS,
    labels_before: Path | None = None,
) -> list[dict]:
    previous = (
        {_result_key(r): r for r in json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))}
        if out.with_suffix(".json").is_file()
        else {}
    )
    for name in names:
        if name not in VARIANTS:
            raise ValueError(f"expected variants among {', '.join(VARIANTS)}, found {name!r}")
        predictor, minutes = build(name, data, log, reuse, encoders, labels_before)
        earlier = previous.get(_result_key({"variant": name, "labels": label_set(data)}), {})
        result = score(name, predictor, data, real, minutes or earlier.get("minutes", 0.0), samples, encoders)
        previous[_result_key(result)] = result
        d = result["real"]["by document"]["all"]
        log(f"{name}: real text by document macro-F1 {d['macro_f1']:.3f}, problem F1 {d['problem']['f1']:.3f}")
        _write(previous, out)  # after every variant, so a stopped run keeps what it measured
    return _order(previous)


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--real", help="real-text folder to score on, e.g. ../shared/realdev (required unless --merge)")
    parser.add_argument("--only", nargs="*", default=list(VARIANTS), help="variants to run (default: all)")
    parser.add_argument("--data", default=str(LABELS_DIR), help="label folder (default: %(default)s)")
    parser.add_argument(
        "--out", default=str(REPO_DIR / "docs" / "ablation"), help="path stem for .json and .md (default: %(default)s)"
    )
    parser.add_argument("--reuse", action="store_true", help="reuse variants already trained in build/ablation")
    parser.add_argument(
        "--encoders",
        default=str(ENCODERS),
        help="folder of pretrained encoders the variants name (default: %(default)s)",
    )
    parser.add_argument(
        "--labels-before", default=None, help="data/labels before the rule-13 relabel, for the variants trained on it"
    )
    parser.add_argument(
        "--bootstrap",
        type=int,
        default=BOOTSTRAP_SAMPLES,
        help="bootstrap samples for the intervals (default: %(default)s)",
    )
    parser.add_argument(
        "--merge",
        nargs="+",
        metavar="JSON",
        default=None,
        help="train nothing: combine the result files of runs made side by side (each with its own --out) into OUT",
    )
    args = parser.parse_args()
    if args.merge:
        merge([Path(m) for m in args.merge], Path(args.out))
        return 0
    from fazhi.hub import quiet_transformers

    quiet_transformers()
    if not args.real:
        parser.error("expected --real FOLDER (the real-text folder to score on), found none")
    run(
        args.only,
        Path(args.data),
        Path(args.real),
        Path(args.out),
        log=lambda m: print(m, flush=True),
        reuse=args.reuse,
        samples=args.bootstrap,
        encoders=Path(args.encoders),
        labels_before=Path(args.labels_before) if args.labels_before else None,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
