"""Several supervised worker processes behind one Predictor interface, each answering one call at a time."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from fazhi.model.prediction import Scores
from fazhi.serve.batching import ModelUnavailable
from fazhi.serve.worker.process import ModelProcess

__all__ = ["ModelPool"]


class ModelPool:
    """predict() may be called from several threads at once (the batcher runs one call per worker): each call
    takes a free worker that is up.

    Torch's own threads do not help here: on 2 cores, 2 intra-op threads of one
    model ran 5x slower than 1 (matrix products included), while 2 processes of
    1 thread each ran at full speed side by side.
    """

    def __init__(
        self,
        directory: str | Path,
        workers: int = 1,
        threads: int | None = None,
        timeout_s: float = 10.0,
        int8: bool | None = None,
    ) -> None:
        if workers < 1:
            raise ValueError(f"expected at least 1 model worker, found {workers}")
        self.timeout = timeout_s
        # Started side by side: each spends seconds importing torch and loading the model.
        with ThreadPoolExecutor(max_workers=workers) as starting:
            started = [
                starting.submit(ModelProcess, directory, threads=threads, timeout_s=timeout_s, int8=int8)
                for _ in range(workers)
            ]
        self.workers: list[ModelProcess] = [f.result() for f in started if f.exception() is None]
        failed = [f.exception() for f in started if f.exception() is not None]
        if failed:
            self.close()
            raise failed[0]  # type: ignore[misc]
        first = self.workers[0]
        self.name, self.labels, self.threshold, self.max_chars = (
            first.name,
            first.labels,
            first.threshold,
            first.max_chars,
        )
        self.reads_context = first.reads_context
        self.composition = first.composition
        self._free = threading.Condition()
        self._busy: set[int] = set()

    @property
    def int8(self) -> bool:
        return self.workers[0].int8

    @property
    def restarts(self) -> int:
        return sum(w.restarts for w in self.workers)

    @property
    def up(self) -> int:
        """Workers that can take a call now."""
        return sum(w.health() is None for w in self.workers)

    def health(self) -> str | None:
        """None while some worker can answer; else why none can (each worker's reason)."""
        problems = [w.health() for w in self.workers]
        if any(p is None for p in problems):
            return None
        if len(problems) == 1:
            return problems[0]
        return "; ".join(f"worker {i + 1}: {p}" for i, p in enumerate(problems))

    def predict(self, texts: Sequence[str], contexts: Sequence[str] | None = None) -> Scores:
        deadline = time.monotonic() + self.timeout
        with self._free:
            while True:
                up = [i for i, w in enumerate(self.workers) if w.down() is None]
                if not up:
                    raise ModelUnavailable(self.health() or "no model worker is up")
                free = [i for i in up if i not in self._busy]
                if free:
                    chosen = free[0]
                    self._busy.add(chosen)
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise ModelUnavailable(f"no model worker was free within {self.timeout:g} s")
                self._free.wait(min(remaining, 0.1))  # a worker may also come back from a restart meanwhile
        try:
            return self.workers[chosen].predict(texts, contexts)
        finally:
            with self._free:
                self._busy.discard(chosen)
                self._free.notify()

    def close(self, timeout: float = 10.0) -> None:
        for w in self.workers:
            w.close(timeout)
