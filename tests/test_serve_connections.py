"""Connection limits of a real `fazhi serve` (serve.protocol): header timeout and size, the connection cap,
no server banner, and a damaged model that refuses to start."""

import asyncio
import json
import multiprocessing
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

import httpx
import numpy as np
import pytest
from server_process import free_port, running_server

from fazhi.model import default_model_dir
from fazhi.serve.compare_job import compare_in_process
from fazhi.serve.worker import ModelProcess

pytestmark = pytest.mark.slow  # every test here starts a real server


@pytest.fixture(scope="module")
def server():
    with running_server(
        "--workers",
        "1",
        "--header-timeout-s",
        "1",
        "--max-connections",
        "40",
        "--max-header-bytes",
        "8192",
        "--max-headers",
        "50",
    ) as base:
        yield base


def _port(base: str) -> int:
    return int(base.rsplit(":", 1)[1])


def _read_all(sock: socket.socket, timeout: float) -> bytes:
    sock.settimeout(timeout)
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except (TimeoutError, ConnectionResetError):
        pass
    return data


def _status_and_body(data: bytes) -> tuple[int, dict]:
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body)


def test_half_sent_headers_get_408_and_the_connection_closes_after_the_header_timeout(server):
    with socket.create_connection(("127.0.0.1", _port(server))) as sock:
        start = time.monotonic()
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # never finished
        data = _read_all(sock, 5)
        took = time.monotonic() - start
    status, body = _status_and_body(data)
    assert status == 408 and body["error_type"] == "request_timeout" and 0.8 < took < 3, (status, took)


def test_a_connection_that_sends_nothing_is_closed_after_the_header_timeout(server):
    with socket.create_connection(("127.0.0.1", _port(server))) as sock:
        start = time.monotonic()
        assert _read_all(sock, 5) == b""
        assert time.monotonic() - start < 3


@pytest.mark.parametrize(
    "request_head",
    [
        b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * 100_000 + b"\r\n\r\n",
        b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(60)) + b"\r\n",
    ],
)
def test_headers_over_the_size_or_count_limit_get_431(server, request_head):
    with socket.create_connection(("127.0.0.1", _port(server))) as sock:
        sock.sendall(request_head)
        status, body = _status_and_body(_read_all(sock, 5))
    assert status == 431 and body["error_type"] == "headers_too_large"


def test_past_the_connection_cap_idle_connections_make_room_and_requests_are_answered(server):
    idle = [socket.create_connection(("127.0.0.1", _port(server))) for _ in range(80)]
    try:
        with httpx.Client(base_url=server, timeout=5) as c:
            start = time.monotonic()
            assert c.get("/healthz").status_code == 200
            assert time.monotonic() - start < 1
        closed = 0
        for s in idle[:40]:  # the oldest were closed to make room
            s.settimeout(0.2)
            try:
                closed += s.recv(1) == b""
            except (TimeoutError, ConnectionResetError):
                pass
        assert closed >= 30
    finally:
        for s in idle:
            s.close()


def test_responses_name_no_server_software(server):
    r = httpx.get(server + "/healthz")
    assert "server" not in r.headers and r.headers["x-content-type-options"] == "nosniff"


def test_serve_refuses_to_start_with_a_damaged_model_in_one_line_with_exit_3(tmp_path):
    target = tmp_path / "baseline"
    shutil.copytree(default_model_dir().parent / "baseline", target)
    with np.load(target / "weights.npz", allow_pickle=False) as w:
        arrays = {k: w[k] for k in w.files}
    arrays["idf"][7] = np.nan
    np.savez_compressed(target / "weights.npz", **arrays)
    proc = subprocess.run(
        [sys.executable, "-m", "fazhi", "serve", "--port", str(free_port()), "--model", str(target), "--workers", "1"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 3, proc.stderr
    assert "not finite" in proc.stderr and "Traceback" not in proc.stderr and "serving" not in proc.stdout
    assert "fazhi serve:" not in proc.stdout


def test_serve_on_a_busy_port_says_so_with_exit_2_before_loading_anything():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        start = time.monotonic()
        proc = subprocess.run(
            [sys.executable, "-m", "fazhi", "serve", "--port", str(port)], capture_output=True, text=True, timeout=60
        )
    assert proc.returncode == 2, proc.stderr
    assert f"127.0.0.1:{port}" in proc.stderr and "Traceback" not in proc.stderr and proc.stdout == ""
    assert time.monotonic() - start < 10


def test_a_failed_worker_restart_names_no_path_to_clients(tmp_path):
    target = tmp_path / "secret-place" / "baseline"
    shutil.copytree(default_model_dir().parent / "baseline", target)
    worker = ModelProcess(target, timeout_s=5)
    try:
        shutil.rmtree(target)
        os.kill(worker.pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and "failed" not in (worker.health() or ""):
            time.sleep(0.1)
        reason = worker.health() or ""
        assert "restarting the model worker failed" in reason
        assert "secret-place" not in reason and str(tmp_path) not in reason
    finally:
        worker.close()


def test_a_compare_whose_client_leaves_is_stopped_with_its_process():
    row = {
        "doc": "a",
        "index": 0,
        "start": 0,
        "end": 10,
        "heading": "",
        "is_heading": False,
        "context": "",
        "category": "enforcement",
        "scores": {},
        "problem": True,
        "problem_score": 0.9,
        "truncated": False,
    }
    rows = [{**row, "index": i, "text": f"第{i}项行政执法人员力量不足，执法检查{i * 7}次。"} for i in range(4000)]

    async def leave_after(seconds: float) -> list[int]:
        task = asyncio.create_task(compare_in_process("a", rows, "b", rows[::-1], timeout_s=60))
        await asyncio.sleep(seconds)
        children = [p.pid for p in multiprocessing.active_children() if p.name == "fazhi-compare" and p.pid is not None]
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass
        return children

    start = time.monotonic()
    children = asyncio.run(leave_after(1.5))
    assert children and time.monotonic() - start < 5
    for pid in children:
        assert not os.path.exists(f"/proc/{pid}")  # killed and reaped


def test_past_limit_concurrency_requests_get_503_server_busy_in_the_error_shape():
    with running_server("--workers", "1", "--limit-concurrency", "2", "--body-timeout-s", "5") as base:
        port = _port(base)
        held = []
        for _ in range(2):  # two requests in progress: their bodies never finish
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(
                b"POST /v1/classify HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                b"Content-Length: 100\r\n\r\n{"
            )
            held.append(s)
        time.sleep(0.3)
        try:
            r = httpx.get(base + "/healthz", timeout=5)
            assert r.status_code == 503 and r.json()["error_type"] == "server_busy", r.text
            assert "limit_concurrency" in r.json()["error"]
        finally:
            for s in held:
                s.close()
        time.sleep(0.3)
        assert httpx.get(base + "/healthz", timeout=5).status_code == 200
