"""The service's guards, in process: Host, security headers, media types, the OpenAPI document, uploads,
model faults, and what a response may hold."""

import asyncio
import gc
import io
import json
import logging
import os
import tempfile
import threading
from pathlib import Path

import docx
import httpx
import numpy as np
import pytest
from fastapi.testclient import TestClient
from sample_formats import save_report_as
from samples import assert_error

from fazhi.model.prediction import Scores
from fazhi.reading import read_report_bytes
from fazhi.serve.app import create_app
from fazhi.serve.settings import ServeSettings

SENTENCES = ["全面推行行政执法公示制度。", "行政执法人员力量不足，执法水平有待提高。"]
REPORT = (
    "某区2023年法治政府建设年度报告\n一、主要工作\n全面推行行政执法公示制度。\n二、存在的问题\n"
    "行政执法人员力量不足，执法水平有待提高。\n"
)


# --- Host and headers --------------------------------------------------------------------------------
@pytest.mark.parametrize("host", ["evil.example", "evil.example:8000", "127.0.0.1.evil.example", ""])
def test_a_host_the_server_does_not_answer_to_is_400_before_any_work(client, host):
    r = client.post("/v1/classify", json={"sentences": SENTENCES}, headers={"host": host})
    assert_error(r, 400, "host_not_allowed", "--allowed-hosts")


@pytest.mark.parametrize("host", ["127.0.0.1:8000", "localhost", "LOCALHOST:80", "[::1]:8000"])
def test_the_bound_address_and_localhost_are_answered_on_any_port(client, host):
    assert client.get("/healthz", headers={"host": host}).status_code == 200


def test_allowed_hosts_names_the_hosts_and_a_star_allows_any(shipped_model):
    settings = ServeSettings(allowed_hosts="fazhi.internal, reports.example")
    with TestClient(create_app(settings, model=shipped_model), base_url="http://fazhi.internal") as c:
        assert c.get("/healthz").status_code == 200
        assert c.get("/healthz", headers={"host": "reports.example:8080"}).status_code == 200
        assert_error(c.get("/healthz", headers={"host": "localhost"}), 400, "host_not_allowed")
    with TestClient(
        create_app(ServeSettings(allowed_hosts="*"), model=shipped_model), base_url="http://anything.example"
    ) as c:
        assert c.get("/healthz").status_code == 200


def test_a_trailing_slash_is_404_never_a_redirect_that_reflects_host(client):
    r = client.get("/v1/model/", follow_redirects=False)
    assert_error(r, 404, "not_found")
    assert "location" not in r.headers


@pytest.mark.parametrize(
    "path", ["/", "/compare", "/static/common.js", "/healthz", "/v1/model", "/v1/nothing", "/docs"]
)
def test_every_response_carries_the_security_headers(client, path):
    r = client.get(path)
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"
    assert "default-src 'self'" in r.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]


def test_both_pages_load_their_shared_script_from_the_service_as_javascript(client):
    """/static/common.js (the pages' shared words and helpers): a script of the service's own, which the CSP's
    script-src allows and nosniff lets run only with a JavaScript type."""
    script = client.get("/static/common.js")
    assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
    assert "function t(key, params)" in script.text and "wrong_type" in script.text
    assert "script-src 'self'" in script.headers["content-security-policy"]
    for page in ("/", "/compare"):
        html = client.get(page).text
        assert '<script src="/static/common.js"></script>' in html
        assert "function lang()" not in html and "const AREA_NAMES" not in html  # written once, in the script


def test_options_and_other_methods_are_405_with_every_allowed_method(client):
    r = client.options("/healthz")
    assert_error(r, 405, "method_not_allowed", "GET, HEAD")
    assert r.headers["allow"] == "GET, HEAD"
    r = client.delete("/v1/classify")
    assert_error(r, 405, "method_not_allowed")
    assert r.headers["allow"] == "POST"


# --- the OpenAPI document ------------------------------------------------------------------------------
def _refs(node):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref":
                yield v
            else:
                yield from _refs(v)
    elif isinstance(node, list):
        for v in node:
            yield from _refs(v)


