"""The service's state: the model (in worker processes or in this one), the batcher, and their lifetime.

Nothing starts when a Service is built: :meth:`start` (called by the app's
lifespan) starts the workers or loads the model, and :meth:`stop` ends them,
so an app that is built and never run leaves no process behind.

Every batch of scores is checked (fazhi.model.checks.check_scores) before it
becomes a label: scores that are not probabilities fail their requests with
500 ``model_error``, and ``/healthz`` answers 503 until a later call gives
probabilities again.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fazhi.model import ModelLoadError, Predictor, default_model_dir, load_model
from fazhi.model.checks import ModelOutputError, check_scores
from fazhi.model.prediction import Scores
from fazhi.pipeline.results import classify as classify_sentences
from fazhi.serve.batching import MicroBatcher
from fazhi.serve.model_info import model_info
from fazhi.serve.settings import ServeSettings
from fazhi.serve.worker import ModelPool
from fazhi.serve.worker.child import reads_context

__all__ = ["Service", "CheckedModel", "DEFAULT_MAX_WORKERS"]

# Workers by default: one per core, but no more than this many (each holds its own copy of torch and the model).
DEFAULT_MAX_WORKERS = 4


class CheckedModel:
    """A Predictor whose every batch of scores is checked; remembers the last fault until a good batch."""

    def __init__(self, model: Predictor) -> None:
        self.model = model
        self.name, self.labels, self.threshold, self.max_chars = (
            model.name,
            model.labels,
            model.threshold,
            model.max_chars,
        )
        self.fault: str | None = None

    @property
    def int8(self) -> bool:
        return self.model.int8

    def predict(self, texts: Sequence[str], contexts: Sequence[str] | None = None) -> Scores:
        scores = self.model.predict(texts, contexts)
        try:
            check_scores(scores, len(texts))
        except ModelOutputError as exc:
            self.fault = str(exc)
            raise
        self.fault = None
        return scores


class Service:
    def __init__(self, settings: ServeSettings, model: Predictor | None = None) -> None:
        settings.validate()
        self.settings = settings
        self.directory = Path(settings.model) if settings.model else default_model_dir()
        self._given = model
        self.pool: ModelPool | None = None
        self.model: CheckedModel | None = None
        self.batcher: MicroBatcher | None = None
        self.info: dict[str, Any] = {}

    async def start(self) -> None:
        """Start the workers (or load the model) and the batcher; ModelLoadError for a model that cannot serve."""
        settings = self.settings
        if self._given is not None:
            raw: Predictor = self._given
            context = await asyncio.to_thread(reads_context, raw)
        elif settings.inference == "process":
            if not (self.directory / "config.json").is_file():
                raise ModelLoadError(
                    f"expected a model directory containing config.json, found none at {self.directory}"
                )
            workers = settings.workers or min(os.cpu_count() or 1, DEFAULT_MAX_WORKERS)
            pool: ModelPool = await asyncio.to_thread(
                ModelPool,
                self.directory,
                workers=workers,
                threads=settings.model_threads,
                timeout_s=settings.model_timeout_s,
                int8=settings.int8,
            )
            self.pool = pool
            raw, context = pool, pool.reads_context
        else:
            raw = await asyncio.to_thread(load_model, self.directory, settings.int8)
            context = await asyncio.to_thread(reads_context, raw)
        model = self.model = CheckedModel(raw)
        self.info = model_info(model, self.directory, context, getattr(raw, "composition", None))
        self.batcher = MicroBatcher(
            lambda pairs: classify_sentences(model, [t for t, _ in pairs], [c for _, c in pairs]),
            max_batch=settings.max_batch,
            wait_ms=settings.batch_wait_ms,
            timeout_s=settings.model_timeout_s,
            concurrency=len(self.pool.workers) if self.pool is not None else 1,
        )
        await self.batcher.start()

    async def stop(self) -> None:
        if self.batcher is not None:
            await self.batcher.stop()
        if self.pool is not None:
            await asyncio.to_thread(self.pool.close)
            self.pool = None

    def health(self) -> str | None:
        """None while the model answers with probabilities, else why it cannot."""
        if self.model is None or self.batcher is None:
            return "the model is loading"
        if self.pool is not None:
            down = self.pool.health()
            if down is not None:
                return down
        if self.model.fault is not None:
            return f"the model gave scores that are not probabilities on its last call ({self.model.fault})"
        return self.batcher.health()
