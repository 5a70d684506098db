"""Micro-batching: sentences from concurrent requests share model calls, fairly and with a time limit.

Each request submits its sentences as a job. A single batcher task waits for
the first job; while another call is running it then waits for more until
``max_batch`` sentences are waiting or ``wait_ms`` have passed since that
first job arrived (a job that already waited while the model was busy adds no
further wait, and one that finds the model idle goes at once: waiting for
company then only adds latency). It then fills one model
call of at most ``max_batch`` sentences by max-min fair shares: every waiting
job whose remaining sentences fit its equal share goes in whole, and the
larger jobs split the rest, one more sentence each to the earliest ones. A big
job is thereby cut into calls of at most ``max_batch`` sentences interleaved
with everyone else's, so a 5,000-unit report delays a single sentence by at
most about one model call instead of by the whole report; and since every
waiting job gets at least one sentence in arrival order once there are more
jobs than places, none waits for ever.

A job whose request has gone away (its future cancelled) is dropped before its
next piece is computed. Up to ``concurrency`` calls run at once, each on a
thread of its own (one per model worker process; a model in the server
process gets one), so the event loop keeps answering meanwhile; a job's pieces
may finish in any order and are put back in place. A call that has not
answered within ``timeout_s`` fails its jobs with :class:`ModelUnavailable`
(HTTP 503); while every thread is held by such a call (a model in the server
process cannot be stopped), later batches fail at once rather than queue.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from fazhi.model.prediction import BATCH_SIZE

__all__ = ["BatchStats", "MicroBatcher", "ModelUnavailable", "fair_shares"]

# How long a batch waits for an overdue call to end before failing at once (the
# worker process kills and restarts itself at the same limit, a moment later).
_OVERDUE_GRACE_S = 1.0


class ModelUnavailable(RuntimeError):
    """The model cannot answer now: a call passed its time limit, or the worker is down or restarting."""


@dataclass
class BatchStats:
    batches: int = 0
    sentences: int = 0
    jobs: int = 0
    largest: int = 0
    cancelled: int = 0  # jobs dropped because their request went away
    failed: int = 0  # jobs that got an error (the model failed or was unavailable)

    def as_dict(self) -> dict:
        return {
            "batches": self.batches,
            "jobs": self.jobs,
            "sentences": self.sentences,
            "largest_batch": self.largest,
            "mean_batch": round(self.sentences / self.batches, 2) if self.batches else 0.0,
            "cancelled_jobs": self.cancelled,
            "failed_jobs": self.failed,
        }


@dataclass
class _Job:
    items: Sequence[Any]
    future: asyncio.Future
    arrived: float = field(default_factory=time.monotonic)
    taken: int = 0  # items handed to model calls so far
    computed: int = 0  # items whose results are in
    results: list = field(default_factory=list)

    def __post_init__(self) -> None:
        self.results = [None] * len(self.items)

    @property
    def remaining(self) -> int:
        return len(self.items) - self.taken


def _watched(futures) -> list[asyncio.Future]:
    """asyncio wrappers of running calls, to wait on; an error they end with is marked retrieved (the call's own
    handler reports it), so that no 'Future exception was never retrieved' is logged."""
    wrapped = [asyncio.wrap_future(f) for f in futures]
    for w in wrapped:
        w.add_done_callback(lambda f: f.cancelled() or f.exception())
    return wrapped


def fair_shares(remaining: Sequence[int], capacity: int) -> list[int]:
    """How many items each job (in arrival order) puts into a call of at most capacity items.

    Max-min fairness: jobs needing no more than an equal share of what is left
    get all they need; the others get equal shares of the rest, and what does
    not divide evenly goes one item each to the earliest of them.
    """
    if sum(remaining) <= capacity:
        return list(remaining)
    shares = [0] * len(remaining)
    left = capacity
    open_jobs = sorted(range(len(remaining)), key=lambda i: remaining[i])
    while open_jobs and remaining[open_jobs[0]] <= left // len(open_jobs):
        i = open_jobs.pop(0)
        shares[i] = remaining[i]
        left -= remaining[i]
    if open_jobs:
        level, extra = divmod(left, len(open_jobs))
        for rank, i in enumerate(sorted(open_jobs)):  # sorted: arrival order
            shares[i] = level + (1 if rank < extra else 0)
    return shares


class MicroBatcher:
    """Collects concurrent classification jobs into fair batches for ``predict``.

    predict(items) -> list of per-item results, in order; it runs on
    concurrency dedicated threads, so it must be thread-safe when concurrency
    is above 1 (a pool of model worker processes is; a model object is not).
    """

    def __init__(
        self,
        predict: Callable[[list], list],
        max_batch: int = BATCH_SIZE,
        wait_ms: float = 2.0,
        timeout_s: float | None = None,
        concurrency: int = 1,
    ) -> None:
        if max_batch < 1:
            raise ValueError(f"expected a maximum batch of at least 1 sentence, found {max_batch}")
        if wait_ms < 0:
            raise ValueError(f"expected a non-negative batch wait, found {wait_ms} ms")
        if timeout_s is not None and timeout_s <= 0:
            raise ValueError(f"expected a positive model-call timeout, found {timeout_s} s")
        if concurrency < 1:
            raise ValueError(f"expected at least 1 concurrent model call, found {concurrency}")
        self.predict = predict
        self.concurrency = concurrency
        self.max_batch = max_batch
        self.wait = wait_ms / 1000.0
        self.timeout = timeout_s
        self.stats = BatchStats()
        self._pending: deque[_Job] = deque()
        self._arrived: asyncio.Event | None = None
        self._worker: asyncio.Task | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._running: dict[concurrent.futures.Future, float] = {}  # model calls on the threads, with their start times
        self._in_calls = 0  # sentences in the calls being computed
        self._computing: set[asyncio.Task] = set()

    async def start(self) -> None:
        if self._worker is not None:
            return
        self._pending = deque()
        self._arrived = asyncio.Event()
        self._executor = ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="fazhi-inference")
        self._worker = asyncio.create_task(self._run(), name="fazhi-batcher")

    async def stop(self, timeout: float = 30.0) -> None:
        if self._worker is not None:
            self._worker.cancel()
            try:
                await self._worker
            except asyncio.CancelledError:
                pass
            self._worker = None
        for task in list(self._computing):
            task.cancel()
        if self._executor is not None:
            running = [f for f in self._running if not f.done()]
            if running:
                # A running call cannot be interrupted: wait for it a while, then leave its thread behind.
                await asyncio.wait(_watched(running), timeout=timeout)
            self._executor.shutdown(wait=all(f.done() for f in running), cancel_futures=True)
            self._executor = None
        for job in self._pending:
            if not job.future.done():
                job.future.set_exception(ModelUnavailable("the server is shutting down"))

    def snapshot(self) -> dict:
        """The statistics, with the sentences queued now (waiting, or in the call being computed)."""
        queued = self._in_calls + sum(job.remaining for job in self._pending if not job.future.done())
        return {**self.stats.as_dict(), "queued_sentences": queued}

    def health(self) -> str | None:
        """None when model calls answer in time, else why not."""
        overdue = self._overdue()
        if overdue and len(overdue) >= self.concurrency:
            longest = time.monotonic() - min(overdue)
            return f"a model call has been running for {longest:.0f} s, over the {self.timeout:g} s limit"
        return None

    def _overdue(self) -> list[float]:
        """Start times of the calls still running past the time limit."""
        if self.timeout is None:
            return []
        now = time.monotonic()
        return [t for f, t in self._running.items() if not f.done() and now - t > self.timeout]

    async def submit(self, items: Sequence[Any]) -> list:
        """Results for items, in order, computed in calls shared fairly with other waiting jobs.

        Cancelling the awaiting task (the client went away) drops the job's
        pieces that have not been computed yet.
        """
        if not items:
            return []
        if self._worker is None or self._arrived is None:
            raise RuntimeError("the batcher is not started")
        future = asyncio.get_running_loop().create_future()
        self._pending.append(_Job(items, future))
        self._arrived.set()
        return await future

    def _live(self) -> list[_Job]:
        """Pending jobs still wanted, in arrival order; jobs whose request went away are dropped."""
        while self._pending and self._pending[0].future.done():
            self._drop(self._pending.popleft())
        if any(job.future.done() for job in self._pending):
            kept: deque[_Job] = deque()
            for job in self._pending:
                if job.future.done():
                    self._drop(job)
                else:
                    kept.append(job)
            self._pending = kept
        return list(self._pending)

    def _drop(self, job: _Job) -> None:
        if job.future.cancelled():
            self.stats.cancelled += 1

    async def _collect(self) -> list[tuple[_Job, int, int]]:
        """Wait for jobs, then for company until the call is full or the first job's window has passed;
        return the call's pieces as (job, start, end)."""
        assert self._arrived is not None
        while not self._live():
            self._arrived.clear()
            await self._arrived.wait()
        first = self._pending[0]
        deadline = first.arrived + self.wait if first.taken == 0 and self._computing else 0.0
        while sum(job.remaining for job in self._pending) < self.max_batch:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), remaining)
            except (asyncio.TimeoutError, TimeoutError):
                break
        jobs = self._live()
        pieces = []
        for job, k in zip(jobs, fair_shares([job.remaining for job in jobs], self.max_batch), strict=True):
            if k:
                pieces.append((job, job.taken, job.taken + k))
                job.taken += k
        self._pending = deque(job for job in self._pending if job.remaining)
        return pieces

    async def _call_model(self, items: list) -> list:
        assert self._executor is not None
        self._running = {f: t for f, t in self._running.items() if not f.done()}
        if len(self._running) >= self.concurrency:
            # Every thread still runs a call abandoned at its time limit: give one a moment to end.
            await asyncio.wait(
                _watched(self._running),
                timeout=min(_OVERDUE_GRACE_S, self.timeout or _OVERDUE_GRACE_S),
                return_when=asyncio.FIRST_COMPLETED,
            )
            if all(not f.done() for f in self._running):
                raise ModelUnavailable(f"the model has not finished a call that passed the {self.timeout:g} s limit")
        submitted = self._executor.submit(self.predict, items)
        self._running[submitted] = time.monotonic()
        call = asyncio.wrap_future(submitted)
        # A call abandoned at its time limit ends later, usually with an error that nobody awaits any more.
        call.add_done_callback(lambda f: f.cancelled() or f.exception())
        if self.timeout is None:
            return await call
        try:
            return await asyncio.wait_for(asyncio.shield(call), self.timeout)
        except (asyncio.TimeoutError, TimeoutError):
            raise ModelUnavailable(f"the model did not answer within {self.timeout:g} s") from None

    async def _run(self) -> None:
        slots = asyncio.Semaphore(self.concurrency)
        while True:
            await slots.acquire()  # with every slot busy, jobs gather into the next, larger batch
            try:
                pieces = await self._collect()
            except BaseException:
                slots.release()
                raise
            task = asyncio.create_task(self._compute(pieces))
            self._computing.add(task)

            def finished(t: asyncio.Task) -> None:
                self._computing.discard(t)
                slots.release()

            task.add_done_callback(finished)

    async def _compute(self, pieces: list[tuple[_Job, int, int]]) -> None:
        """One model call for pieces; each job gets its results in place, or the call's error."""
        items = [item for job, a, b in pieces for item in job.items[a:b]]
        self._in_calls += len(items)
        try:
            results = await self._call_model(items)
        except Exception as exc:  # the model failed or is unavailable: every job in the call gets the error
            for job, _, _ in pieces:
                if not job.future.done():
                    job.future.set_exception(exc)
                    self.stats.failed += 1
            return
        finally:
            self._in_calls -= len(items)
        self.stats.batches += 1
        self.stats.sentences += len(items)
        self.stats.largest = max(self.stats.largest, len(items))
        offset = 0
        for job, a, b in pieces:
            if not job.future.done():  # the client may have gone away
                job.results[a:b] = results[offset : offset + b - a]
                job.computed += b - a
                if job.computed == len(job.items):
                    job.future.set_result(job.results)
                    self.stats.jobs += 1
            offset += b - a
