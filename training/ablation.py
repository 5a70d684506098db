"""The ablation that chooses the shipped model: every variant trained the same way and scored on real text.

    .venv/bin/python -m fazhi.training.ablation --real ../shared/realdev [--only NAME ...] [--reuse] [--out STEM]
    .venv/bin/python -m fazhi.training.ablation --merge build/a.json build/b.json --out docs/ablation

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

from fazhi.paths import BUILD_DIR, LABELS_DIR, REPO_DIR
from fazhi.training.configs import BertTrainConfig, preset

WORK = BUILD_DIR / "ablation"
ENCODERS = BUILD_DIR / "pretrain"


@dataclass
class Variant:
    """One row of the ablation: how its model is made."""

    kind: str  # "baseline", "bert", "average" (of members) or "int8" (of one member)
    note: str
    baseline: dict[str, Any] = field(default_factory=dict)  # BaselineConfig overrides
    bert: BertTrainConfig | None = None
    encoder: str | None = None  # a folder under build/pretrain
    members: tuple[str, ...] = ()


def _bert(encoder: str | None, note: str, **changes: Any) -> Variant:
    base = preset("shipped")
    config = replace(base, base_model=None, **changes)
    return Variant("bert", note, bert=config, encoder=encoder)


VARIANTS: dict[str, Variant] = {
    "baseline": Variant("baseline", "TF-IDF + logistic regression, sentence alone", baseline={"context_weight": 0.0}),
    "baseline+context": Variant("baseline", "TF-IDF with the context as a second n-gram block (half weight)", baseline={"context_weight": 0.5}),
    "2x256 scratch": Variant("bert", "today's recipe: compact BERT from scratch, sentence alone", bert=preset("scratch-2x256")),
    "2x256 scratch+context": Variant("bert", "from scratch, context as second segment", bert=replace(preset("scratch-2x256"), context=True)),
    "2x256 lac-pretrained": _bert("enc-2x256-lac", "pretrained (People's Daily + our text, LAC embeddings), sentence alone", context=False),
    "2x256 lac-pretrained+context": _bert("enc-2x256-lac", "pretrained (LAC embeddings), context as second segment"),
    "2x256 random-pretrained+context": _bert("enc-2x256-random", "pretrained without LAC embeddings, context"),
    "4x256 lac-pretrained+context": _bert("enc-4x256-lac", "4 layers, pretrained (LAC embeddings) for 4 epochs, the compute of 8 "
                                          "epochs of 2x256; context. The shipped model/bert (make pretrained, make model)"),
    "2x256 lac+context, noise": _bert("enc-2x256-lac", "plus character noise on 30% of training units", augment=0.3),
    "2x256 lac+context, regularised": _bert("enc-2x256-lac", "dropout 0.2, label smoothing 0.1, embeddings frozen 1 epoch",
                                            dropout=0.2, label_smoothing=0.1, freeze_embeddings_epochs=1),
    "2x256 lac+context, seeds x3": _bert("enc-2x256-lac", "real seed units weigh 3x in the loss", seed_weight=3.0),
    "average(bert, baseline+context)": Variant("average", "mean of the two models' probabilities",
                                               members=("2x256 lac-pretrained+context", "baseline+context")),
    "2x256 lac-pretrained+context, int8": Variant("int8", "the same model with dynamic int8 Linear layers at load",
                                                  members=("2x256 lac-pretrained+context",)),
    "4x256 lac-pretrained+context, int8": Variant("int8", "the shipped BERT with dynamic int8 Linear layers at load",
                                                  members=("4x256 lac-pretrained+context",)),
}


def model_dir(name: str) -> Path:
    return WORK / name.replace(" ", "_").replace("+", "-").replace("(", "").replace(")", "").replace(",", "")


def build(name: str, data: Path, log, reuse: bool) -> tuple[Any, float]:
    """The variant's predictor and its training minutes (0 when reused)."""
    from fazhi.model import load_model
    from fazhi.model.configs import BaselineConfig
    from fazhi.model.ensemble import EnsemblePredictor
    from fazhi.training.baseline import train_baseline
    from fazhi.training.bert import train_bert

    v = VARIANTS[name]
    out = model_dir(name)
    if v.kind == "average":
        members = [build(m, data, log, reuse=True)[0] for m in v.members]
        return EnsemblePredictor(members, [1.0] * len(members), _average_threshold(members, data), name), 0.0
    if v.kind == "int8":
        if not (model_dir(v.members[0]) / "config.json").is_file():
            build(v.members[0], data, log, reuse=False)
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
            encoder = ENCODERS / v.encoder
            if not (encoder / "config.json").is_file():
                raise FileNotFoundError(f"{name}: expected the pretrained encoder {encoder} (fazhi pretrain), found none")
            config = replace(config, base_model=str(encoder))
        train_bert(data, out, replace(config, name=name), log=log, progress=False)
    return load_model(out), (time.time() - started) / 60