def test_every_reference_of_the_openapi_document_resolves(client):
    spec = client.get("/openapi.json").json()
    refs = set(_refs(spec))
    assert "#/components/schemas/SentenceIn" in refs and "#/components/schemas/ReportIn" in refs
    for ref in refs:
        assert ref.startswith("#/components/schemas/"), ref
        assert ref.rsplit("/", 1)[1] in spec["components"]["schemas"], ref
    classify = spec["components"]["schemas"]["ClassifyRequest"]["properties"]["sentences"]
    assert classify["maxItems"] == ServeSettings().max_sentences
    analyze = spec["paths"]["/v1/analyze"]["post"]["requestBody"]["content"]
    assert set(analyze) == {"application/json", "multipart/form-data"}


# --- bodies ------------------------------------------------------------------------------------------
def test_validation_messages_name_the_field_and_never_our_classes(client):
    for body in ({"sentences": [{"txt": "x"}]}, {"sentences": [3]}, {"sentences": [{"text": "x", "context": 1}]}):
        r = client.post("/v1/classify", json=body)
        assert r.status_code == 422 and "sentences.0" in r.json()["error"], r.text
        assert "SentenceIn" not in r.text and "instance of" not in r.text
    r = client.post("/v1/compare", json={"old": "text", "new": {"text": "x"}})
    assert r.status_code == 422 and "old" in r.json()["error"] and "ReportIn" not in r.text


def test_a_doc_name_is_bounded_and_given_once_per_response(client):
    doc = "名" * 200
    r = client.post("/v1/analyze", json={"text": REPORT * 20, "doc": doc})
    assert r.status_code == 200
    assert r.text.count(doc) == 2  # the response's doc and the summary's
    assert all("doc" not in u for u in r.json()["units"])
    assert_error(client.post("/v1/analyze", json={"text": REPORT, "doc": "名" * 201}), 422, "validation_error", "doc")
    c = client.post(
        "/v1/compare", json={"old": {"text": REPORT * 10, "doc": doc}, "new": {"text": REPORT, "doc": "新"}}
    )
    assert c.status_code == 200 and all("doc" not in u for u in c.json()["old"]["units"])


def _docx_bytes(text: str) -> bytes:
    d = docx.Document()
    for line in text.splitlines():
        d.add_paragraph(line)
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


def _saved_bytes(text: str, fmt: str, suffix: str) -> bytes:
    """The report saved as fmt by the formats the reading tests use (a text-layer PDF, a saved web page)."""
    with tempfile.TemporaryDirectory() as d:
        return save_report_as(text, Path(d) / f"report{suffix}", fmt).read_bytes()


@pytest.mark.parametrize(
    "name, data",
    [
        ("report.txt", REPORT.encode("utf-8")),
        ("report.txt", REPORT.encode("gbk")),
        ("report.docx", _docx_bytes(REPORT)),
        ("report.pdf", _saved_bytes(REPORT, "pdf", ".pdf")),
        ("report.html", _saved_bytes(REPORT, "html", ".html")),
    ],
)
def test_analyze_reads_an_uploaded_file_as_fazhi_tag_reads_it(client, name, data):
    r = client.post("/v1/analyze", files={"file": (name, data, "application/octet-stream")})
    assert r.status_code == 200, r.text
    body = r.json()
    text = read_report_bytes(data, name)
    assert body["doc"] == name and body["text"] == text
    as_json = client.post("/v1/analyze", json={"text": text, "doc": name}).json()
    assert body["units"] == as_json["units"] and body["summary"] == as_json["summary"]
    assert "行政执法人员力量不足，执法水平有待提高。" in [u["text"] for u in body["units"] if u["problem"]]


