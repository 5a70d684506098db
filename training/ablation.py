"""The ablation behind the shipped model: every variant trained and scored on test the same way.

    .venv/bin/python -m fazhi.training.ablation [--only NAME ...] [--out docs/ablation]

Variants: the TF-IDF baseline; compact BERTs of two sizes from scratch and
after `fazhi pretrain`; each BERT also scored with dynamic int8 quantisation.
Figures are written to OUT.json and OUT.md (seed = real text, written apart).
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from pathlib import Path

from fazhi.paths import LABELS_DIR, REPO_DIR
from fazhi.training.configs import BertTrainConfig, PretrainConfig

WORK = Path("/tmp/fazhi-ablation")

# name -> (pretrain config or None, fine-tune config)
VARIANTS: dict[str, tuple[PretrainConfig | None, BertTrainConfig]] = {
    "bert-2x256-scratch": (None, BertTrainConfig(layers=2, hidden=256, heads=4, lr=5e-4, epochs=15, patience=4)),
    "bert-2x256-pretrained": (PretrainConfig(layers=2, hidden=256, heads=4, epochs=40), BertTrainConfig(lr=3e-4, epochs=15, patience=4)),
    "bert-4x256-scratch": (None, BertTrainConfig(layers=4, hidden=256, heads=4, lr=3e-4, epochs=15, patience=4)),
    "bert-4x256-pretrained": (PretrainConfig(layers=4, hidden=256, heads=4, epochs=15), BertTrainConfig(lr=2e-4, epochs=15, patience=4)),
}


def _row(name: str, metrics: dict, minutes: float, note: str = "") -> dict:
    out = {"variant": name, "minutes": round(minutes, 1), "note": note}
    for part in ("seed", "written"):
        m = metrics.get(part)
        if m:
            out[f"{part}_macro_f1"] = round(m["macro_f1"], 3)
            out[f"{part}_problem_f1"] = round(m["problem"]["f1"], 3)
    return out


def run(names: list[str], data: Path, out: Path, log=print, reuse: bool = False) -> list[dict]:
    from fazhi.evaluate import evaluate_rows
    from fazhi.labels import load_splits
    from fazhi.model import load_model
    from fazhi.training.baseline import train_baseline
    from fazhi.training.bert import train_bert
    from fazhi.training.pretrain import pretrain

    test = load_splits(data)["test"]
    out.parent.mkdir(parents=True, exist_ok=True)
    results = []
    if "baseline" in names:
        t = time.time()
        d = train_baseline(data, WORK / "baseline", log=log)
        results.append(_row("baseline (TF-IDF + logistic regression)", json.loads((d / "evaluation.json").read_text()), (time.time() - t) / 60))
    for name in names:
        if name not in VARIANTS:
            continue
        pre, fine = VARIANTS[name]
        t = time.time()
        done = WORK / name / "config.json"
        if reuse and done.exists():
            model_dir = WORK / name
            minutes = json.loads(done.read_text())["fazhi_training"]["minutes"]
            log(f"{name}: reusing {model_dir}")
        elif pre is not None:
            enc_dir = WORK / f"{name}-encoder"
            pretrain(data, enc_dir, pre, log=log, progress=False)
            fine = replace(fine, base_model=str(enc_dir))
        if not (reuse and done.exists()):
            model_dir = train_bert(data, WORK / name, replace(fine, name=name), log=log, progress=False)
            minutes = (time.time() - t) / 60
        f = evaluate_rows(load_model(model_dir, quantize=False), test, f"{name} float32")
        results.append(_row(name, f.metrics, minutes, "float32"))
        q = evaluate_rows(load_model(model_dir, quantize=True), test, f"{name} int8")
        results.append(_row(f"{name} + dynamic int8", q.metrics, 0.0, "same weights, Linear layers quantised at load"))
        out.with_suffix(".json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    write_markdown(results, out.with_suffix(".md"))
    out.with_suffix(".json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    return results


def write_markdown(results: list[dict], path: Path) -> None:
    lines = [
        "| variant | seed macro-F1 | seed problem F1 | written macro-F1 | written problem F1 | train minutes (2 cores) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        cells = [r.get(k, "") for k in ("seed_macro_f1", "seed_problem_f1", "written_macro_f1", "written_problem_f1")]
        lines.append(f"| {r['variant']} | " + " | ".join(str(c) for c in cells) + f" | {r['minutes'] or ''} |")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="*", default=["baseline", *VARIANTS], help="variants to run (default: all)")
    parser.add_argument("--data", default=str(LABELS_DIR))
    parser.add_argument("--out", default=str(REPO_DIR / "docs" / "ablation"), help="path stem for .json and .md")
    parser.add_argument("--reuse", action="store_true", help="reuse variants already trained in /tmp/fazhi-ablation")
    args = parser.parse_args()
    from fazhi.hub import quiet_transformers

    quiet_transformers()
    run(args.only, Path(args.data), Path(args.out), log=lambda m: print(m, flush=True), reuse=args.reuse)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
