"""The ablation that chooses the shipped model: every variant trained the same way and scored on real text.

    .venv/bin/python -m fazhi.training.ablation --real ../shared/realdev [--only NAME ...] [--reuse]

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
    "4x256 lac-pretrained+context": _bert("enc-4x256-lac", "4 layers, pretrained (LAC embeddings), context"),
    "2x256 lac+context, noise": _bert("enc-2x256-lac", "plus character noise on 30% of training units", augment=0.3),
    "2x256 lac+context, regularised": _bert("enc-2x256-lac", "dropout 0.2, label smoothing 0.1, embeddings frozen 1 epoch",
                                            dropout=0.2, label_smoothing=0.1, freeze_embeddings_epochs=1),
    "2x256 lac+context, seeds x3": _bert("enc-2x256-lac", "real seed units weigh 3x in the loss", seed_weight=3.0),
    "average(bert, baseline+context)": Variant("average", "mean of the two models' probabilities",
                                               members=("2x256 lac-pretrained+context", "baseline+context")),
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
    value = m["macro_f1"] if key == "macro_f1" else m["problem"]["f1"]
    interval = m.get("ci", {}).get("macro_f1" if key == "macro_f1" else "problem_f1")
    return f"{value:.3f} [{interval[0]:.2f}, {interval[1]:.2f}]" if ci and interval else f"{value:.3f}"


def write_markdown(results: list[dict], path: Path) -> None:
    lines = [
        "# Ablation: which model fazhi ships",
        "",
        "Real text is `../shared/realdev` (880 labelled units of 66 published documents none of our data comes from), "
        "scored by tagging each whole document as `fazhi tag` does (*by document*) and unit by unit (*by unit*); "
        "95% bootstrap intervals over documents in brackets. *Written* is the project's own test split (written by "
        "the same hands as the training data, so it flatters every model). Generated by `python -m fazhi.training.ablation`.",
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
        lines += ["", f"## Real text {mode}, per part (category macro-F1 / problem F1)", ""]
        parts = [p for p in results[0]["real"][mode] if p != "all"]
        lines += ["| variant | " + " | ".join(parts) + " |", "|---" * (len(parts) + 1) + "|"]
        for r in results:
            cells = [f"{_fig(r['real'][mode][p], 'macro_f1', False)} / {_fig(r['real'][mode][p], 'problem', False)}" for p in parts]
            lines.append(f"| {r['variant']} | " + " | ".join(cells) + " |")
    lines += ["", "## Variants", ""] + [f"- **{r['variant']}**: {r['note']}" for r in results]
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
        ordered = [previous[n] for n in VARIANTS if n in previous]
        out.parent.mkdir(parents=True, exist_ok=True)
        out.with_suffix(".json").write_text(json.dumps(ordered, indent=1), encoding="utf-8")
        write_markdown(ordered, out.with_suffix(".md"))
    return [previous[n] for n in VARIANTS if n in previous]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--real", required=True, help="real-text folder to score on, e.g. ../shared/realdev")
    parser.add_argument("--only", nargs="*", default=list(VARIANTS), help="variants to run (default: all)")
    parser.add_argument("--data", default=str(LABELS_DIR), help="label folder (default: %(default)s)")
    parser.add_argument("--out", default=str(REPO_DIR / "docs" / "ablation"), help="path stem for .json and .md (default: %(default)s)")
    parser.add_argument("--reuse", action="store_true", help="reuse variants already trained in build/ablation")
    parser.add_argument("--bootstrap", type=int, default=1000, help="bootstrap samples for the intervals (default: %(default)s)")
    args = parser.parse_args()
    from fazhi.hub import quiet_transformers

    quiet_transformers()
    run(args.only, Path(args.data), Path(args.real), Path(args.out), log=lambda m: print(m, flush=True), reuse=args.reuse,
        samples=args.bootstrap)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
