"""Micro-batching: sentences from concurrent requests share one model call.

Each request submits its sentences as a job. A single worker task waits for
the first job, then for more until ``max_batch`` sentences are waiting or
``wait_ms`` have passed since that first job arrived (a job that already
waited while the model was busy adds no further wait). It then takes jobs in
arrival order up to ``max_batch`` sentences (a single larger job goes alone). The batch is classified in one call on a dedicated inference thread, so
the event loop keeps accepting and answering requests meanwhile, and each job
gets its own results back in order.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

__all__ = ["BatchStats", "MicroBatcher"]


@dataclass
class BatchStats:
    batches: int = 0
    sentences: int = 0
    jobs: int = 0
    largest: int = 0

    def as_dict(self) -> dict:
        return {
            "batches": self.batches,
            "jobs": self.jobs,
            "sentences": self.sentences,
            "largest_batch": self.largest,
            "mean_batch": round(self.sentences / self.batches, 2) if self.batches else 0.0,
        }


@dataclass
class _Job:
    texts: Sequence[str]
    future: asyncio.Future
    arrived: float = field(default_factory=time.monotonic)


class MicroBatcher:
    """Collects concurrent classification jobs into batches for ``predict``.

    predict(texts) -> list of per-text results, in order; it runs on one
    dedicated thread (models need not be thread-safe).
    """

    def __init__(self, predict: Callable[[list[str]], list], max_batch: int = 64, wait_ms: float = 2.0) -> None:
        if max_batch < 1:
            raise ValueError(f"expected a maximum batch of at least 1 sentence, found {max_batch}")
        if wait_ms < 0:
            raise ValueError(f"expected a non-negative batch wait, found {wait_ms} ms")
        self.predict = predict
        self.max_batch = max_batch
        self.wait = wait_ms / 1000.0
        self.stats = BatchStats()
        self._pending: deque[_Job] = deque()
        self._waiting = 0  # sentences in pending jobs
        self._arrived: asyncio.Event | None = None
        self._worker: asyncio.Task | None = None
        self._executor: ThreadPoolExecutor | None = None

    async def start(self) -> None:
        if self._worker is not None:
            return
        self._pending = deque()
        self._waiting = 0
        self._arrived = asyncio.Event()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fazhi-inference")
        self._worker = asyncio.create_task(self._run(), name="fazhi-batcher")

    async def stop(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            try:
                await self._worker
            except asyncio.CancelledError:
                pass
            self._worker = None
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None

    async def submit(self, texts: Sequence[str]) -> list:
        """Results for texts, in order, computed in a batch with other waiting jobs."""
        if not texts:
            return []
        if self._worker is None or self._arrived is None:
            raise RuntimeError("the batcher is not started")
        future = asyncio.get_running_loop().create_future()
        self._pending.append(_Job(texts, future))
        self._waiting += len(texts)
        self._arrived.set()
        return await future

    async def _collect(self) -> list[_Job]:
        """Wait for jobs, then for company until the batch is full or the first job's window has passed."""
        assert self._arrived is not None
        while not self._pending:
            self._arrived.clear()
            await self._arrived.wait()
        deadline = self._pending[0].arrived + self.wait
        while self._waiting < self.max_batch:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), remaining)
            except (asyncio.TimeoutError, TimeoutError):
                break
        batch: list[_Job] = []
        size = 0
        while self._pending and (not batch or size + len(self._pending[0].texts) <= self.max_batch):
            job = self._pending.popleft()
            batch.append(job)
            size += len(job.texts)
        self._waiting -= size
        return batch

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            batch = await self._collect()
            texts = [t for job in batch for t in job.texts]
            try:
                results = await loop.run_in_executor(self._executor, self.predict, texts)
            except Exception as exc:  # the model failed: every waiting request gets the error
                for job in batch:
                    if not job.future.done():
                        job.future.set_exception(exc)
                continue
            self.stats.batches += 1
            self.stats.jobs += len(batch)
            self.stats.sentences += len(texts)
            self.stats.largest = max(self.stats.largest, len(texts))
            offset = 0
            for job in batch:
                n = len(job.texts)
                if not job.future.done():  # the client may have gone away
                    job.future.set_result(results[offset : offset + n])
                offset += n
