"""The HTTP API through a real `fazhi serve` (uvicorn) process on 127.0.0.1."""

import json
import socket
import time

import httpx
import pytest
from server_process import running_server

pytestmark = pytest.mark.slow  # every test here starts a real server or worker process

SENTENCES = ["全面推行行政执法公示制度。", "行政复议案件办理质量有待提高。", ""]
LIMIT = 100_000


@pytest.fixture(scope="module")
def server():
    with running_server("--max-body-bytes", str(LIMIT), "--max-sentences", "8") as base:
        yield base


def test_real_server_classifies_and_analyzes(server, seed_texts):
    with httpx.Client(base_url=server, timeout=30) as c:
        assert c.get("/healthz").json()["status"] == "ok"
        res = c.post("/v1/classify", json={"sentences": SENTENCES}).json()["results"]
        assert [r["text"] for r in res] == SENTENCES and res[2]["category"] == "other"  # blank: other
        assert c.post("/v1/classify", json={"sentences": []}).json()["results"] == []
        text = seed_texts["001_5198beffa2de79c3.txt"]
        body = c.post("/v1/analyze", json={"text": text, "doc": "001"}).json()
        assert body["units"] and all(text[u["start"] : u["end"]] == u["text"] for u in body["units"])
        assert body["summary"]["sentences"] == len(body["units"])
        info = c.get("/v1/model").json()
        assert info["limits"]["max_sentences"] == 8 and info["limits"]["max_body_bytes"] == LIMIT
        assert c.get("/").status_code == 200 and c.get("/docs").status_code == 200


def test_real_server_answers_bad_input_with_the_error_shape(server):
    with httpx.Client(base_url=server, timeout=30) as c:
        cases = [
            (c.post("/v1/classify", content=b"{oops", headers={"content-type": "application/json"}), 422, "invalid_json"),
            (c.post("/v1/classify", json={"sentences": [1]}), 422, "validation_error"),
            (c.post("/v1/classify", json={"texts": []}), 422, "validation_error"),
            (c.post("/v1/classify", json={"sentences": ["执法。"] * 9}), 422, "too_many_sentences"),
            (c.post("/v1/classify", content=b"x" * (LIMIT + 1)), 413, "payload_too_large"),
            (c.get("/v1/nothing"), 404, "not_found"),
            (c.delete("/v1/analyze"), 405, "method_not_allowed"),
        ]
        for response, status, error_type in cases:
            assert response.status_code == status, response.text
            assert response.json().keys() == {"error", "error_type"} and response.json()["error_type"] == error_type
        assert "8" in cases[3][0].json()["error"]
        assert c.get("/healthz").status_code == 200  # still serving


def _read_response(sock: socket.socket, timeout: float = 10.0) -> tuple[int, dict]:
    sock.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(next(l.split(b":")[1] for l in head.split(b"\r\n") if l.lower().startswith(b"content-length")))
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return int(head.split()[1]), json.loads(body)


def test_oversized_declared_body_is_refused_before_it_is_sent(server):
    """The client announces 50 MB and sends only the headers: the 413 comes back without the body."""
    port = int(server.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"POST /v1/classify HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 50000000\r\n\r\n" + b'{"sentences": ["')
        status, body = _read_response(sock)
    assert status == 413 and body["error_type"] == "payload_too_large" and "50000000" in body["error"]


def test_oversized_chunked_body_is_refused_once_it_passes_the_limit(server):
    """A chunked body has no declared length: the server stops reading once it passes the limit."""
    port = int(server.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"POST /v1/classify HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n")
        piece = b"x" * 16384
        sent = 0
        while sent <= LIMIT + len(piece):  # past the limit, and never the final chunk
            sock.sendall(b"%x\r\n" % len(piece) + piece + b"\r\n")
            sent += len(piece)
        status, body = _read_response(sock)
    assert status == 413 and body["error_type"] == "payload_too_large"


def test_server_survives_a_client_that_disconnects_mid_request(server):
    port = int(server.rsplit(":", 1)[1])
    for _ in range(5):
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(b"POST /v1/classify HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{\"sente")
    time.sleep(0.2)
    with httpx.Client(base_url=server, timeout=30) as c:
        assert c.post("/v1/classify", json={"sentences": SENTENCES[:1]}).status_code == 200


def test_model_worker_process_predicts_like_the_model_in_process_and_restarts_after_a_crash(seed_texts):
    import os
    import signal

    import numpy as np

    from fazhi.model import default_model_dir, load_model
    from fazhi.segment import segment
    from fazhi.serve.worker import ModelProcess

    texts = [u.text for u in segment(seed_texts["001_5198beffa2de79c3.txt"])]
    model = load_model(default_model_dir())
    worker = ModelProcess(default_model_dir(), threads=1)
    try:
        assert (worker.name, worker.labels, worker.threshold, worker.max_chars) == \
               (model.name, model.labels, model.threshold, model.max_chars)
        want = model.predict(texts)
        got = worker.predict(texts)
        assert np.allclose(got.category_probs, want.category_probs) and np.allclose(got.problem_probs, want.problem_probs)
        os.kill(worker._proc.pid, signal.SIGKILL)
        worker._proc.wait()
        assert worker.predict(texts[:3]).categories == want.categories[:3]  # a new worker took over
        assert worker.restarts == 1
    finally:
        worker.close()


def test_real_server_runs_the_model_in_a_worker_process(server):
    with httpx.Client(base_url=server, timeout=30) as c:
        health = c.get("/healthz").json()
    assert health["inference"] == "process" and health["worker_restarts"] == 0
