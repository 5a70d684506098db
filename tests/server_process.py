"""Start a real `fazhi serve` process on a free loopback port (used by the HTTP and browser tests)."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_server(*extra: str, model: str | Path | None = None, timeout: float = 60.0) -> Iterator[str]:
    """Yield the base URL of a `fazhi serve` subprocess bound to 127.0.0.1; stop it afterwards."""
    for _attempt in range(3):
        port = free_port()
        cmd = [sys.executable, "-m", "fazhi", "serve", "--host", "127.0.0.1", "--port", str(port), *extra]
        if model is not None:
            cmd += ["--model", str(model)]
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
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
                yield base
            finally:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
                if proc.stdout:
                    proc.stdout.close()
            return
        proc.kill()
        out = proc.communicate()[0]
        if "address already in use" not in out.lower():
            raise RuntimeError(f"fazhi serve did not start (exit {proc.returncode}):\n{out[-3000:]}")
    raise RuntimeError("fazhi serve could not find a free port")
