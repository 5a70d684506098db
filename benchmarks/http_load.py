"""Load test of `fazhi serve` on loopback: throughput and latency, sequential and concurrent.

Starts a real server (``python -m fazhi serve``) on 127.0.0.1 at a free port,
then sends the same list of single- and multi-sentence /v1/classify requests
(sentences from the five seed reports) three ways:

1. unloaded: single-sentence requests one at a time (p50 latency target < 20 ms);
2. sequential: every request one at a time, on one keep-alive connection;
3. concurrent: the same requests from --concurrency clients at once.

Prints throughput, p50/p95/p99 latency and the error count of each phase, the
concurrent/sequential throughput ratio (target >= 3) and the server's batching
statistics. Only 127.0.0.1 is contacted; each phase is bounded by --max-seconds.
The client is a minimal HTTP/1.1 keep-alive client on asyncio streams so that
it takes little of the CPU the server needs.

    .venv/bin/python benchmarks/http_load.py [--model DIR] [--requests 10000] [--concurrency 32]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO.parent / "shared" / "seeds"
HOST = "127.0.0.1"


# --- server --------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def start_server(args) -> tuple[subprocess.Popen, int]:
    port = free_port()
    cmd = [sys.executable, "-m", "fazhi", "serve", "--host", HOST, "--port", str(port),
           "--batch-wait-ms", str(args.batch_wait_ms), "--max-batch", str(args.max_batch)]
    if args.model:
        cmd += ["--model", args.model]
    cmd += args.server_arg
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited with status {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://{HOST}:{port}/healthz", timeout=2) as r:
                if json.load(r).get("status") == "ok":
                    return proc, port
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("the server did not start within 120 s")


def get_json(port: int, path: str) -> dict:
    with urllib.request.urlopen(f"http://{HOST}:{port}{path}", timeout=10) as r:
        return json.load(r)


# --- requests ------------------------------------------------------------------------
def sentence_pool() -> list[str]:
    from fazhi.segment import segment

    pool = []
    for f in sorted(SEEDS.glob("*.txt")):
        pool += [u.text for u in segment(f.read_text(encoding="utf-8"))]
    if not pool:
        raise SystemExit(f"no seed reports found in {SEEDS}")
    return pool


def make_requests(n: int, multi_share: float, seed: int) -> list[list[str]]:
    rng = random.Random(seed)
    pool = sentence_pool()
    out = []
    for _ in range(n):
        k = rng.randint(2, 16) if rng.random() < multi_share else 1
        out.append(rng.sample(pool, k))
    return out


def encode(path: str, payload: dict, port: int) -> bytes:
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    head = (f"POST {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: keep-alive\r\n\r\n").encode("ascii")
    return head + body


# --- client --------------------------------------------------------------------------
class Connection:
    """One keep-alive HTTP/1.1 connection."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(HOST, self.port)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            try:
                await self.writer.wait_closed()
            except OSError:
                pass
            self.writer = None

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            await self.open()
        assert self.reader is not None and self.writer is not None
        self.writer.write(raw)
        await self.writer.drain()
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionError("connection closed by the server")
        status = int(status_line.split()[1])
        length = 0
        close = False
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "connection" and value.strip().lower() == "close":
                close = True
        body = await self.reader.readexactly(length)
        if close:
            await self.close()
        return status, body


