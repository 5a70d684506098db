"""The model in its own process, supervised: answers within a time limit, restarted when it stops answering.

`fazhi serve` runs ``python -m fazhi.serve.worker MODEL_DIR [--threads=N] [--int8=on|off]``
(N: torch intra-op threads of a torch model; --int8 overrides the model
directory's own setting) and talks to it over its standard input and output
in frames (no pickle): ``!II`` (the lengths of a JSON header and of a binary
part), the JSON header, then the binary part. The worker answers a hello
frame with the model's name, labels, threshold, max_chars and int8, then one
reply per request ``{"texts": [...], "contexts": [...]}``: the header
``{"n": n}`` and, as n x (labels + 1) little-endian float64s, each text's
category probabilities followed by its problem probability (or the header
``{"error": str}``). Floats travel as raw bytes: printing and parsing them as
JSON text cost more than the rest of the exchange. The worker exits when its
input closes.

:class:`ModelProcess` is the server side: it starts the worker and exposes the
Predictor interface (``name``, ``labels``, ``threshold``, ``max_chars``,
``int8``, ``predict``), so the rest of the server does not know where the
model runs. A call that gets no answer within ``timeout_s`` (a hung or
stopped worker) kills the worker; a worker that exits, is killed or stops
answering is started again in the background, and until it is back every call
fails at once with :class:`ModelUnavailable` (HTTP 503) and :meth:`health`
says why (``/healthz`` answers 503).
"""

from __future__ import annotations

import json
import logging
import os
import select
import signal
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from fazhi.model import ModelLoadError
from fazhi.model.prediction import Scores
from fazhi.serve.batching import ModelUnavailable

__all__ = ["ModelPool", "ModelProcess", "ModelUnavailable", "WorkerError", "main"]

log = logging.getLogger("fazhi.serve")
_HEADER = struct.Struct("!II")
_MAX_FRAME = 1 << 30
_FLOAT = np.dtype("<f8")
# Restarts that fail (a model directory removed under a running server) are retried after 1, 2, 4 ... 30 s.
_RETRY_MAX_S = 30.0
_TRIM_EVERY = 50  # calls between glibc heap trims in a busy worker (see _malloc_trim)
_TRIM_IDLE_S = 0.05  # and idle time after which a worker trims


class WorkerError(RuntimeError):
    """The model process failed or answered with an error."""


class _Timeout(Exception):
    pass


def _frame(obj: dict, array: np.ndarray | None = None) -> bytes:
    head = json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    body = b"" if array is None else np.ascontiguousarray(array, dtype=_FLOAT).tobytes()
    return _HEADER.pack(len(head), len(body)) + head + body


# --- reading and writing frames on pipes: with a deadline on the server's side, blocking in the worker ---
def _write_all(fd: int, data: bytes, deadline: float) -> None:
    view = memoryview(data)
    while view:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([], [fd], [], remaining)[1]:
            raise _Timeout
        try:
            view = view[os.write(fd, view):]
        except BlockingIOError:
            continue


def _read_exact(fd: int, n: int, deadline: float | None) -> bytes:
    """n bytes from fd; EOFError at its end, _Timeout past the deadline (None: wait as long as it takes)."""
    chunks = []
    while n:
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                raise _Timeout
        chunk = os.read(fd, min(n, 1 << 20))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def _receive(fd: int, deadline: float | None) -> tuple[dict, bytes]:
    head_len, body_len = _HEADER.unpack(_read_exact(fd, _HEADER.size, deadline))
    if head_len + body_len > _MAX_FRAME:
        raise WorkerError(f"frame of {head_len + body_len} bytes is larger than {_MAX_FRAME}")
    head = _read_exact(fd, head_len, deadline)
    return json.loads(head), _read_exact(fd, body_len, deadline) if body_len else b""


def _exit_reason(code: int | None) -> str:
    if code is None:
        return "it stopped answering"
    if code < 0:
        try:
            return f"it was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"it was killed by signal {-code}"
    return f"it exited with status {code}"


