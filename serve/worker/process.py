"""One model worker process, supervised: answers within a time limit, restarted when it stops answering.

:class:`ModelProcess` starts ``python -m fazhi.serve.worker`` with one end of
a socket pair and talks to it over a multiprocessing.connection.Connection
(serve.worker.protocol). It exposes the Predictor interface (``name``,
``labels``, ``threshold``, ``max_chars``, ``int8``, ``predict``), so the rest
of the server does not know where the model runs. A call that gets no answer
within ``timeout_s`` (a hung or stopped worker) kills the worker; a worker
that exits, is killed or stops answering is started again in the background,
and until it is back every call fails at once with ModelUnavailable (HTTP
503) and :meth:`health` says why (``/healthz`` answers 503). What a client
sees never names the model directory; the server log does.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from multiprocessing.connection import Connection
from pathlib import Path

import numpy as np

from fazhi.model import ModelLoadError
from fazhi.model.prediction import Scores
from fazhi.serve.batching import ModelUnavailable
from fazhi.serve.worker.protocol import FLOAT, Timeout, connection_pair, receive, send, set_timeouts

__all__ = ["ModelProcess", "WorkerError"]

log = logging.getLogger("fazhi.serve")
# Restarts that fail (a model directory removed under a running server) are retried after 1, 2, 4 ... 30 s.
_RETRY_MAX_S = 30.0


class WorkerError(RuntimeError):
    """The model process failed or answered with an error."""


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


class _Worker:
    """A started worker: its process and the server's end of its connection."""

    def __init__(self, proc: subprocess.Popen, conn: Connection) -> None:
        self.proc = proc
        self.conn = conn

    def close_connection(self) -> None:
        try:
            self.conn.close()
        except OSError:
            pass

    def end(self, timeout: float = 0.0) -> None:
        """Close the connection (the worker exits when it sees the end), kill it after timeout, and reap it."""
        self.close_connection()
        if timeout:
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
        if self.proc.poll() is None:
            self.proc.kill()  # works on a stopped process too
            self.proc.wait()


