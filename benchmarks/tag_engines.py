"""Throughput of `fazhi tag` by engine: local, and Ray with 1 and 2 workers, on this machine.

The corpus is the project's written reports (data/reports/written) and
copies of them, --reports in all, tagged with the shipped model (or --model).
For each engine it gives the wall time of the whole run (Ray's start-up
included) and the steady throughput: sentences per second from the first
tagged report to the last, which is what a long archive run sees.

    .venv/bin/python benchmarks/tag_engines.py [--reports 200] [--engines local local:1 ray:1 ray:2]

Ray gives each worker one CPU and one torch thread; `local:1` is the local
engine with one thread too, which isolates what the pool itself brings.
"""

from __future__ import annotations

import argparse
import io
import shutil
import sys
import tempfile
import time
from pathlib import Path

from fazhi.model import default_model_dir, load_model
from fazhi.output.run import run_tag
from fazhi.paths import REPO_DIR
from fazhi.pipeline.tag import Engine, TaggedReport, local_reports


def timed(engine: Engine, marks: list[tuple[float, int]]) -> Engine:
    """engine, recording (time, sentences) at each report it hands over."""

    def reports(sources, model, stdin=None):
        for source, report in engine(sources, model, stdin):
            marks.append((time.perf_counter(), len(report.units) if isinstance(report, TaggedReport) else 0))
            yield source, report

    return reports


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reports", type=int, default=200)
    ap.add_argument("--model", default=None, help="model directory (default: the shipped model)")
    ap.add_argument("--engines", nargs="+", default=["local", "local:1", "ray:1", "ray:2"])
    args = ap.parse_args(argv)
    model_dir = Path(args.model) if args.model else default_model_dir()
    model = load_model(model_dir)
    import torch

    default_threads = torch.get_num_threads()
    texts = sorted((REPO_DIR / "data" / "reports" / "written").glob("*.txt"))
    with tempfile.TemporaryDirectory(prefix="fazhi-engines-") as tmp:
        corpus = Path(tmp) / "reports"
        for k in range(args.reports):
            sub = corpus / f"copy{k // len(texts)}"
            sub.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(texts[k % len(texts)], sub / texts[k % len(texts)].name)
        print(f"{args.reports} reports, model {model.name}")
        print("| engine | wall s (start-up included) | first report after s | steady sentences/s | sentences |")
        print("|---|---:|---:|---:|---:|")
        for spec in args.engines:
            engine: Engine
            if spec.startswith("local"):
                # local:T runs the local engine with T torch threads (default: torch's own choice, one per core).
                import torch

                torch.set_num_threads(int(spec.split(":")[1]) if ":" in spec else default_threads)
                engine = local_reports
            else:
                from fazhi.pipeline.engines import ray_engine

                engine = ray_engine(model_dir, workers=int(spec.split(":")[1]))
            marks: list[tuple[float, int]] = []
            t0 = time.perf_counter()
            result = run_tag([str(corpus)], model, write_units=False, engine=timed(engine, marks), log=io.StringIO())
            wall = time.perf_counter() - t0
            steady = sum(n for _, n in marks[1:]) / (marks[-1][0] - marks[0][0]) if len(marks) > 1 else float("nan")
            print(f"| {spec} | {wall:.1f} | {marks[0][0] - t0:.1f} | {steady:.0f} | {result.sentences} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
