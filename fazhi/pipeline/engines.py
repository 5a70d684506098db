"""Engines for `fazhi tag` past one process: `--engine ray` runs the reading, segmenting and prediction
of each report as Ray Data ``map_batches`` over the report files.

The default engine (fazhi.pipeline.tag.local_reports) tags in this process. The Ray
engine hands each report to a pool of actors, each holding one copy of the
model, and gives the tagged reports back in input order; `run_tag` writes them
exactly as it writes the local engine's, so the output files are the same
byte for byte (tests/test_engines.py checks it). Commits, --resume, progress
and failures stay in the driver.

Ray is an optional extra: ``pip install 'fazhi[scale]'``.

On a cluster: start Ray on the nodes (``ray start --head`` on one,
``ray start --address=HEAD:6379`` on the others), install fazhi (same
version) on every node, and make the reports and the model directory visible
at the same paths on every node (a shared file system such as NFS); then run
``fazhi tag /shared/reports --engine ray --ray-address HEAD:6379 --workers N``
on the head node (or set RAY_ADDRESS). Each worker takes one CPU and loads
its own model.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

from fazhi.errors import UsageError
from fazhi.model import Predictor, load_model
from fazhi.pipeline.tag import Engine, Failure, Source, TaggedReport, read_source, tag_text

__all__ = ["ray_engine", "RAY_WORKERS"]

RAY_WORKERS = 2  # Ray actors, one CPU and one model copy each, when --workers is not given


class _TagReports:
    """A Ray actor: loads the model once, then reads and tags the reports of each batch it is given."""

    def __init__(self, model_dir: str, threads: int) -> None:
        import torch

        # One thread per worker, as Ray gives each one CPU. The scores do not depend on the thread count here
        # (1 and 2 threads gave byte-identical output over 30 written reports); tests/test_engines.py holds
        # the engine to the local output byte for byte.
        torch.set_num_threads(threads)
        self.model = load_model(Path(model_dir))

    def __call__(self, batch: dict) -> dict:
        out: dict[str, list] = {"i": [], "report": [], "failure": []}
        for i, path, doc, text in zip(batch["i"], batch["path"], batch["doc"], batch["text"], strict=True):
            source = Source(str(doc), Path(str(path)) if path else None)
            # Standard input was read by the driver and travels as text.
            got = str(text) if text is not None and source.path is None else read_source(source)
            if isinstance(got, Failure):
                out["i"].append(int(i))
                out["report"].append("")
                out["failure"].append(got.reason)
                continue
            report = tag_text(source.doc, got, self.model)
            out["i"].append(int(i))
            # JSON keeps each row's keys in order and every float exactly (repr round-trips), so the driver
            # formats the very same rows the local engine would.
            out["report"].append(json.dumps({"units": report.units, "summary": report.summary}, ensure_ascii=False))
            out["failure"].append("")
        return out


def ray_engine(model_dir: Path, workers: int = RAY_WORKERS, address: str | None = None) -> Engine:
    """An engine that tags on Ray: `workers` actors (one CPU each), on this machine or the cluster at address."""
    if workers < 1:
        raise UsageError(f"expected --workers of at least 1, found {workers}")
    try:
        import ray.data  # noqa: F401
    except ImportError:
        raise UsageError(
            "--engine ray needs Ray Data, which is not installed: pip install 'fazhi[scale]' (or 'ray[data]')"
        ) from None

    def reports(
        sources: Sequence[Source], _model: Predictor, stdin: BinaryIO | None = None
    ) -> Iterator[tuple[Source, TaggedReport | Failure]]:
        items, unread = _ray_items(sources, stdin)
        yield from unread
        if items:
            yield from _run_on_ray(items, sources, model_dir, workers, address)

    return reports


def _ray_items(sources: Sequence[Source], stdin: BinaryIO | None) -> tuple[list[dict], list[tuple[Source, Failure]]]:
    """The rows Ray distributes, one per report, and the failures of reading standard input (read here, by the
    driver: it travels as text)."""
    items: list[dict] = []
    unread: list[tuple[Source, Failure]] = []
    for i, s in enumerate(sources):
        text = None
        if s.path is None:
            got = read_source(s, stdin)
            if isinstance(got, Failure):
                unread.append((s, got))
                continue
            text = got
        items.append({"i": i, "path": str(s.path) if s.path is not None else "", "doc": s.doc, "text": text})
    return items, unread


def _run_on_ray(
    items: list[dict], sources: Sequence[Source], model_dir: Path, workers: int, address: str | None
) -> Iterator[tuple[Source, TaggedReport | Failure]]:
    import ray
    from ray.data import DataContext

    started = not ray.is_initialized()
    where = address or os.environ.get("RAY_ADDRESS")  # a cluster's own CPUs count there, not --workers
    if started:
        ray.init(
            address=where,
            num_cpus=None if where else workers,
            include_dashboard=False,
            log_to_driver=False,
            logging_level=logging.WARNING,
        )
    logging.getLogger("ray.data").setLevel(logging.WARNING)  # its per-run INFO lines would drown fazhi's own
    try:
        context = DataContext.get_current()
        context.execution_options.preserve_order = True
        context.enable_progress_bars = False
        ds = ray.data.from_items(items, override_num_blocks=len(items)).map_batches(
            _TagReports,
            fn_constructor_kwargs={"model_dir": str(model_dir), "threads": 1},
            batch_size=1,
            compute=ray.data.ActorPoolStrategy(size=workers),
            num_cpus=1,
            batch_format="numpy",
        )
        for row in ds.iter_rows():
            source = sources[int(row["i"])]
            if row["failure"]:
                yield source, Failure(source.doc, str(row["failure"]))
            else:
                data = json.loads(row["report"])
                yield source, TaggedReport(source.doc, data["units"], data["summary"])
    finally:
        if started:
            ray.shutdown()
