"""Service trial of `fazhi serve` as an attacker and a careless user would run it (issue 17), on loopback only.

Starts a real server on 127.0.0.1 at a free port and runs bounded cases, each
with a time limit, then stops by itself and prints one table row per case:
what was sent, what came back, how long a normal one-sentence request took
meanwhile, and whether the case met its target. Nothing leaves 127.0.0.1.

Cases:
- idle: N idle connections (default 10,000; needs `ulimit -n` above N + 100),
  then a normal request must answer within 1 s, and the server must have
  closed them all within the header timeout (+2 s);
- half-sent: connections that send part of their headers and stop get 408
  within the header timeout;
- huge header / many headers: a 120 MB header and 10,000 header lines get 431
  without slowing a normal request, and the server's memory grows < 20 MB;
- big doc: /v1/analyze with a 100 KB doc: the response stays near the request's
  size (doc once per response);
- compare hang-ups: clients that send a 2 x 2,000-unit compare and leave
  after 1 s: the server's CPU time afterwards stays near idle;
- content types and Host: text/plain, form and no type get 415; a foreign
  Host gets 400; no redirect, no server banner;
- NaN model: a baseline whose weights hold NaN is refused at start (exit 3).

Every case asserts no 5xx. Usage: `python benchmarks/abuse.py [--idle 10000]`.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from server_process import free_port, server_process  # noqa: E402

from fazhi.model import default_model_dir  # noqa: E402

HOST = "127.0.0.1"
SENTENCE = {"sentences": ["全面推行行政执法公示制度。"]}
UNIT = "行政执法人员力量不足，执法水平有待提高。\n"


def normal_latency(base: str) -> float:
    """Seconds for one one-sentence classify on a fresh connection (inf when it fails)."""
    start = time.monotonic()
    try:
        r = httpx.post(base + "/v1/classify", json=SENTENCE, timeout=10)
        if r.status_code != 200:
            return float("inf")
    except httpx.HTTPError:
        return float("inf")
    return time.monotonic() - start


def _read(sock: socket.socket, timeout: float) -> bytes:
    sock.settimeout(timeout)
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except (TimeoutError, ConnectionResetError):
        pass
    return data


def _status(data: bytes) -> int:
    try:
        return int(data.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return 0


def _cpu_seconds(pids: list[int]) -> float:
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        except (OSError, IndexError):
            pass
    return total


def _open_count(socks: list[socket.socket]) -> int:
    """How many of socks the server has not closed (a peek: nothing is consumed)."""
    alive = 0
    for s in socks:
        s.setblocking(False)  # a socket with a timeout would wait for data before the peek
        try:
            alive += s.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) != b""
        except BlockingIOError:
            alive += 1
        except OSError:
            pass
    return alive


def _rss_mb(pid: int, field: str = "VmRSS") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def case_idle(base: str, port: int, n: int, header_timeout: float, server_pid: int) -> dict:
    """n connections that send nothing: a normal request meanwhile, and when the server has closed them all."""
    socks = []
    start = time.monotonic()
    rss_before = _rss_mb(server_pid)
    try:
        for _ in range(n):
            try:
                socks.append(socket.create_connection((HOST, port), timeout=5))
            except OSError:
                break
        opened = len(socks)
        opened_s = time.monotonic() - start
        latency = normal_latency(base)
        time.sleep(0.5)
        alive_after = _open_count(socks)
        rss_open = _rss_mb(server_pid)
        all_closed_s = float("inf")
        while time.monotonic() - start < opened_s + header_timeout + 10:
            if _open_count(socks) == 0:
                all_closed_s = time.monotonic() - start - opened_s
                break
            time.sleep(0.25)
    finally:
        for s in socks:
            s.close()
    return {
        "case": f"{n} idle connections",
        "sent": f"{opened} opened in {opened_s:.1f} s",
        "answer": f"{alive_after} still open after 0.5 s (cap max_connections), all closed {all_closed_s:.1f} s "
        f"after the last opened; server RSS {rss_before:.0f} -> {rss_open:.0f} MB",
        "normal_s": latency,
        "ok": latency < 1.0 and all_closed_s <= header_timeout + 2,
    }


def case_half_sent(base: str, port: int, header_timeout: float) -> dict:
    socks = [socket.create_connection((HOST, port)) for _ in range(50)]
    for s in socks:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    latency = normal_latency(base)
    start = time.monotonic()
    statuses = [_status(_read(s, header_timeout + 5)) for s in socks]
    took = time.monotonic() - start
    for s in socks:
        s.close()
    return {
        "case": "50 half-sent headers",
        "sent": "request line + Host, never finished",
        "answer": f"{statuses.count(408)} x 408 within {took:.1f} s",
        "normal_s": latency,
        "ok": statuses.count(408) == 50 and took < header_timeout + 3,
    }


def case_header(base: str, port: int, label: str, head: bytes, server_pid: int) -> dict:
    """A request head over the limits, with a one-sentence classify sent while it is being refused."""
    peak_before = _rss_mb(server_pid, "VmHWM")
    rss_before = _rss_mb(server_pid)
    with socket.create_connection((HOST, port)) as s:
        start = time.monotonic()
        try:
            s.sendall(head)
        except (BrokenPipeError, ConnectionResetError):
            pass
        status = _status(_read(s, 10))
        took = time.monotonic() - start
    latency = normal_latency(base)
    grew = max(_rss_mb(server_pid, "VmHWM") - peak_before, _rss_mb(server_pid) - rss_before, 0.0)
    return {
        "case": label,
        "sent": f"{len(head) / 1e6:.2f} MB of headers",
        "answer": f"{status} in {took:.2f} s; server memory +{grew:.1f} MB",
        "normal_s": latency,
        "ok": status == 431 and latency < 1.0 and grew < 20,
    }


def case_big_doc(base: str) -> dict:
    huge = httpx.post(base + "/v1/analyze", json={"text": UNIT * 10, "doc": "名" * 100_000}, timeout=60)
    body = {"text": UNIT * 5000, "doc": "名" * 200}  # the longest doc allowed, 5,000 units
    sent = len(json.dumps(body, ensure_ascii=False).encode())
    r = httpx.post(base + "/v1/analyze", json=body, timeout=120)
    return {
        "case": "analyze: 100 KB doc; 200-char doc x 5,000 units",
        "sent": f"300 KB; {sent / 1e3:.0f} KB",
        "answer": f"{huge.status_code}; {r.status_code}, {len(r.content) / 1e6:.1f} MB ({len(r.content) / sent:.0f}x)",
        "normal_s": normal_latency(base),
        "ok": huge.status_code == 422 and r.status_code == 200 and len(r.content) < 20 * sent,
    }


def case_compare_hangups(base: str, port: int, pids: list[int], clients: int) -> dict:
    text = UNIT * 1000 + "".join(f"第{i}项执法检查完成。\n" for i in range(1000))
    payload = json.dumps({"old": {"text": text}, "new": {"text": text[::-1]}}, ensure_ascii=False).encode()
    socks = []
    for _ in range(clients):
        s = socket.create_connection((HOST, port))
        s.sendall(
            b"POST /v1/compare HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n" % len(payload) + payload
        )
        socks.append(s)
    time.sleep(1.0)
    for s in socks:
        s.close()
    time.sleep(2.0)  # let cancellation land
    before = _cpu_seconds(pids)
    time.sleep(5.0)
    burned = _cpu_seconds(pids) - before
    return {
        "case": f"{clients} compare hang-ups",
        "sent": f"{clients} x {len(payload) / 1e3:.0f} KB, left after 1 s",
        "answer": f"{burned:.2f} CPU-s in the 5 s after",
        "normal_s": normal_latency(base),
        "ok": burned < 1.0,
    }


def case_types(base: str) -> dict:
    answers = []
    for ct in ("text/plain", "application/x-www-form-urlencoded", None):
        headers = {"content-type": ct} if ct else {}
        answers.append(httpx.post(base + "/v1/classify", content=json.dumps(SENTENCE), headers=headers).status_code)
    return {
        "case": "content types",
        "sent": "text/plain, form, none",
        "answer": " ".join(map(str, answers)),
        "normal_s": normal_latency(base),
        "ok": answers == [415, 415, 415],
    }


def case_host(base: str) -> dict:
    r = httpx.get(base + "/v1/model", headers={"host": "evil.example"})
    slash = httpx.get(base + "/v1/model/", follow_redirects=False)
    ok = (
        r.status_code == 400
        and slash.status_code == 404
        and "location" not in slash.headers
        and "server" not in slash.headers
    )
    return {
        "case": "Host and redirects",
        "sent": "Host: evil.example; /v1/model/",
        "answer": f"{r.status_code}; {slash.status_code}",
        "normal_s": normal_latency(base),
        "ok": ok,
    }


def case_nan_model() -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "baseline"
        shutil.copytree(default_model_dir().parent / "baseline", target)
        with np.load(target / "weights.npz", allow_pickle=False) as w:
            arrays = {k: w[k] for k in w.files}
        arrays["cat_coef"][0, 0] = np.nan
        np.savez_compressed(target / "weights.npz", **arrays)
        start = time.monotonic()
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "fazhi",
                "serve",
                "--port",
                str(free_port()),
                "--model",
                str(target),
                "--workers",
                "1",
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
    line = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else ""
    return {
        "case": "NaN weights",
        "sent": "serve --model (NaN in cat_coef)",
        "answer": f"exit {proc.returncode} in {time.monotonic() - start:.1f} s",
        "normal_s": float("nan"),
        "ok": proc.returncode == 3 and "not finite" in line,
    }


def case_schemathesis(base: str, examples: int) -> dict:
    """schemathesis --checks all over the OpenAPI document (the dev extra installs it)."""
    exe = Path(sys.executable).with_name("schemathesis")
    if not exe.exists():
        return {
            "case": "schemathesis --checks all",
            "sent": "not installed",
            "answer": "-",
            "normal_s": float("nan"),
            "ok": False,
        }
    config = Path(__file__).with_name("schemathesis.toml")
    start = time.monotonic()
    proc = subprocess.run(
        [
            str(exe),
            "--config-file",
            str(config),
            "run",
            base + "/openapi.json",
            "--checks",
            "all",
            "--max-examples",
            str(examples),
            "--request-timeout",
            "20",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    last = [
        line for line in proc.stdout.splitlines() if "generated" in line or "issues found" in line or "failure" in line
    ]
    return {
        "case": "schemathesis --checks all",
        "sent": f"{examples} examples per operation",
        "answer": f"exit {proc.returncode} in {time.monotonic() - start:.0f} s: "
        f"{'; '.join(x.strip(' =') for x in last[-2:])}",
        "normal_s": normal_latency(base),
        "ok": proc.returncode == 0 and "warning" not in proc.stdout.lower(),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--idle", type=int, default=10_000, help="idle connections to open (default: %(default)s)")
    ap.add_argument("--hangups", type=int, default=6, help="compare clients that leave (default: %(default)s)")
    ap.add_argument(
        "--examples", type=int, default=100, help="schemathesis examples per operation (default: %(default)s)"
    )
    ap.add_argument(
        "--header-timeout-s", type=float, default=10.0, help="the server's header timeout (default: %(default)s)"
    )
    ap.add_argument(
        "--skip",
        default="",
        help="comma-separated cases to leave out: idle, half-sent, huge-header, many-headers, "
        "big-doc, compare, types, host, schemathesis, nan",
    )
    args = ap.parse_args(argv)
    skip = {x.strip() for x in args.skip.split(",") if x.strip()}
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < args.idle + 200:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, args.idle + 200), hard))
        soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    idle = min(args.idle, soft - 200)
    rows: list[dict] = []
    with server_process("--header-timeout-s", str(args.header_timeout_s)) as server:
        base, port = server.base, server.port
        pids = [server.proc.pid, *server.worker_pids()]
        cases: dict[str, Callable[[], dict]] = {
            "idle": lambda: case_idle(base, port, idle, args.header_timeout_s, server.proc.pid),
            "half-sent": lambda: case_half_sent(base, port, args.header_timeout_s),
            "huge-header": lambda: case_header(
                base,
                port,
                "120 MB header",
                b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * 120_000_000 + b"\r\n\r\n",
                server.proc.pid,
            ),
            "many-headers": lambda: case_header(
                base,
                port,
                "10,000 headers",
                b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + b"".join(b"X-%d: 1\r\n" % i for i in range(10_000))
                + b"\r\n",
                server.proc.pid,
            ),
            "big-doc": lambda: case_big_doc(base),
            "compare": lambda: case_compare_hangups(base, port, pids, args.hangups),
            "types": lambda: case_types(base),
            "host": lambda: case_host(base),
            "schemathesis": lambda: case_schemathesis(base, args.examples),
        }
        for name, case in cases.items():
            if name in skip:
                continue
            rows.append(case())
            print(json.dumps(rows[-1], ensure_ascii=False), file=sys.stderr, flush=True)
        five_xx = "5xx" if "Traceback" in server.output() else ""
    if "nan" not in skip:
        rows.append(case_nan_model())
    print("| case | sent | answer | normal request meanwhile | met |\n|---|---|---|---:|---|")
    for r in rows:
        normal = "-" if r["normal_s"] != r["normal_s"] else f"{r['normal_s'] * 1000:.0f} ms"
        print(f"| {r['case']} | {r['sent']} | {r['answer']} | {normal} | {'yes' if r['ok'] else 'NO'} |")
    if five_xx:
        print("the server logged a traceback")
    return 0 if all(r["ok"] for r in rows) and not five_xx else 1


if __name__ == "__main__":
    sys.exit(main())
