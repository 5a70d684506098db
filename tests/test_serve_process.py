"""The HTTP API through a real `fazhi serve` (uvicorn) process on 127.0.0.1."""

import json
import os
import signal
import socket
import threading
import time

import httpx
import pytest
from server_process import running_server, server_process

from fazhi.paths import DEFAULT_BERT_DIR

pytestmark = pytest.mark.slow  # every test here starts a real server or worker process

SENTENCES = ["全面推行行政执法公示制度。", "行政复议案件办理质量有待提高。"]
LIMIT = 100_000
MAX_UNITS = 1000


@pytest.fixture(scope="module")
def server():
    with running_server(
        "--max-body-bytes",
        str(LIMIT),
        "--max-sentences",
        "8",
        "--max-units",
        str(MAX_UNITS),
        "--body-timeout-s",
        "2",
        "--workers",
        "1",
    ) as base:
        yield base


def test_real_server_classifies_and_analyzes(server, seed_texts):
    with httpx.Client(base_url=server, timeout=30) as c:
        assert c.get("/healthz").json()["status"] == "ok"
        res = c.post("/v1/classify", json={"sentences": SENTENCES}).json()["results"]
        assert [r["text"] for r in res] == SENTENCES
        assert c.post("/v1/classify", json={"sentences": []}).json()["results"] == []
        text = seed_texts["001_5198beffa2de79c3.txt"]
        body = c.post("/v1/analyze", json={"text": text, "doc": "001"}).json()
        assert body["units"] and all(text[u["start"] : u["end"]] == u["text"] for u in body["units"])
        assert body["summary"]["sentences"] == len(body["units"])
        info = c.get("/v1/model").json()
        assert info["limits"]["max_sentences"] == 8 and info["limits"]["max_body_bytes"] == LIMIT
        assert c.get("/").status_code == 200 and c.get("/docs").status_code == 200