def _average_threshold(members, data: Path) -> float:
    """The problem threshold of the averaged score, chosen on the dev split (never on real text)."""
    import numpy as np

    from fazhi.context import row_contexts
    from fazhi.evaluate import best_threshold
    from fazhi.labels import load_splits

    dev = load_splits(data)["dev"]
    contexts = row_contexts(dev)
    probs = np.mean([m.predict([r.text for r in dev], contexts).problem_probs for m in members], axis=0)
    return best_threshold([r.problem for r in dev], probs)[0]


def score(name: str, predictor, data: Path, real: Path, minutes: float, samples: int) -> dict:
    from fazhi.evaluate import evaluate_real, evaluate_rows
    from fazhi.labels import load_splits, read_documents

    test = evaluate_rows(predictor, load_splits(data, need=("test",))["test"], name, read_documents(data)).metrics
    real_metrics = evaluate_real(predictor, real, name, samples).metrics
    return {"variant": name, "note": VARIANTS[name].note, "minutes": round(minutes, 1), "real": real_metrics, "test": test}


def _fig(m: dict, key: str, ci: bool = True) -> str:
    from fazhi.model.card import format_figure

    return format_figure(m, "macro_f1" if key == "macro_f1" else "f1", ci, sep=", ", undefined="–")


def _pretraining_lines(encoders: list[str | None]) -> list[str]:
    """What each encoder the variants start from was pretrained on, for how long, and its MLM loss by epoch."""
    rows = []
    for name in dict.fromkeys(e for e in encoders if e):
        summary_file = ENCODERS / name / "pretrain_config.json"
        if not summary_file.is_file():
            continue
        p = json.loads(summary_file.read_text(encoding="utf-8"))
        losses = ", ".join(f"{h['mlm_loss']:.2f}" for h in p.get("history", []) if "mlm_loss" in h)
        rows.append(f"| {name} | {p['layers']}x{p['hidden']} | {p['init_embeddings']} | {', '.join(p['corpus'])} + project text | "
                    f"{p['characters']:,} | {p['epochs']} | {p['minutes']} | {losses} |")
    if not rows:
        return []
    return ["", "## Pretraining of the encoders", "",
            "Whole-word MLM; minutes are wall-clock on the 2-core CPU machine with one torch thread while other jobs shared it.", "",
            "| encoder | size | embeddings start | corpus | characters | epochs | minutes | MLM loss by epoch |",
            "|---|---|---|---|---:|---:|---:|---|", *rows]