def _stopped(pid: int) -> bool:
    """True when the process is stopped (SIGSTOP, a debugger); False when running or unknown."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[0] in (b"T", b"t")
    except (OSError, IndexError):
        return False


class ModelProcess:
    """A model directory served by a supervised worker process, with the Predictor interface."""

    def __init__(self, directory: str | Path, threads: int | None = None, timeout_s: float = 10.0,
                 int8: bool | None = None, start_timeout_s: float = 300.0) -> None:
        self.directory = Path(directory)
        self.threads = threads
        self.timeout = timeout_s
        self.int8_setting = int8
        self.start_timeout = start_timeout_s
        self.restarts = 0
        self._call_lock = threading.Lock()  # one exchange at a time on the pipes
        self._state_lock = threading.Lock()
        self._closing = threading.Event()
        self._restarting = False
        self._reason = ""
        self._restarter: threading.Thread | None = None
        self._proc, hello = self._spawn()
        self.name: str = hello["name"]
        self.labels: tuple[str, ...] = tuple(hello["labels"])
        self.threshold: float = float(hello["threshold"])
        self.max_chars: int | None = hello["max_chars"]
        self.int8: bool = bool(hello.get("int8", False))
        self._watch(self._proc)

    # -- starting and supervising ---------------------------------------------------
    def _spawn(self) -> tuple[subprocess.Popen, dict]:
        env = {**os.environ, "HF_HUB_DISABLE_PROGRESS_BARS": "1", "PYTHONUNBUFFERED": "1"}
        args = [sys.executable, "-m", "fazhi.serve.worker", str(self.directory)]
        if self.threads:
            args.append(f"--threads={self.threads}")
        if self.int8_setting is not None:
            args.append(f"--int8={'on' if self.int8_setting else 'off'}")
        proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=None, env=env, bufsize=0)
        assert proc.stdin is not None and proc.stdout is not None
        os.set_blocking(proc.stdin.fileno(), False)
        try:
            hello, _ = _receive(proc.stdout.fileno(), time.monotonic() + self.start_timeout)
        except (_Timeout, EOFError, OSError, ValueError) as exc:
            self._end(proc)
            why = f"it did not start within {self.start_timeout:g} s" if isinstance(exc, _Timeout) else _exit_reason(proc.returncode)
            raise WorkerError(f"the model process for {self.directory} failed to start: {why}") from None
        if "error" in hello:
            self._end(proc)
            if hello.get("load_error"):
                raise ModelLoadError(hello["error"])
            raise WorkerError(f"the model process could not load {self.directory}: {hello['error']}")
        return proc, hello

    def _watch(self, proc: subprocess.Popen) -> None:
        """Restart the worker as soon as it exits, not only when the next call finds it gone."""
        def wait() -> None:
            proc.wait()
            self._restart(proc, f"the model worker stopped: {_exit_reason(proc.returncode)}")

        threading.Thread(target=wait, name=f"fazhi-worker-watch-{proc.pid}", daemon=True).start()

    def _restart(self, proc: subprocess.Popen, reason: str) -> None:
        """Kill worker proc and start another in the background (once, however many callers report it)."""
        with self._state_lock:
            if proc is not self._proc or self._restarting or self._closing.is_set():
                return
            self._restarting = True
            self._reason = reason
        log.warning("%s; restarting it", reason)
        if proc.poll() is None:
            proc.kill()  # works on a stopped process too
            proc.wait()
        # Its pipes are closed by whoever holds the call lock: closing a descriptor that a call is
        # reading could hand its number to the next worker's pipe under the reading thread.
        if self._call_lock.acquire(blocking=False):
            try:
                self._close_pipes(proc)
            finally:
                self._call_lock.release()
        self._restarter = threading.Thread(target=self._restart_loop, name="fazhi-worker-restart", daemon=True)
        self._restarter.start()

    def _restart_loop(self) -> None:
        delay = 1.0
        while not self._closing.is_set():
            try:
                proc, hello = self._spawn()
            except (WorkerError, ModelLoadError, OSError) as exc:
                with self._state_lock:
                    self._reason = f"restarting the model worker failed ({exc}); trying again in {delay:g} s"
                log.error("%s", self._reason)
                self._closing.wait(delay)
                delay = min(delay * 2, _RETRY_MAX_S)
                continue
            with self._state_lock:
                if self._closing.is_set():
                    self._end(proc)
                    return
                self._proc = proc
                self.int8 = bool(hello.get("int8", False))
                self.restarts += 1
                self._restarting = False
                self._reason = ""
            self._watch(proc)
            log.warning("the model worker is back (restart %d)", self.restarts)
            return

    def _down(self) -> str | None:
        """Why the worker cannot be called now (restarting, exited, shut down), or None."""
        with self._state_lock:
            if self._restarting:
                return f"{self._reason}; restarting it"
            if self._closing.is_set():
                return "the model worker is shut down"
            proc = self._proc
        if proc.poll() is not None:
            return f"the model worker stopped: {_exit_reason(proc.returncode)}"
        return None

    def health(self) -> str | None:
        """None when the worker can answer, else why not: down, restarting, or stopped (SIGSTOP).

        A stopped worker is still called: it may be continued (SIGCONT); if
        not, the call times out and the worker is restarted.
        """
        down = self._down()
        if down is None and _stopped(self._proc.pid):
            return "the model worker is stopped (SIGSTOP); a call to it will time out and restart it"
        return down

    # -- predicting -------------------------------------------------------------------
    def predict(self, texts: Sequence[str], contexts: Sequence[str] | None = None) -> Scores:
        with self._call_lock:
            down = self._down()
            if down is not None:
                raise ModelUnavailable(down)
            proc = self._proc
            assert proc.stdin is not None and proc.stdout is not None
            deadline = time.monotonic() + self.timeout
            request = _frame({"texts": list(texts), "contexts": list(contexts) if contexts is not None else None})
            try:
                _write_all(proc.stdin.fileno(), request, deadline)
                reply, data = _receive(proc.stdout.fileno(), deadline)
            except _Timeout:
                self._restart(proc, f"the model did not answer within {self.timeout:g} s")
                self._close_pipes(proc)
                raise ModelUnavailable(f"the model did not answer within {self.timeout:g} s; its worker is being restarted") from None
            except (EOFError, OSError, ValueError):
                proc.poll()
                self._restart(proc, f"the model worker stopped: {_exit_reason(proc.returncode)}")
                self._close_pipes(proc)
                raise ModelUnavailable(f"the model worker stopped ({_exit_reason(proc.returncode)}); it is being restarted") from None
        if "error" in reply:
            raise WorkerError(f"the model failed: {reply['error']}")
        k = len(self.labels)
        table = np.frombuffer(data, dtype=_FLOAT).reshape(len(texts), k + 1)
        return Scores(self.labels, table[:, :k].astype(np.float64), table[:, k].astype(np.float64), self.threshold)

    # -- stopping ---------------------------------------------------------------------
    @staticmethod
    def _close_pipes(proc: subprocess.Popen) -> None:
        for pipe in (proc.stdin, proc.stdout):
            if pipe is not None:
                try:
                    pipe.close()
                except OSError:
                    pass

    @classmethod
    def _end(cls, proc: subprocess.Popen, timeout: float = 0.0) -> None:
        """Close the worker's input (it exits when it sees the end), kill it after timeout, and reap it."""
        try:
            if proc.stdin:
                proc.stdin.close()
        except OSError:
            pass
        if timeout:
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
        if proc.poll() is None:
            proc.kill()  # works on a stopped process too
            proc.wait()
        cls._close_pipes(proc)

    def close(self, timeout: float = 10.0) -> None:
        """Stop the worker (and any restart in progress): its input closes and it exits, killed after timeout."""
        self._closing.set()
        if self._restarter is not None:
            self._restarter.join(timeout)
        with self._call_lock:
            self._end(self._proc, timeout)