@pytest.mark.parametrize(
    "name, data",
    [
        ("某区2022年报告.docx", _docx_bytes(REPORT)),
        ("某区2023年报告.pdf", _saved_bytes(REPORT, "pdf", ".pdf")),
        ("report.txt", REPORT.encode("gbk")),
    ],
)
def test_read_gives_an_uploaded_file_s_text_as_fazhi_tag_reads_it(client, name, data):
    """/v1/read (the compare page's file opener): the text /v1/analyze would tag, and nothing tagged."""
    r = client.post("/v1/read", files={"file": (name, data, "application/octet-stream")})
    assert r.status_code == 200, r.text
    assert r.json() == {"doc": name, "text": read_report_bytes(data, name)}
    analyzed = client.post("/v1/analyze", files={"file": (name, data, "application/octet-stream")}).json()
    assert analyzed["text"] == r.json()["text"]


def test_read_refuses_what_is_not_a_readable_upload_in_the_error_shape(client, shipped_model):
    assert_error(
        client.post("/v1/read", files={"file": ("a.docx", b"PK\x03\x04 not a zip", "application/octet-stream")}),
        422,
        "unreadable_file",
        "a.docx",
    )
    assert_error(
        client.post("/v1/read", files={"file": ("a.pdf", b"%PDF-1.4 no", "application/pdf")}), 422, "unreadable_file"
    )
    assert_error(
        client.post("/v1/read", files={"report": ("a.txt", b"x", "text/plain")}), 422, "validation_error", "'file'"
    )
    assert_error(client.post("/v1/read", json={"text": REPORT}), 415, "unsupported_media_type", "multipart/form-data")
    spec = client.get("/openapi.json").json()["paths"]["/v1/read"]["post"]
    assert set(spec["requestBody"]["content"]) == {"multipart/form-data"}
    assert spec["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ReadResponse"
    }
    with TestClient(
        create_app(ServeSettings(max_body_bytes=4096), model=shipped_model), base_url="http://127.0.0.1"
    ) as c:
        r = c.post("/v1/read", files={"file": ("a.docx", _docx_bytes(REPORT * 40), "application/octet-stream")})
        assert_error(r, 413, "payload_too_large", "4096")


def test_an_upload_is_named_by_its_file_and_a_bad_upload_says_what_is_wrong(client):
    r = client.post("/v1/analyze", files={"file": ("某区2023.txt", REPORT.encode(), "text/plain")})
    assert r.status_code == 200 and r.json()["doc"] == "某区2023.txt"
    assert_error(
        client.post("/v1/analyze", files={"file": ("a.txt", REPORT.encode(), "text/plain")}, data={"doc": "x"}),
        422,
        "validation_error",
        "unknown field 'doc'",
    )
    assert_error(
        client.post("/v1/analyze", files={"report": ("a.txt", b"x", "text/plain")}),
        422,
        "validation_error",
        "missing field 'file'",
        "'report'",
    )
    assert_error(
        client.post("/v1/analyze", files={"file": ("a.docx", b"PK\x03\x04 not a zip", "application/octet-stream")}),
        422,
        "unreadable_file",
        "a.docx",
    )
    assert_error(
        client.post("/v1/analyze", files={"file": ("a.txt", b"", "text/plain")}), 422, "unreadable_file", "empty"
    )


def test_an_upload_over_the_body_limit_is_413(shipped_model):
    with TestClient(
        create_app(ServeSettings(max_body_bytes=4096), model=shipped_model), base_url="http://127.0.0.1"
    ) as c:
        r = c.post("/v1/analyze", files={"file": ("a.txt", REPORT.encode() * 100, "text/plain")})
        assert_error(r, 413, "payload_too_large", "4096")


# --- what the service says about itself ----------------------------------------------------------------
def test_healthz_counters_are_integers(client):
    client.post("/v1/classify", json={"sentences": SENTENCES})
    batching = client.get("/healthz").json()["batching"]
    for key, value in batching.items():
        if key != "mean_batch":
            assert type(value) is int, (key, value)
    assert batching["sentences"] >= 2


def test_model_endpoint_says_context_true_exactly_when_context_changes_scores(client, shipped_model):
    a, b = (
        shipped_model.predict(["无法提供26件。"], [c])
        for c in ("", "某区2023年政府信息公开工作年度报告 › 三、存在的问题")
    )
    changes = not np.allclose(a.category_probs, b.category_probs) or not np.allclose(a.problem_probs, b.problem_probs)
    info = client.get("/v1/model").json()
    assert info["context"] is changes
    assert info["kind"] in ("baseline", "bert", "cascade", "hybrid") and info["composition"]