def _raw(server: str, data: bytes, timeout: float = 10.0) -> tuple[int, dict]:
    """Send raw bytes on a new connection and read the one response."""
    port = int(server.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        return _read_response(sock, timeout)


def _post(path: str, **kwargs):
    return lambda c, _server: c.post(path, **kwargs)


# Every bad input with its documented status (README, "Errors"): never a 5xx, always the error shape.
BAD_INPUTS = [
    (
        "invalid JSON",
        _post("/v1/classify", content=b"{oops", headers={"content-type": "application/json"}),
        422,
        "invalid_json",
    ),
    ("a number for a sentence", _post("/v1/classify", json={"sentences": [1]}), 422, "validation_error"),
    ("a missing field", _post("/v1/classify", json={"texts": []}), 422, "validation_error"),
    (
        "an unpaired surrogate",
        _post("/v1/classify", content=b'{"sentences": ["\\ud800"]}', headers={"content-type": "application/json"}),
        422,
        "invalid_text",
    ),
    (
        "more sentences than the limit",
        _post("/v1/classify", json={"sentences": ["执法。"] * 9}),
        422,
        "too_many_sentences",
    ),
    (
        "a report of more units than the limit",
        _post("/v1/analyze", json={"text": "执法检查。" * (MAX_UNITS + 1)}),
        422,
        "too_many_units",
    ),
    ("a body over the size limit", _post("/v1/classify", content=b"x" * (LIMIT + 1)), 413, "payload_too_large"),
    ("an unknown route", lambda c, _s: c.get("/v1/nothing"), 404, "not_found"),
    ("a method the route lacks", lambda c, _s: c.delete("/v1/analyze"), 405, "method_not_allowed"),
    (
        "a Content-Length that is not a number",
        lambda _c, s: _raw(s, b"POST /v1/classify HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: abc\r\n\r\n{}"),
        400,
        "bad_request",
    ),
    ("a request line that is not HTTP", lambda _c, s: _raw(s, b"GARBAGE\r\n\r\n"), 400, "bad_request"),
    (
        "a Content-Length larger than the body",
        lambda _c, s: _raw(s, b"POST /v1/classify HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\n{\"sente"),
        408,
        "request_timeout",
    ),
]


@pytest.mark.parametrize("case, send, status, error_type", BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
def test_bad_input_gets_its_documented_status_in_the_error_shape_and_the_server_stays_healthy(
    server, case, send, status, error_type
):
    with httpx.Client(base_url=server, timeout=30) as c:
        response = send(c, server)
        got, body = response if isinstance(response, tuple) else (response.status_code, response.json())
        assert got == status and got < 500, (case, got, body)
        assert body.keys() == {"error", "error_type"} and body["error_type"] == error_type and body["error"], body
        assert c.get("/healthz").status_code == 200  # still serving


def test_the_limit_errors_name_the_limit(server):
    with httpx.Client(base_url=server, timeout=30) as c:
        assert "8" in c.post("/v1/classify", json={"sentences": ["执法。"] * 9}).json()["error"]
        assert str(MAX_UNITS) in c.post("/v1/analyze", json={"text": "执法检查。" * (MAX_UNITS + 1)}).json()["error"]
        assert c.post("/v1/analyze", json={"text": "执法检查。" * MAX_UNITS}).status_code == 200


def test_head_healthz_answers_like_get(server):
    with httpx.Client(base_url=server, timeout=30) as c:
        head = c.head("/healthz")
    assert head.status_code == 200 and head.headers["content-type"] == "application/json" and head.content == b""


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
        sock.sendall(
            b"POST /v1/classify HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Content-Length: 50000000\r\n\r\n" + b'{"sentences": ["'
        )
        status, body = _read_response(sock)
    assert status == 413 and body["error_type"] == "payload_too_large" and "50000000" in body["error"]


def test_oversized_chunked_body_is_refused_once_it_passes_the_limit(server):
    """A chunked body has no declared length: the server stops reading once it passes the limit."""
    port = int(server.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(
            b"POST /v1/classify HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
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
            sock.sendall(b"POST /v1/classify HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\n{\"sente")
    time.sleep(0.2)
    with httpx.Client(base_url=server, timeout=30) as c:
        assert c.post("/v1/classify", json={"sentences": SENTENCES[:1]}).status_code == 200


def test_model_worker_process_predicts_like_the_model_in_process_and_restarts_after_a_crash(seed_texts):
    import os
    import signal

    import numpy as np

    from fazhi.model import default_model_dir, load_model
    from fazhi.pipeline.segment import segment
    from fazhi.serve.worker import ModelProcess, ModelUnavailable

    texts = [u.text for u in segment(seed_texts["001_5198beffa2de79c3.txt"])]
    model = load_model(default_model_dir())
    worker = ModelProcess(default_model_dir(), threads=1)
    try:
        assert (worker.name, worker.labels, worker.threshold, worker.max_chars) == (
            model.name,
            model.labels,
            model.threshold,
            model.max_chars,
        )
        want = model.predict(texts)
        got = worker.predict(texts)
        assert np.allclose(got.category_probs, want.category_probs) and np.allclose(
            got.problem_probs, want.problem_probs
        )
        os.kill(worker.pid, signal.SIGKILL)
        assert _wait_until(lambda: worker.health() is not None, 5)
        with pytest.raises(ModelUnavailable, match="SIGKILL"):  # at once, while the new worker starts
            worker.predict(texts[:3])
        assert _wait_until(lambda: worker.health() is None, 120)
        assert worker.predict(texts[:3]).categories == want.categories[:3]  # a new worker took over
        assert worker.restarts == 1
    finally:
        worker.close()


def test_real_server_runs_the_model_in_a_worker_process(server):
    with httpx.Client(base_url=server, timeout=30) as c:
        health = c.get("/healthz").json()
    assert health["inference"] == "process" and health["worker_restarts"] == 0


# --- faults: a big job beside small ones, a client that leaves, a stopped or killed worker, lying bodies -----------
def _batching(c: httpx.Client) -> dict:
    return c.get("/healthz").json()["batching"]


def _wait_until(condition, timeout: float, step: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return False


@pytest.fixture(scope="module")
def big_report(seed_texts) -> tuple[str, int]:
    """A report of 5,000 units (the default limit), made of the seed reports' sentences, and its unit count."""
    from fazhi.pipeline.segment import segment

    pool = [u.text for text in seed_texts.values() for u in segment(text) if not u.is_heading]
    text = "\n".join(pool[i % len(pool)] for i in range(5000))
    return text, len(segment(text))


@pytest.fixture(scope="module")
def default_server():
    with server_process() as srv:
        yield srv


def test_a_huge_analyze_does_not_stall_single_sentences_sent_beside_it(default_server, big_report):
    text, n_units = big_report
    done: dict = {}

    def analyze() -> None:
        t0 = time.perf_counter()
        r = httpx.post(default_server.base + "/v1/analyze", json={"text": text}, timeout=600)
        done.update(status=r.status_code, units=len(r.json().get("units", ())), seconds=time.perf_counter() - t0)

    with httpx.Client(base_url=default_server.base, timeout=600) as c:
        big = threading.Thread(target=analyze)
        big.start()
        assert _wait_until(lambda: _batching(c)["queued_sentences"] > n_units / 2, 120), (
            "the analyze never reached the batcher"
        )
        latencies = []
        for sentence in SENTENCES[:2] * 2:
            t0 = time.perf_counter()
            assert c.post("/v1/classify", json={"sentences": [sentence]}).status_code == 200
            latencies.append(time.perf_counter() - t0)
        answered_during = big.is_alive()
        big.join(600)
    assert done["status"] == 200 and done["units"] == n_units == 5000
    # Before: each single sentence waited behind the whole report (one model call of 5,000 units).
    assert answered_during, (
        f"the single sentences were answered only after the report ({latencies}, report {done['seconds']:.1f} s)"
    )
    assert max(latencies) < done["seconds"] / 4, (latencies, done["seconds"])


def test_the_work_of_a_client_that_leaves_is_cancelled(default_server, big_report):
    text, n_units = big_report
    body = json.dumps({"text": text}, ensure_ascii=False).encode("utf-8")
    with httpx.Client(base_url=default_server.base, timeout=60) as c:
        before = _batching(c)
        with socket.create_connection(("127.0.0.1", default_server.port), timeout=10) as sock:
            sock.sendall(
                b"POST /v1/analyze HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                b"Content-Length: %d\r\n\r\n" % len(body) + body
            )
            assert _wait_until(lambda: _batching(c)["sentences"] > before["sentences"], 120), (
                "the analyze never reached the model"
            )
        # The client is gone: the rest of its 5,000 units is dropped, not computed.
        assert _wait_until(lambda: _batching(c)["cancelled_jobs"] == before["cancelled_jobs"] + 1, 30)
        time.sleep(1.0)
        computed = _batching(c)["sentences"] - before["sentences"]
        assert computed < n_units / 2, f"{computed} of the {n_units} units were computed for a client that had left"
        assert c.post("/v1/classify", json={"sentences": SENTENCES[:1]}).status_code == 200
    assert "Traceback" not in default_server.output()


def test_with_two_workers_one_killed_leaves_the_other_answering_while_it_restarts(default_server):
    pids = default_server.worker_pids()
    assert len(pids) == min(os.cpu_count() or 1, 4)  # the default: one per core, at most 4
    if len(pids) < 2:
        pytest.skip("one core: the default is one worker")
    with httpx.Client(base_url=default_server.base, timeout=60) as c:
        restarts = _health(c)[1]["worker_restarts"]
        os.kill(pids[0], signal.SIGKILL)
        assert _wait_until(lambda: _health(c)[1].get("workers_up") == len(pids) - 1, 5), (
            "the dead worker was still counted"
        )
        for _ in range(5):  # the other worker answers: no 503 while one is down
            assert c.post("/v1/classify", json={"sentences": SENTENCES[:2] * 8}).status_code == 200
        assert _wait_until(lambda: _health(c)[1].get("workers_up") == len(pids), 120)
        assert _health(c)[1]["worker_restarts"] == restarts + 1 and pids[0] not in default_server.worker_pids()


@pytest.fixture(scope="module")
def fault_server():
    """A server with one worker and short limits: a model call may take 3 s, a body 1 s."""
    with server_process("--model-timeout-s", "3", "--body-timeout-s", "1", "--workers", "1") as srv:
        yield srv


def _health(c: httpx.Client) -> tuple[int, dict]:
    r = c.get("/healthz")
    return r.status_code, r.json()


def _back_to_health(c: httpx.Client) -> bool:
    return _wait_until(lambda: c.get("/healthz").status_code == 200, 120, step=0.2)


def test_a_stopped_worker_gives_503_within_the_timeout_then_is_restarted(fault_server):
    with httpx.Client(base_url=fault_server.base, timeout=60) as c:
        restarts = _health(c)[1]["worker_restarts"]
        pid = fault_server.worker_pid()
        os.kill(pid, signal.SIGSTOP)
        try:
            assert _wait_until(lambda: _health(c)[0] == 503, 5), (
                "/healthz said ok with the worker stopped"
            )  # once the signal lands
            status, body = _health(c)
            assert status == 503 and body["error_type"] == "model_unavailable" and "stopped" in body["error"]
            t0 = time.perf_counter()
            r = c.post("/v1/classify", json={"sentences": SENTENCES[:1]})
            waited = time.perf_counter() - t0
            assert r.status_code == 503 and r.json()["error_type"] == "model_unavailable", r.text
            assert 2.5 < waited < 3 + 4, waited  # the 3 s model timeout, then the answer
            assert r.headers["retry-after"]
        finally:
            os.kill(pid, signal.SIGCONT)  # a no-op once the worker has been killed
        assert _back_to_health(c), "the worker was not restarted"
        status, body = _health(c)
        assert body["worker_restarts"] == restarts + 1 and fault_server.worker_pid() != pid
        assert c.post("/v1/classify", json={"sentences": SENTENCES[:1]}).status_code == 200


def test_calls_to_a_stopped_worker_fail_503_and_leave_no_never_retrieved_exception_in_the_log(fault_server):
    with httpx.Client(base_url=fault_server.base, timeout=60) as c:
        assert _back_to_health(c)
        pid = fault_server.worker_pid()
        os.kill(pid, signal.SIGSTOP)
        codes: list[int] = []
        try:

            def ask(text: str) -> None:
                with httpx.Client(base_url=fault_server.base, timeout=60) as own:
                    codes.append(own.post("/v1/classify", json={"sentences": [text]}).status_code)

            threads = [threading.Thread(target=ask, args=(f"第{i}项执法检查。",)) for i in range(6)]
            for t in threads:
                t.start()
                time.sleep(0.05)
            for t in threads:
                t.join(60)
        finally:
            try:
                os.kill(pid, signal.SIGCONT)
            except ProcessLookupError:  # killed at the model timeout, as it should be
                pass
        assert codes and set(codes) == {503}, codes
        assert _back_to_health(c)
    time.sleep(0.5)
    log = fault_server.output()
    assert "never retrieved" not in log and "Traceback" not in log, log[-3000:]


def test_a_stopped_worker_that_is_continued_serves_again_without_a_restart(fault_server):
    with httpx.Client(base_url=fault_server.base, timeout=60) as c:
        restarts = _health(c)[1]["worker_restarts"]
        pid = fault_server.worker_pid()
        os.kill(pid, signal.SIGSTOP)
        try:
            assert _wait_until(lambda: _health(c)[0] == 503, 5)
        finally:
            os.kill(pid, signal.SIGCONT)
        assert _back_to_health(c)
        assert c.post("/v1/classify", json={"sentences": SENTENCES[:1]}).status_code == 200
        assert _health(c)[1]["worker_restarts"] == restarts and fault_server.worker_pid() == pid


def test_healthz_is_503_while_a_killed_worker_restarts_and_requests_get_503_not_500(fault_server):
    answers: list = []
    stop = threading.Event()

    def keep_asking() -> None:  # requests in flight when the worker dies, and while it restarts
        with httpx.Client(base_url=fault_server.base, timeout=60) as c:
            while not stop.is_set():
                try:
                    r = c.post("/v1/classify", json={"sentences": SENTENCES[:2] * 32})
                    answers.append((r.status_code, r.json()))
                except httpx.HTTPError as exc:  # a dropped connection
                    answers.append((None, repr(exc)))

    with httpx.Client(base_url=fault_server.base, timeout=60) as c:
        restarts = _health(c)[1]["worker_restarts"]
        pid = fault_server.worker_pid()
        asker = threading.Thread(target=keep_asking)
        asker.start()
        try:
            assert _wait_until(lambda: len(answers) >= 2, 60)
            os.kill(pid, signal.SIGKILL)
            assert _wait_until(lambda: c.get("/healthz").status_code == 503, 5), (
                "/healthz still said ok with the worker dead"
            )
            assert _back_to_health(c), "the worker was not restarted"
            n = len(answers)
            assert _wait_until(lambda: len(answers) > n + 1, 60)
        finally:
            stop.set()
            asker.join(60)
        assert _health(c)[1]["worker_restarts"] == restarts + 1
    unavailable = [body for status, body in answers if status == 503]
    assert unavailable, "no request saw the worker down"
    assert all(b["error_type"] == "model_unavailable" for b in unavailable), unavailable
    assert {status for status, _ in answers} <= {200, 503}, [a for a in answers if a[0] not in (200, 503)][:3]
    assert answers[-1][0] == 200


def test_lying_content_lengths_get_408_and_leave_no_traceback(fault_server):
    socks = []
    try:
        for _ in range(50):  # many at once: each holds a connection only until the body timeout
            sock = socket.create_connection(("127.0.0.1", fault_server.port), timeout=15)
            sock.sendall(
                b"POST /v1/classify HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                b"Content-Length: 1000\r\n\r\n{\"sentences\": [\""
            )
            socks.append(sock)
        t0 = time.perf_counter()
        for sock in socks:
            status, body = _read_response(sock, timeout=15)
            assert status == 408 and body["error_type"] == "request_timeout" and "1000" in body["error"], body
        assert time.perf_counter() - t0 < 10
    finally:
        for sock in socks:
            sock.close()
    for _ in range(5):  # clients that leave in the middle of their body
        with socket.create_connection(("127.0.0.1", fault_server.port), timeout=10) as sock:
            sock.sendall(b"POST /v1/classify HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\n{\"sente")
    time.sleep(0.5)
    with httpx.Client(base_url=fault_server.base, timeout=30) as c:
        assert c.post("/v1/classify", json={"sentences": SENTENCES[:1]}).status_code == 200
    assert "Traceback" not in fault_server.output()


def test_int8_on_the_command_line_reaches_the_worker_and_rounds_scores_to_4_decimals():
    with (
        running_server("--int8", "--workers", "1", model=DEFAULT_BERT_DIR) as base,
        httpx.Client(base_url=base, timeout=60) as c,
    ):
        assert c.get("/v1/model").json()["int8"] is True
        results = c.post("/v1/classify", json={"sentences": SENTENCES[:2]}).json()["results"]
    scores = [v for r in results for v in [*r["scores"].values(), r["problem_score"]]]
    assert all(round(v, 4) == v for v in scores) and any(v not in (0.0, 1.0) for v in scores)