class ModelProcess:
    """A model directory served by a supervised worker process, with the Predictor interface."""

    def __init__(
        self,
        directory: str | Path,
        threads: int | None = None,
        timeout_s: float = 10.0,
        int8: bool | None = None,
        start_timeout_s: float = 300.0,
    ) -> None:
        self.directory = Path(directory)
        self.threads = threads
        self.timeout = timeout_s
        self.int8_setting = int8
        self.start_timeout = start_timeout_s
        self.restarts = 0
        self._call_lock = threading.Lock()  # one exchange at a time on the connection
        self._state_lock = threading.Lock()
        self._closing = threading.Event()
        self._restarting = False
        self._reason = ""
        self._restarter: threading.Thread | None = None
        self._worker, hello = self._spawn()
        self.name: str = hello["name"]
        self.labels: tuple[str, ...] = tuple(hello["labels"])
        self.threshold: float = float(hello["threshold"])
        self.max_chars: int | None = hello["max_chars"]
        self.int8: bool = bool(hello.get("int8", False))
        self.reads_context: bool = bool(hello.get("context", False))
        self.composition: str | None = hello.get("composition")
        self._watch(self._worker)

    @property
    def pid(self) -> int:
        return self._worker.proc.pid

    # -- starting and supervising ---------------------------------------------------
    def _spawn(self) -> tuple[_Worker, dict]:
        env = {**os.environ, "HF_HUB_DISABLE_PROGRESS_BARS": "1", "PYTHONUNBUFFERED": "1"}
        conn, theirs = connection_pair()
        args = [sys.executable, "-m", "fazhi.serve.worker", str(self.directory), f"--fd={theirs.fileno()}"]
        if self.threads:
            args.append(f"--threads={self.threads}")
        if self.int8_setting is not None:
            args.append(f"--int8={'on' if self.int8_setting else 'off'}")
        try:
            # stdout and stderr are the server's own: what a worker prints goes to the server's log.
            proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, env=env, pass_fds=(theirs.fileno(),))
        except BaseException:
            conn.close()
            raise
        finally:
            theirs.close()
        worker = _Worker(proc, conn)
        try:
            hello, _ = receive(conn, time.monotonic() + self.start_timeout)
        except (Timeout, EOFError, OSError, ValueError) as exc:
            worker.end()
            why = (
                f"it did not start within {self.start_timeout:g} s"
                if isinstance(exc, Timeout)
                else _exit_reason(proc.returncode)
            )
            raise WorkerError(f"the model process for {self.directory} failed to start: {why}") from None
        if "error" in hello:
            worker.end()
            if hello.get("load_error"):
                raise ModelLoadError(hello["error"])
            raise WorkerError(f"the model process could not load {self.directory}: {hello['error']}")
        set_timeouts(conn, self.timeout)
        return worker, hello

    def _watch(self, worker: _Worker) -> None:
        """Restart the worker as soon as it exits, not only when the next call finds it gone."""

        def wait() -> None:
            worker.proc.wait()
            self._restart(worker, f"the model worker stopped: {_exit_reason(worker.proc.returncode)}")

        threading.Thread(target=wait, name=f"fazhi-worker-watch-{worker.proc.pid}", daemon=True).start()

    def _restart(self, worker: _Worker, reason: str) -> None:
        """Kill worker and start another in the background (once, however many callers report it)."""
        with self._state_lock:
            if worker is not self._worker or self._restarting or self._closing.is_set():
                return
            self._restarting = True
            self._reason = reason
        log.warning("%s; restarting it", reason)
        if worker.proc.poll() is None:
            worker.proc.kill()  # works on a stopped process too
            worker.proc.wait()
        # The connection is closed by whoever holds the call lock: closing a descriptor that a call is
        # reading could hand its number to the next worker's connection under the reading thread.
        if self._call_lock.acquire(blocking=False):
            try:
                worker.close_connection()
            finally:
                self._call_lock.release()
        self._restarter = threading.Thread(target=self._restart_loop, name="fazhi-worker-restart", daemon=True)
        self._restarter.start()

    def _restart_loop(self) -> None:
        delay = 1.0
        while not self._closing.is_set():
            try:
                worker, hello = self._spawn()
            except (WorkerError, ModelLoadError, OSError) as exc:
                log.error("restarting the model worker failed: %s; trying again in %g s", exc, delay)
                with self._state_lock:  # what clients see: no path, no message that may hold one
                    self._reason = (
                        f"restarting the model worker failed (the server log says why); trying again in {delay:g} s"
                    )
                self._closing.wait(delay)
                delay = min(delay * 2, _RETRY_MAX_S)
                continue
            with self._state_lock:
                if self._closing.is_set():
                    worker.end()
                    return
                self._worker = worker
                self.int8 = bool(hello.get("int8", False))
                self.restarts += 1
                self._restarting = False
                self._reason = ""
            self._watch(worker)
            log.warning("the model worker is back (restart %d)", self.restarts)
            return

    def down(self) -> str | None:
        """Why the worker cannot be called now (restarting, exited, shut down), or None."""
        with self._state_lock:
            if self._restarting:
                return f"{self._reason}; restarting it"
            if self._closing.is_set():
                return "the model worker is shut down"
            proc = self._worker.proc
        if proc.poll() is not None:
            return f"the model worker stopped: {_exit_reason(proc.returncode)}"
        return None

    def health(self) -> str | None:
        """None when the worker can answer, else why not: down, restarting, or stopped (SIGSTOP).

        A stopped worker is still called: it may be continued (SIGCONT); if
        not, the call times out and the worker is restarted.
        """
        down = self.down()
        if down is None and _stopped(self._worker.proc.pid):
            return "the model worker is stopped (SIGSTOP); a call to it will time out and restart it"
        return down

    # -- predicting -------------------------------------------------------------------
    def predict(self, texts: Sequence[str], contexts: Sequence[str] | None = None) -> Scores:
        with self._call_lock:
            down = self.down()
            if down is not None:
                raise ModelUnavailable(down)
            worker = self._worker
            deadline = time.monotonic() + self.timeout
            try:
                send(worker.conn, {"texts": list(texts), "contexts": list(contexts) if contexts is not None else None})
                reply, data = receive(worker.conn, deadline, with_array=True)
            except (Timeout, BlockingIOError, TimeoutError):
                self._restart(worker, f"the model did not answer within {self.timeout:g} s")
                worker.close_connection()
                raise ModelUnavailable(
                    f"the model did not answer within {self.timeout:g} s; its worker is being restarted"
                ) from None
            except (EOFError, OSError, ValueError):
                worker.proc.poll()
                reason = _exit_reason(worker.proc.returncode)
                self._restart(worker, f"the model worker stopped: {reason}")
                worker.close_connection()
                raise ModelUnavailable(f"the model worker stopped ({reason}); it is being restarted") from None
        if "error" in reply:
            raise WorkerError(f"the model failed: {reply['error']}")
        k = len(self.labels)
        table = np.frombuffer(data, dtype=FLOAT).reshape(len(texts), k + 1)
        return Scores(self.labels, table[:, :k].astype(np.float64), table[:, k].astype(np.float64), self.threshold)

    # -- stopping ---------------------------------------------------------------------
    def close(self, timeout: float = 10.0) -> None:
        """Stop the worker (and any restart in progress): its connection closes and it exits, killed after timeout."""
        self._closing.set()
        if self._restarter is not None:
            self._restarter.join(timeout)
        with self._call_lock:
            self._worker.end(timeout)