class ModelPool:
    """Several supervised worker processes behind one Predictor interface, each answering one call at a time.

    predict() may be called from several threads at once (the batcher runs one
    call per worker): each call takes a free worker that is up. Torch's own
    threads do not help here: on 2 cores, 2 intra-op threads of one model
    ran 5x slower than 1 (matrix products included), while 2 processes of 1
    thread each ran at full speed side by side.
    """

    def __init__(self, directory: str | Path, workers: int = 1, threads: int | None = None, timeout_s: float = 10.0,
                 int8: bool | None = None) -> None:
        if workers < 1:
            raise ValueError(f"expected at least 1 model worker, found {workers}")
        self.timeout = timeout_s
        # Started side by side: each spends seconds importing torch and loading the model.
        with ThreadPoolExecutor(max_workers=workers) as starting:
            started = [starting.submit(ModelProcess, directory, threads=threads, timeout_s=timeout_s, int8=int8) for _ in range(workers)]
        self.workers: list[ModelProcess] = [f.result() for f in started if f.exception() is None]
        failed = [f.exception() for f in started if f.exception() is not None]
        if failed:
            self.close()
            raise failed[0]  # type: ignore[misc]
        first = self.workers[0]
        self.name, self.labels, self.threshold, self.max_chars = first.name, first.labels, first.threshold, first.max_chars
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
                up = [i for i, w in enumerate(self.workers) if w._down() is None]
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


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    threads = None
    quantize = None
    for a in list(args):
        if a.startswith("--threads="):
            threads = int(a.split("=", 1)[1])
            args.remove(a)
        elif a.startswith("--int8="):
            quantize = a.split("=", 1)[1] == "on"
            args.remove(a)
    if len(args) != 1:
        print("usage: python -m fazhi.serve.worker MODEL_DIR [--threads=N] [--int8=on|off]   (started by fazhi serve)", file=sys.stderr)
        return 2
    # Ctrl-C in a terminal reaches the whole process group: the server decides when this process ends.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Frames go to the real stdout; anything else printed goes to stderr.
    out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    inp = sys.stdin.fileno()

    def send(data: bytes) -> None:
        out.write(data)
        out.flush()

    try:
        from fazhi.model import load_model

        model = load_model(Path(args[0]), quantize=quantize)
        if threads and "torch" in sys.modules:  # only a torch model has intra-op threads to set
            sys.modules["torch"].set_num_threads(threads)
    except ModelLoadError as exc:  # reported to the server, which refuses to start with this one line
        send(_frame({"error": str(exc), "load_error": True}))
        return 1
    except Exception as exc:
        send(_frame({"error": f"{exc.__class__.__name__}: {exc}"}))
        return 1
    send(_frame({"name": model.name, "labels": list(model.labels), "threshold": float(model.threshold),
                 "max_chars": model.max_chars, "int8": bool(getattr(model, "int8", False))}))
    trim = _malloc_trim()
    untrimmed = 0  # calls since the heap was last trimmed
    while True:
        if trim is not None and untrimmed and (untrimmed >= _TRIM_EVERY or not select.select([inp], [], [], _TRIM_IDLE_S)[0]):
            trim(0)
            untrimmed = 0
        try:
            request, _ = _receive(inp, None)  # the worker's input is unbuffered, so that select() sees what waits
        except EOFError:  # the server closed our input: it is done with us
            return 0
        try:
            scores = model.predict(request["texts"], request.get("contexts"))
            table = np.column_stack([np.asarray(scores.category_probs, dtype=_FLOAT), np.asarray(scores.problem_probs, dtype=_FLOAT)])
            send(_frame({"n": len(table)}, table))
        except Exception as exc:
            send(_frame({"error": f"{exc.__class__.__name__}: {exc}"}))
        untrimmed += 1


def _malloc_trim():
    """glibc's malloc_trim, or None elsewhere.

    Batches of every shape leave the heap fragmented: a worker grew from 426
    to 639 MB over 600 calls. Handing free pages back every 50 calls kept it
    at 533 MB for no measurable cost (a trim takes about 8 ms, after a reply
    has been sent); the worker also trims once it has been idle for 50 ms, so
    a quiet server holds no more than it needs. Large allocations by mmap
    instead kept it at 440 MB but halved the speed.
    """
    try:
        import ctypes

        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


if __name__ == "__main__":
    sys.exit(main())