@dataclass
class Phase:
    name: str
    sent: int = 0
    errors: int = 0
    sentences: int = 0
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0
    timed_out: bool = False
    error_samples: list[str] = field(default_factory=list)

    def pct(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        xs = sorted(self.latencies)
        return xs[min(len(xs) - 1, int(q * len(xs)))] * 1000

    @property
    def rps(self) -> float:
        return self.sent / self.seconds if self.seconds else 0.0

    def line(self) -> str:
        extra = " (stopped at the time limit)" if self.timed_out else ""
        return (f"{self.name:<12} {self.sent:>6} requests {self.sentences:>7} sentences in {self.seconds:6.1f} s: "
                f"{self.rps:7.1f} req/s {self.sentences / self.seconds if self.seconds else 0:8.1f} sentences/s | "
                f"latency ms p50 {self.pct(0.50):6.2f} p95 {self.pct(0.95):6.2f} p99 {self.pct(0.99):6.2f} | "
                f"errors {self.errors}{extra}")


async def run_phase(name: str, port: int, requests: list[list[str]], concurrency: int, max_seconds: float) -> Phase:
    phase = Phase(name)
    payloads = [encode("/v1/classify", {"sentences": r}, port) for r in requests]
    next_index = 0
    start = time.perf_counter()
    deadline = start + max_seconds

    async def client() -> None:
        nonlocal next_index
        conn = Connection(port)
        try:
            while True:
                if time.perf_counter() > deadline:
                    phase.timed_out = True
                    return
                i = next_index
                if i >= len(payloads):
                    return
                next_index += 1
                t0 = time.perf_counter()
                try:
                    status, body = await conn.request(payloads[i])
                    ok = status == 200 and len(json.loads(body)["results"]) == len(requests[i])
                    if not ok and len(phase.error_samples) < 3:
                        phase.error_samples.append(f"HTTP {status}: {body[:200]!r}")
                except (OSError, ConnectionError, asyncio.IncompleteReadError, ValueError, KeyError) as exc:
                    ok = False
                    if len(phase.error_samples) < 3:
                        phase.error_samples.append(repr(exc))
                    await conn.close()
                phase.latencies.append(time.perf_counter() - t0)
                phase.sent += 1
                if ok:
                    phase.sentences += len(requests[i])
                else:
                    phase.errors += 1
        finally:
            await conn.close()

    await asyncio.gather(*(client() for _ in range(concurrency)))
    phase.seconds = time.perf_counter() - start
    return phase


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=None, help="model directory (default: the shipped model)")
    ap.add_argument("--requests", type=int, default=10_000, help="requests per phase (default: %(default)s)")
    ap.add_argument("--concurrency", type=int, default=32, help="concurrent clients (default: %(default)s)")
    ap.add_argument("--multi-share", type=float, default=0.3, help="share of requests with 2-16 sentences (default: %(default)s)")
    ap.add_argument("--unloaded", type=int, default=500, help="single-sentence requests for the unloaded latency (default: %(default)s)")
    ap.add_argument("--max-seconds", type=float, default=120.0, help="time limit of each phase (default: %(default)s)")
    ap.add_argument("--batch-wait-ms", type=float, default=2.0, help="server batch wait window (default: %(default)s)")
    ap.add_argument("--max-batch", type=int, default=64, help="server maximum batch (default: %(default)s)")
    ap.add_argument("--server-arg", action="append", default=[], help="extra `fazhi serve` argument (repeatable), e.g. --server-arg=--model-threads=1")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)

    requests = make_requests(args.requests, args.multi_share, args.seed)
    singles = [r for r in make_requests(args.unloaded * 2, 0.0, args.seed + 1)][: args.unloaded]
    proc, port = start_server(args)
    try:
        info = get_json(port, "/v1/model")
        print(f"server: model {info['name']} (max_chars {info['max_chars']}), max_batch {args.max_batch}, "
              f"batch wait {args.batch_wait_ms} ms {' '.join(args.server_arg)}; client: {args.concurrency} concurrent; cores: {os.cpu_count()}")
        print(f"requests: {len(requests)} ({sum(len(r) > 1 for r in requests)} multi-sentence, "
              f"{sum(map(len, requests))} sentences)")
        asyncio.run(run_phase("warm-up", port, requests[:300], 8, 30))
        unloaded = asyncio.run(run_phase("unloaded-1", port, singles, 1, args.max_seconds))
        sequential = asyncio.run(run_phase("sequential", port, requests, 1, args.max_seconds))
        before = get_json(port, "/healthz")["batching"]
        concurrent = asyncio.run(run_phase(f"concurrent-{args.concurrency}", port, requests, args.concurrency, args.max_seconds))
        after = get_json(port, "/healthz")["batching"]
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
    for phase in (unloaded, sequential, concurrent):
        print(phase.line())
        for sample in phase.error_samples:
            print(f"    error sample: {sample}")
    batches = after["batches"] - before["batches"]
    sentences = after["sentences"] - before["sentences"]
    jobs = after["jobs"] - before["jobs"]
    print(f"concurrent batching: {jobs} requests in {batches} model calls, mean {sentences / batches if batches else 0:.1f} "
          f"sentences per call (largest so far {after['largest_batch']})")
    ratio = concurrent.rps / sequential.rps if sequential.rps else float("nan")
    errors = unloaded.errors + sequential.errors + concurrent.errors
    print(f"single-sentence p50 without load: {unloaded.pct(0.5):.2f} ms (target < 20 ms)")
    print(f"throughput concurrent / sequential: {ratio:.2f}x (target >= 3x)")
    print(f"errors: {errors} (target 0)")
    return 0 if errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