# --- a model that goes wrong --------------------------------------------------------------------------
class NaNModel:
    """The real model whose scores turn to NaN once broken is set: a model damaged at run time."""

    def __init__(self, model):
        self.model = model
        self.name, self.labels, self.threshold, self.max_chars = (
            model.name,
            model.labels,
            model.threshold,
            model.max_chars,
        )
        self.int8, self.reads_context = model.int8, model.reads_context
        self.reads_context = True
        self.broken = False

    def predict(self, texts, contexts=None):
        s = self.model.predict(texts, contexts)
        if not self.broken:
            return s
        return Scores(
            s.labels, np.full_like(s.category_probs, np.nan), np.full_like(s.problem_probs, np.nan), s.threshold
        )


def test_nan_scores_are_a_500_model_error_and_healthz_503_never_a_label(shipped_model):
    model = NaNModel(shipped_model)
    with TestClient(create_app(ServeSettings(), model=model), base_url="http://127.0.0.1") as c:
        assert c.post("/v1/classify", json={"sentences": SENTENCES}).status_code == 200
        model.broken = True
        for path, body in (("/v1/classify", {"sentences": SENTENCES}), ("/v1/analyze", {"text": REPORT})):
            r = c.post(path, json=body)
            assert_error(r, 500, "model_error", "not finite")
            json.loads(r.text, parse_constant=lambda x: pytest.fail(f"JSON holds {x}"))
        assert_error(c.get("/healthz"), 503, "model_unavailable", "not probabilities")
        model.broken = False
        assert c.post("/v1/classify", json={"sentences": SENTENCES}).status_code == 200
        assert c.get("/healthz").status_code == 200


class StuckModel:
    """The real model whose calls wait until released (past the model timeout)."""

    def __init__(self, model):
        self.model = model
        self.name, self.labels, self.threshold, self.max_chars = (
            model.name,
            model.labels,
            model.threshold,
            model.max_chars,
        )
        self.int8, self.reads_context = model.int8, model.reads_context
        self.reads_context = True
        self.release = threading.Event()

    def predict(self, *_args, **_kwargs):
        self.release.wait(30)
        raise RuntimeError("the stuck call ends with an error nobody waits for")


def test_calls_past_the_timeout_and_clients_that_leave_log_no_never_retrieved_exception(shipped_model, caplog):
    model = StuckModel(shipped_model)
    app = create_app(ServeSettings(model_timeout_s=0.3, batch_wait_ms=0), model=model)

    async def scenario():
        async with app.router.lifespan_context(app):
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1", timeout=30
            ) as c:
                first = asyncio.create_task(c.post("/v1/classify", json={"sentences": SENTENCES}))
                await asyncio.sleep(0.1)
                # While the stuck call holds the only thread, later calls wait for it a moment and fail.
                later = [await c.post("/v1/classify", json={"sentences": [s]}) for s in SENTENCES * 2]
                assert (await first).status_code == 503 and {r.status_code for r in later} == {503}
                model.release.set()
                await asyncio.sleep(0.5)
        gc.collect()
        await asyncio.sleep(0.1)

    with caplog.at_level(logging.ERROR, logger="asyncio"):
        asyncio.run(scenario())
        gc.collect()
    assert not [r for r in caplog.records if "never retrieved" in r.getMessage()], [
        r.getMessage() for r in caplog.records
    ]


def test_an_app_that_is_built_and_never_run_starts_no_process():
    def children() -> set[int]:
        me = str(os.getpid())
        found = set()
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[1] == me and fields[0] != "Z":
                found.add(int(stat.parent.name))
        return found

    before = children()
    app = create_app(ServeSettings(workers=1))
    assert app.state.service.pool is None and children() == before


def test_model_endpoint_limits_keep_counts_as_integers(client):
    limits = client.get("/v1/model").json()["limits"]
    assert type(limits["max_sentences"]) is int and type(limits["max_connections"]) is int
    assert limits["model_timeout_s"] == ServeSettings().model_timeout_s
