"""Load test of `fazhi serve` on loopback: latency, throughput, errors and worker memory.

Starts a real server (``python -m fazhi serve``) on 127.0.0.1 at a free port and
sends /v1/classify requests made of sentences from the five seed reports, in
phases:

1. unloaded-1: single-sentence requests one at a time (target p50 <= 10 ms);
2. single-32: single-sentence requests from --concurrency clients
   (target p50 <= 30 ms, p99 <= 100 ms, 0 errors);
3. mixed-32: single and 5-20-sentence requests (--multi-share of them) from
   --concurrency clients (target >= 700 sentences/s, p99 <= 400 ms);
4. analyze+32 (--analyze-units > 0): single-sentence requests from
   --concurrency clients while one more client sends /v1/analyze reports of
   that many units back to back: a big job must not starve the small ones;
5. sequential (--sequential > 0): mixed requests one at a time on one
   connection, for the concurrent/sequential throughput ratio.

Prints, per phase, requests and sentences per second, p50/p95/p99 latency and
errors; the batching statistics; and the worker's (and server's) resident
memory after every request has been answered (target: worker <= 600 MB after
10,000 requests). Only 127.0.0.1 is contacted; each phase is bounded by
--max-seconds. The client is a minimal HTTP/1.1 keep-alive client on asyncio
streams so that it takes little of the CPU the server needs. Exits 1 when any
request failed.

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
    cmd = [sys.executable, "-m", "fazhi", "serve", "--host", HOST, "--port", str(port)]
    if args.batch_wait_ms is not None:
        cmd += ["--batch-wait-ms", str(args.batch_wait_ms)]
    if args.max_batch is not None:
        cmd += ["--max-batch", str(args.max_batch)]
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
    from fazhi.pipeline.segment import segment

    pool = []
    for f in sorted(SEEDS.glob("*.txt")):
        pool += [u.text for u in segment(f.read_text(encoding="utf-8"))]
    if not pool:
        raise SystemExit(f"no seed reports found in {SEEDS}")
    return pool


def make_requests(n: int, multi_share: float, seed: int, lo: int = 5, hi: int = 20) -> list[list[str]]:
    """n requests; multi_share of them have lo..hi sentences, the others one."""
    rng = random.Random(seed)
    pool = sentence_pool()
    out = []
    for _ in range(n):
        k = rng.randint(lo, hi) if rng.random() < multi_share else 1
        out.append(rng.sample(pool, k))
    return out


def report_text(units: int) -> str:
    """A report of about `units` sentence units, made of seed sentences, one per line."""
    pool = sentence_pool()
    return "\n".join(pool[i % len(pool)] for i in range(units))


def encode(path: str, payload: dict, port: int) -> bytes:
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: keep-alive\r\n\r\n"
    ).encode("ascii")
    return head + body


def rss_mib(pid: int) -> float:
    """Resident memory of a process in MiB (Linux /proc; nan elsewhere)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc; nan elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