def write_markdown(results: list[dict], path: Path) -> None:
    lines = [
        "# Ablation: which model fazhi ships",
        "",
        "Real text is `../shared/realdev` (880 labelled units of 66 published documents none of our data comes from), "
        "scored by tagging each whole document as `fazhi tag` does (*by document*) and unit by unit (*by unit*); "
        "95% bootstrap intervals over documents in brackets. *Written* is the project's own test split (written by "
        "the same hands as the training data, so it flatters every model). *Train min* is wall-clock fine-tuning on the 2-core "
        "CPU machine with one torch thread while other jobs shared it. Generated by `python -m fazhi.training.ablation`.",
        "",
        "## Headline: real text, by document",
        "",
        "| variant | category macro-F1 | problem F1 | by unit: macro-F1 | by unit: problem F1 | written macro-F1 | written problem F1 | train min |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        doc, unit, written = r["real"]["by document"]["all"], r["real"]["by unit"]["all"], r["test"].get("written", r["test"]["all"])
        lines.append(f"| {r['variant']} | {_fig(doc, 'macro_f1')} | {_fig(doc, 'problem')} | {_fig(unit, 'macro_f1')} | "
                     f"{_fig(unit, 'problem')} | {_fig(written, 'macro_f1', False)} | {_fig(written, 'problem', False)} | {r['minutes'] or ''} |")
    for mode in ("by document", "by unit"):
        lines += ["", f"## Real text {mode}, per part (category macro-F1 / problem F1)", "",
                  "Per-part macro-F1 averages over the categories present in the part or predicted there, so a part where "
                  "one category has a single unit moves a lot; '–' is a part without problem units.", ""]
        parts = [p for p in results[0]["real"][mode] if p != "all"]
        first = results[0]["real"][mode]
        heads = [f"{p} ({first[p]['n']} units; problem units: {first[p]['problem'].get('support', '?')})" for p in parts]
        lines += ["| variant | " + " | ".join(heads) + " |", "|---" * (len(parts) + 1) + "|"]
        for r in results:
            cells = [f"{_fig(r['real'][mode][p], 'macro_f1', False)} / {_fig(r['real'][mode][p], 'problem', False)}" for p in parts]
            lines.append(f"| {r['variant']} | " + " | ".join(cells) + " |")
    lines += ["", "## Variants", ""] + [f"- **{r['variant']}**: {VARIANTS[r['variant']].note if r['variant'] in VARIANTS else r['note']}" for r in results]
    lines += _pretraining_lines([VARIANTS[r["variant"]].encoder for r in results if r["variant"] in VARIANTS])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def run(names: list[str], data: Path, real: Path, out: Path, log=print, reuse: bool = False, samples: int = 1000) -> list[dict]:
    previous = {r["variant"]: r for r in json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))} if out.with_suffix(".json").is_file() else {}
    for name in names:
        if name not in VARIANTS:
            raise ValueError(f"expected variants among {', '.join(VARIANTS)}, found {name!r}")
        predictor, minutes = build(name, data, log, reuse)
        result = score(name, predictor, data, real, minutes or previous.get(name, {}).get("minutes", 0.0), samples)
        previous[name] = result
        d = result["real"]["by document"]["all"]
        log(f"{name}: real text by document macro-F1 {d['macro_f1']:.3f}, problem F1 {d['problem']['f1']:.3f}")
        _write(previous, out)  # after every variant, so a stopped run keeps what it measured
    return [previous[n] for n in VARIANTS if n in previous]


def _write(results: dict[str, dict], out: Path) -> list[dict]:
    """OUT.json and OUT.md from results by variant name, in the order of VARIANTS."""
    ordered = [results[n] for n in VARIANTS if n in results]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(ordered, indent=1), encoding="utf-8")
    write_markdown(ordered, out.with_suffix(".md"))
    return ordered


def merge(files: list[Path], out: Path) -> list[dict]:
    """Results of several runs in one table, in the order of VARIANTS; a variant in more than one file keeps its last."""
    results: dict[str, dict] = {}
    for f in files:
        for r in json.loads(f.read_text(encoding="utf-8")):
            results[r["variant"]] = r
    return _write(results, out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--real", help="real-text folder to score on, e.g. ../shared/realdev (required unless --merge)")
    parser.add_argument("--only", nargs="*", default=list(VARIANTS), help="variants to run (default: all)")
    parser.add_argument("--data", default=str(LABELS_DIR), help="label folder (default: %(default)s)")
    parser.add_argument("--out", default=str(REPO_DIR / "docs" / "ablation"), help="path stem for .json and .md (default: %(default)s)")
    parser.add_argument("--reuse", action="store_true", help="reuse variants already trained in build/ablation")
    parser.add_argument("--bootstrap", type=int, default=1000, help="bootstrap samples for the intervals (default: %(default)s)")
    parser.add_argument("--merge", nargs="+", metavar="JSON", default=None,
                        help="train nothing: combine the result files of runs made side by side (each with its own --out) into OUT")
    args = parser.parse_args()
    if args.merge:
        merge([Path(m) for m in args.merge], Path(args.out))
        return 0
    from fazhi.hub import quiet_transformers

    quiet_transformers()
    if not args.real:
        parser.error("expected --real FOLDER (the real-text folder to score on), found none")
    run(args.only, Path(args.data), Path(args.real), Path(args.out), log=lambda m: print(m, flush=True), reuse=args.reuse,
        samples=args.bootstrap)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
