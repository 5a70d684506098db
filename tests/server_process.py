"""Start a real `fazhi serve` process on a free loopback port (used by the HTTP and browser tests)."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    """A running `fazhi serve`: its base URL, its process, and the file its output goes to."""

    base: str
    proc: subprocess.Popen
    log: Path

    @property
    def port(self) -> int:
        return int(self.base.rsplit(":", 1)[1])

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def worker_pid(self) -> int:
        """The model worker process of a server with one worker."""
        children = self.worker_pids()
        assert len(children) == 1, f"expected one worker process, found {children}"
        return children[0]

    def worker_pids(self) -> list[int]:
        """The model worker processes (the server's live children)."""
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.proc.pid and fields[0] != "Z":
                children.append(int(stat.parent.name))
        return sorted(children)


@contextlib.contextmanager
def server_process(*extra: str, model: str | Path | None = None, timeout: float = 60.0) -> Iterator[Server]:
    """A `fazhi serve` subprocess bound to 127.0.0.1, stopped afterwards; its output goes to a file
    (a pipe nobody reads would fill up and stall a server that logs)."""
    with tempfile.TemporaryDirectory(prefix="fazhi-serve-") as tmp:
        for attempt in range(3):
            port = free_port()
            cmd = [sys.executable, "-m", "fazhi", "serve", "--host", "127.0.0.1", "--port", str(port), *extra]
            if model is not None:
                cmd += ["--model", str(model)]
            env = {**os.environ, "PYTHONUNBUFFERED": "1"}
            log = Path(tmp) / f"serve-{attempt}.log"
            with open(log, "wb") as out:
                proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + timeout
            ready = False
            while time.monotonic() < deadline and proc.poll() is None:
                try:
                    with urllib.request.urlopen(base + "/healthz", timeout=2) as r:
                        ready = json.load(r).get("status") == "ok"
                        break
                except OSError:
                    time.sleep(0.1)
            if ready:
                try:
                    yield Server(base, proc, log)
                finally:
                    proc.terminate()
                    try:
                        proc.wait(timeout=10)
                    except subprocess.TimeoutExpired:
                        proc.kill()
                        proc.wait()
                return
            proc.kill()
            proc.wait()
            out_text = log.read_text(encoding="utf-8", errors="replace")
            if "address already in use" not in out_text.lower():
                raise RuntimeError(f"fazhi serve did not start (exit {proc.returncode}):\n{out_text[-3000:]}")
        raise RuntimeError("fazhi serve could not find a free port")


@contextlib.contextmanager
def running_server(*extra: str, model: str | Path | None = None, timeout: float = 60.0) -> Iterator[str]:
    """Yield the base URL of a `fazhi serve` subprocess bound to 127.0.0.1; stop it afterwards."""
    with server_process(*extra, model=model, timeout=timeout) as server:
        yield server.base
