"""The model in its own process, so inference never competes with the server for Python's GIL.

`fazhi serve` runs ``python -m fazhi.serve.worker MODEL_DIR [--threads=N]``
(N: torch intra-op threads of a torch model) and talks to it
over its standard input and output with length-prefixed JSON frames (no
pickle): the worker answers a hello frame with the model's name, labels,
threshold and max_chars, then one response per request frame
``{"texts": [...], "contexts": [...]}`` → ``{"category_probs": [[...]], "problem_probs": [...]}``
(or ``{"error": str}``). It exits when its input closes.

:class:`ModelProcess` is the server side: it starts the worker and exposes the
Predictor interface (``name``, ``labels``, ``threshold``, ``max_chars``,
``predict``), so the rest of the server does not know where the model runs.
A worker that dies is started again on the next call.
"""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import IO

import numpy as np

from fazhi.model.prediction import Scores

__all__ = ["ModelProcess", "WorkerError", "main"]

_HEADER = struct.Struct("!I")
_MAX_FRAME = 1 << 30


class WorkerError(RuntimeError):
    """The model process failed or answered with an error."""


def _write_frame(stream: IO[bytes], obj: dict) -> None:
    data = json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def _read_frame(stream: IO[bytes]) -> dict | None:
    head = stream.read(_HEADER.size)
    if len(head) < _HEADER.size:
        return None
    (length,) = _HEADER.unpack(head)
    if length > _MAX_FRAME:
        raise WorkerError(f"frame of {length} bytes is larger than {_MAX_FRAME}")
    data = stream.read(length)
    if len(data) < length:
        return None
    return json.loads(data)


class ModelProcess:
    """A model directory served by a worker process, with the Predictor interface."""

    def __init__(self, directory: str | Path, threads: int | None = None) -> None:
        self.directory = Path(directory)
        self.threads = threads
        self._proc: subprocess.Popen | None = None
        self._lock = threading.Lock()
        self.restarts = 0
        hello = self._start()
        self.name: str = hello["name"]
        self.labels: tuple[str, ...] = tuple(hello["labels"])
        self.threshold: float = float(hello["threshold"])
        self.max_chars: int | None = hello["max_chars"]

    def _start(self) -> dict:
        env = {**os.environ, "HF_HUB_DISABLE_PROGRESS_BARS": "1", "PYTHONUNBUFFERED": "1"}
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "fazhi.serve.worker", str(self.directory)]
            + ([f"--threads={self.threads}"] if self.threads else []),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=None, env=env,
        )
        hello = self._receive()
        if "error" in hello:
            self.close()
            raise WorkerError(f"the model process could not load {self.directory}: {hello['error']}")
        return hello

    def _receive(self) -> dict:
        assert self._proc is not None and self._proc.stdout is not None
        frame = _read_frame(self._proc.stdout)
        if frame is None:
            code = self._proc.poll()
            raise WorkerError(f"the model process exited (status {code})")
        return frame

    def predict(self, texts: Sequence[str], contexts: Sequence[str] | None = None) -> Scores:
        with self._lock:
            if self._proc is None or self._proc.poll() is not None:
                self.restarts += 1
                self._start()
            assert self._proc is not None and self._proc.stdin is not None
            try:
                _write_frame(self._proc.stdin, {"texts": list(texts), "contexts": list(contexts) if contexts is not None else None})
                reply = self._receive()
            except (BrokenPipeError, OSError, WorkerError) as exc:
                self._kill()
                raise WorkerError(f"the model process failed: {exc}") from None
        if "error" in reply:
            raise WorkerError(f"the model failed: {reply['error']}")
        cat = np.asarray(reply["category_probs"], dtype=np.float64).reshape(len(texts), len(self.labels))
        prob = np.asarray(reply["problem_probs"], dtype=np.float64).reshape(len(texts))
        return Scores(self.labels, cat, prob, self.threshold)

    def _kill(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()

    def close(self, timeout: float = 10.0) -> None:
        """Stop the worker: its input closes and it exits (killed after timeout)."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        try:
            if proc.stdin:
                proc.stdin.close()
            proc.wait(timeout=timeout)
        except (OSError, subprocess.TimeoutExpired):
            proc.kill()
            proc.wait()
        if proc.stdout:
            proc.stdout.close()


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    threads = None
    for a in list(args):
        if a.startswith("--threads="):
            threads = int(a.split("=", 1)[1])
            args.remove(a)
    if len(args) != 1:
        print("usage: python -m fazhi.serve.worker MODEL_DIR [--threads=N]   (started by fazhi serve)", file=sys.stderr)
        return 2
    # Frames go to the real stdout; anything else printed goes to stderr.
    out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    inp = sys.stdin.buffer
    try:
        from fazhi.model import load_model

        model = load_model(Path(args[0]))
        if threads and "torch" in sys.modules:  # only a torch model has intra-op threads to set
            sys.modules["torch"].set_num_threads(threads)
    except Exception as exc:  # reported to the server, which refuses to start
        _write_frame(out, {"error": f"{exc.__class__.__name__}: {exc}"})
        return 1
    _write_frame(out, {"name": model.name, "labels": list(model.labels), "threshold": float(model.threshold),
                       "max_chars": model.max_chars})
    while True:
        request = _read_frame(inp)
        if request is None:
            return 0
        try:
            scores = model.predict(request["texts"], request.get("contexts"))
            reply = {"category_probs": np.asarray(scores.category_probs, dtype=np.float64).tolist(),
                     "problem_probs": np.asarray(scores.problem_probs, dtype=np.float64).tolist()}
        except Exception as exc:
            reply = {"error": f"{exc.__class__.__name__}: {exc}"}
        _write_frame(out, reply)


if __name__ == "__main__":
    sys.exit(main())