def children(pid: int) -> list[int]:
    """Process ids whose parent is pid (the server's model worker)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


# --- client --------------------------------------------------------------------------
class Connection:
    """One keep-alive HTTP/1.1 connection."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(HOST, self.port, limit=1 << 24)

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
    server_cpu: float = float("nan")  # CPU seconds the server process spent during the phase
    worker_cpu: float = float("nan")  # and the model workers together

    def pct(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        xs = sorted(self.latencies)
        return xs[min(len(xs) - 1, int(q * len(xs)))] * 1000

    @property
    def rps(self) -> float:
        return self.sent / self.seconds if self.seconds else 0.0

    @property
    def sps(self) -> float:
        return self.sentences / self.seconds if self.seconds else 0.0

    def line(self) -> str:
        extra = " (stopped at the time limit)" if self.timed_out else ""
        return (
            f"{self.name:<18} {self.sent:>6} requests {self.sentences:>7} sentences in {self.seconds:6.1f} s: "
            f"{self.rps:7.1f} req/s {self.sps:8.1f} sentences/s | "
            f"latency ms p50 {self.pct(0.50):7.2f} p95 {self.pct(0.95):7.2f} p99 {self.pct(0.99):7.2f} | "
            f"errors {self.errors}{extra}"
        )

    def cpu_line(self) -> str:
        return (
            f"{'':<18} CPU: server {1000 * self.server_cpu / max(self.sent, 1):6.2f} ms/request, worker "
            f"{1000 * self.worker_cpu / max(self.sentences, 1):6.2f} ms/sentence (all workers); busy "
            f"{self.server_cpu / self.seconds:4.0%} and {self.worker_cpu / self.seconds:4.0%} of one core"
            if self.seconds
            else ""
        )


async def _client(
    port: int,
    phase: Phase,
    payloads: list[bytes],
    counts: list[int],
    next_index: list[int],
    deadline: float,
    stop: asyncio.Event | None = None,
) -> None:
    """Send payloads[next_index[0]...] one after another on one connection until none is left (or stop is set)."""
    conn = Connection(port)
    try:
        while stop is None or not stop.is_set():
            if time.perf_counter() > deadline:
                phase.timed_out = True
                return
            i = next_index[0]
            if i >= len(payloads):
                return
            next_index[0] += 1
            t0 = time.perf_counter()
            try:
                status, body = await conn.request(payloads[i])
                reply = json.loads(body)
                ok = status == 200 and len(reply.get("results", reply.get("units", ()))) == counts[i]
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
                phase.sentences += counts[i]
            else:
                phase.errors += 1
    finally:
        await conn.close()


def classify_payloads(port: int, requests: list[list[str]]) -> tuple[list[bytes], list[int]]:
    return [encode("/v1/classify", {"sentences": r}, port) for r in requests], [len(r) for r in requests]


async def run_phase(name: str, port: int, requests: list[list[str]], concurrency: int, max_seconds: float) -> Phase:
    phase = Phase(name)
    payloads, counts = classify_payloads(port, requests)
    start = time.perf_counter()
    index = [0]
    await asyncio.gather(
        *(_client(port, phase, payloads, counts, index, start + max_seconds) for _ in range(concurrency))
    )
    phase.seconds = time.perf_counter() - start
    return phase


async def run_beside_analyze(
    port: int, requests: list[list[str]], concurrency: int, units: int, max_seconds: float
) -> tuple[Phase, Phase]:
    """Single-sentence clients while one more client sends big /v1/analyze requests back to back."""
    from fazhi.pipeline.segment import segment

    text = report_text(units)
    n_units = len(segment(text))
    small, big = Phase(f"single-{concurrency}+analyze"), Phase(f"analyze-{n_units}")
    payloads, counts = classify_payloads(port, requests)
    big_payloads = [encode("/v1/analyze", {"text": text, "doc": "big"}, port)] * 1000
    stop = asyncio.Event()
    start = time.perf_counter()
    deadline = start + max_seconds
    big_task = asyncio.create_task(_client(port, big, big_payloads, [n_units] * len(big_payloads), [0], deadline, stop))
    await asyncio.sleep(0.05)  # the big job is in the queue before the small ones start
    index = [0]
    await asyncio.gather(*(_client(port, small, payloads, counts, index, deadline) for _ in range(concurrency)))
    stop.set()
    await big_task
    small.seconds = big.seconds = time.perf_counter() - start
    return small, big


def measured(proc: subprocess.Popen, run) -> list[Phase]:
    """Run a phase (or a pair), recording the CPU time the server and its worker spent meanwhile."""
    workers = children(proc.pid)
    before = (cpu_seconds(proc.pid), sum(cpu_seconds(w) for w in workers))
    result = asyncio.run(run)
    phases = list(result) if isinstance(result, tuple) else [result]
    after = (cpu_seconds(proc.pid), sum(cpu_seconds(w) for w in workers))
    if len(phases) == 1:  # a pair shares its CPU between two kinds of request: not split
        phases[0].server_cpu, phases[0].worker_cpu = after[0] - before[0], after[1] - before[1]
    return phases


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=None, help="model directory (default: the shipped model)")
    ap.add_argument(
        "--requests", type=int, default=10_000, help="requests in each concurrent phase (default: %(default)s)"
    )
    ap.add_argument("--concurrency", type=int, default=32, help="concurrent clients (default: %(default)s)")
    ap.add_argument(
        "--multi-share",
        type=float,
        default=0.3,
        help="share of mixed requests with 5-20 sentences (default: %(default)s)",
    )
    ap.add_argument(
        "--unloaded",
        type=int,
        default=500,
        help="single-sentence requests for the unloaded latency (default: %(default)s)",
    )
    ap.add_argument(
        "--analyze-units",
        type=int,
        default=5000,
        help="units of the report sent back to back beside the single-sentence clients; 0 skips the phase "
        "(default: %(default)s)",
    )
    ap.add_argument(
        "--sequential",
        type=int,
        default=0,
        help="mixed requests sent one at a time; 0 skips the phase (default: %(default)s)",
    )
    ap.add_argument("--max-seconds", type=float, default=120.0, help="time limit of each phase (default: %(default)s)")
    ap.add_argument(
        "--batch-wait-ms", type=float, default=None, help="server batch wait window (default: the server's)"
    )
    ap.add_argument("--max-batch", type=int, default=None, help="server maximum batch (default: the server's)")
    ap.add_argument(
        "--server-arg",
        action="append",
        default=[],
        help="extra `fazhi serve` argument (repeatable), e.g. --server-arg=--model-threads=1",
    )
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)

    mixed = make_requests(args.requests, args.multi_share, args.seed)
    singles = make_requests(args.requests, 0.0, args.seed + 1)
    proc, port = start_server(args)
    phases: list[Phase] = []
    try:
        info = get_json(port, "/v1/model")
        limits = info.get("limits", {})
        print(
            f"server: model {info['name']} (max_chars {info['max_chars']}), limits {limits} "
            f"{' '.join(args.server_arg)}; client: {args.concurrency} concurrent; cores: {os.cpu_count()}"
        )
        print(
            f"mixed requests: {len(mixed)} ({sum(len(r) > 1 for r in mixed)} of 5-20 sentences, "
            f"{sum(map(len, mixed))} sentences)"
        )
        asyncio.run(run_phase("warm-up", port, mixed[:300], 8, 30))
        phases += measured(proc, run_phase("unloaded-1", port, singles[: args.unloaded], 1, args.max_seconds))
        phases += measured(
            proc, run_phase(f"single-{args.concurrency}", port, singles, args.concurrency, args.max_seconds)
        )
        before = get_json(port, "/healthz")["batching"]
        phases += measured(
            proc, run_phase(f"mixed-{args.concurrency}", port, mixed, args.concurrency, args.max_seconds)
        )
        after = get_json(port, "/healthz")["batching"]
        if args.analyze_units:
            phases += measured(
                proc, run_beside_analyze(port, singles[:2000], args.concurrency, args.analyze_units, args.max_seconds)
            )
        if args.sequential:
            phases += measured(proc, run_phase("sequential", port, mixed[: args.sequential], 1, args.max_seconds))
        answered = sum(p.sent for p in phases) + 300
        workers = children(proc.pid)
        worker_rss = [rss_mib(pid) for pid in workers]
        server_rss = rss_mib(proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
    for phase in phases:
        print(phase.line())
        if phase.server_cpu == phase.server_cpu:  # measured (not nan)
            print(phase.cpu_line())
        for sample in phase.error_samples:
            print(f"    error sample: {sample}")
    batches = after["batches"] - before["batches"]
    sentences = after["sentences"] - before["sentences"]
    jobs = after["jobs"] - before["jobs"]
    print(
        f"mixed batching: {jobs} requests in {batches} model calls, mean {sentences / batches if batches else 0:.1f} "
        f"sentences per call (largest so far {after['largest_batch']})"
    )
    by_name = {p.name: p for p in phases}
    unloaded, single, mix = phases[0], phases[1], phases[2]
    errors = sum(p.errors for p in phases)
    print(f"unloaded single-sentence p50: {unloaded.pct(0.5):.2f} ms (target <= 10 ms)")
    print(
        f"single-sentence, {args.concurrency} clients: p50 {single.pct(0.5):.1f} ms (target <= 30), p99 "
        f"{single.pct(0.99):.1f} ms (target <= 100)"
    )
    print(
        f"mixed, {args.concurrency} clients: {mix.sps:.0f} sentences/s (target >= 700), p99 {mix.pct(0.99):.1f} ms "
        "(target <= 400)"
    )
    if "sequential" in by_name and by_name["sequential"].rps:
        print(f"throughput mixed concurrent / sequential: {mix.rps / by_name['sequential'].rps:.2f}x")
    shown = ", ".join(f"{r:.0f} MiB" for r in worker_rss) or "none (the model runs in the server process)"
    print(f"after {answered} requests: worker RSS {shown} (target <= 600 MB); server RSS {server_rss:.0f} MiB")
    print(f"errors: {errors} (target 0)")
    return 0 if errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
