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
from pathlib import Path

from fazhi.evaluation.real_text import BOOTSTRAP_SAMPLES
from fazhi.paths import LABELS_DIR, REPO_DIR
from fazhi.training.ablation_build import build, label_set, score
from fazhi.training.ablation_tables import _order, _result_key, _write, merge
from fazhi.training.ablation_variants import ENCODERS, VARIANTS


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
