"""The HTTP API through FastAPI's test client and an in-process ASGI client."""

import asyncio
import json
import re
import threading
from collections.abc import Mapping

import httpx
import numpy as np
import pytest
from fastapi.testclient import TestClient
from samples import assert_error

from fazhi.model import default_model_dir
from fazhi.paths import DEFAULT_BERT_DIR
from fazhi.pipeline.results import SENTENCE_FIELDS, classify
from fazhi.pipeline.segment import segment
from fazhi.pipeline.tag import tag_text
from fazhi.serve.app import create_app
from fazhi.serve.settings import ServeSettings

SEED = "004_4aea94131e29c9d0.txt"
RESULT_KEYS = set(SENTENCE_FIELDS)
SENTENCES = [
    "全面推行行政执法公示制度、执法全过程记录制度、重大执法决定法制审核制度。",
    "全年共办理行政复议案件35件，行政机关负责人出庭应诉率达到100%。",
    "主动公开政府信息1200余条，及时回应社会关切。",
    "行政执法人员力量不足，执法水平有待提高。",
]


@pytest.fixture(scope="module")
def model(shipped_model):
    return shipped_model


def test_classify_returns_one_result_per_sentence_in_order_like_fazhi_classify(client, model):
    r = client.post("/v1/classify", json={"sentences": SENTENCES})
    assert r.status_code == 200
    results = r.json()["results"]
    expected = classify(model, SENTENCES)
    assert [res["text"] for res in results] == SENTENCES
    for got, exp in zip(results, expected, strict=True):
        assert set(got) == RESULT_KEYS and got["truncated"] is False
        assert {k: got[k] for k in exp} == exp
    assert r.json()["model"] == model.name


def test_a_sentence_may_carry_its_context_as_fazhi_tag_gives_it(client, model):
    context = "某区2023年政府信息公开工作年度报告 › 三、收到和处理政府信息公开申请情况"
    r = client.post("/v1/classify", json={"sentences": [{"text": "无法提供 26件", "context": context}, SENTENCES[0]]})
    assert r.status_code == 200, r.text
    got = r.json()["results"]
    assert got[0]["context"] == context and got[1]["context"] == ""
    assert got == classify(model, ["无法提供 26件", SENTENCES[0]], [context, ""])
    bad = client.post("/v1/classify", json={"sentences": [{"text": "x", "context": 3}]})
    assert_error(bad, 422, "validation_error", "context")


def test_empty_list_gives_empty_results(client):
    r = client.post("/v1/classify", json={"sentences": []})
    assert r.status_code == 200 and r.json()["results"] == []


@pytest.mark.parametrize("blank", ["", "   \n\t\u3000", "\x1f", "\ufeff \x85"])
def test_a_blank_sentence_is_422_invalid_text_naming_its_place(client, blank):
    r = client.post("/v1/classify", json={"sentences": [SENTENCES[1], blank]})
    assert_error(r, 422, "invalid_text", "sentences.1", "not a space")
    assert "function-" not in r.json()["error"] and "_non_blank" not in r.json()["error"]
    r = client.post("/v1/classify", json={"sentences": [{"text": blank, "context": "x"}]})
    assert_error(r, 422, "invalid_text", "sentences.0.text")


def test_the_schema_pattern_of_a_sentence_and_the_validator_agree_on_every_space_like_character(client):
    # schemathesis found "\x1f": blank to Python, not white space to the schema's ECMA-262 \S, so a schema-valid
    # request was refused. Every character that either side counts as a space is checked both ways.
    schema = client.get("/openapi.json").json()["components"]["schemas"]
    pattern = re.compile(schema["SentenceIn"]["properties"]["text"]["pattern"])
    ecma_space = "\t\n\v\f\r \u00a0\u1680\u2028\u2029\u202f\u205f\u3000\ufeff" + "".join(
        chr(c) for c in range(0x2000, 0x200B)
    )
    candidates = {chr(c) for c in range(0x3100) if chr(c).isspace()} | set(ecma_space) | {"a", "。", "\x00", "\u180e"}
    for c in sorted(candidates):
        schema_valid = pattern.search(c) is not None
        accepted = client.post("/v1/classify", json={"sentences": [c]}).status_code == 200
        assert schema_valid == accepted, f"U+{ord(c):04X}: schema-valid {schema_valid}, accepted {accepted}"


def test_more_sentences_than_the_limit_is_422_naming_the_limit(client):
    r = client.post("/v1/classify", json={"sentences": ["执法。"] * 257})
    assert_error(r, 422, "too_many_sentences", "257", "256")
    assert client.post("/v1/classify", json={"sentences": ["执法。"] * 256}).status_code == 200


@pytest.mark.parametrize(
    "body, error_type, words",
    [
        (b"{not json", "invalid_json", ["not valid JSON"]),
        (b'{"sentences": ["a"', "invalid_json", ["not valid JSON"]),
        (b"\xff\xfe\x00garbage", "invalid_json", ["not valid JSON"]),
        (b"[" * 50000 + b"]" * 50000, "invalid_json", ["nested too deeply"]),
        (b"", "validation_error", ["empty"]),
        (b"[]", "validation_error", ["expected a JSON object", "array"]),
        (b'"sentences"', "validation_error", ["expected a JSON object", "string"]),
        (b"{}", "validation_error", ["missing field 'sentences'"]),
        (b'{"sentence": ["a"]}', "validation_error", ["missing field 'sentences'"]),
        (b'{"sentences": "one sentence"}', "validation_error", ["sentences", "valid list", "string"]),
        (b'{"sentences": null}', "validation_error", ["sentences", "null"]),
        (b'{"sentences": ["ok", 3, null, ["x"]]}', "validation_error", ["sentences.1", "sentences.2", "sentences.3"]),
        (b'{"sentences": ["\\ud800"]}', "invalid_text", ["sentences.0", "surrogate"]),
    ],
)
def test_bad_classify_bodies_are_422_saying_what_is_wrong(client, body, error_type, words):
    r = client.post("/v1/classify", content=body, headers={"content-type": "application/json"})
    assert_error(r, 422, error_type, *words)


@pytest.mark.parametrize(
    "body, words",
    [
        ({}, ["missing field 'text'"]),
        ({"text": 5}, ["text", "valid string", "number"]),
        ({"text": ["a"]}, ["text", "array"]),
        ({"text": "a", "doc": 1}, ["doc"]),
    ],
)
def test_bad_analyze_bodies_are_422(client, body, words):
    assert_error(client.post("/v1/analyze", json=body), 422, "validation_error", *words)


def test_body_over_the_size_limit_is_413(client):
    big = json.dumps({"sentences": ["执法" * 1000] * 400}, ensure_ascii=False).encode("utf-8")
    assert len(big) > 2 * 1024 * 1024
    assert_error(
        client.post("/v1/classify", content=big, headers={"content-type": "application/json"}),
        413,
        "payload_too_large",
        "limit",
        str(2 * 1024 * 1024),
    )


def test_unknown_routes_and_methods_have_the_error_shape(client):
    assert_error(client.get("/v1/nothing"), 404, "not_found", "/v1/nothing")
    assert_error(client.get("/v1/classify"), 405, "method_not_allowed", "GET")


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", None]
)
def test_a_body_that_is_not_json_is_415_before_any_work(client, content_type):
    headers = {"content-type": content_type} if content_type else {}
    body = json.dumps({"sentences": SENTENCES[:1]})
    for path in ("/v1/classify", "/v1/compare"):
        r = client.post(path, content=body, headers=headers)
        assert_error(r, 415, "unsupported_media_type", "application/json")
    if content_type and content_type.startswith("multipart"):
        return  # analyze reads uploads
    assert_error(client.post("/v1/analyze", content=body, headers=headers), 415, "unsupported_media_type")


def test_json_with_a_charset_is_read(client):
    r = client.post(
        "/v1/classify",
        content=json.dumps({"sentences": SENTENCES[:1]}),
        headers={"content-type": "application/json; charset=utf-8"},
    )
    assert r.status_code == 200 and len(r.json()["results"]) == 1


class TruncatingModel:
    """The real model behind a length limit, as a BERT with max_chars reads only the first max_chars characters."""

    def __init__(self, model, max_chars):
        self.model, self.max_chars = model, max_chars
        self.name, self.labels, self.threshold = model.name, model.labels, model.threshold
        self.reads_context = True  # it passes contexts on to the model
        self.int8 = model.int8

    def predict(self, texts, contexts=None):
        return self.model.predict([t[: self.max_chars] for t in texts], contexts)


def test_overlong_sentence_is_truncated_to_the_model_length_and_says_so(model):
    limited = TruncatingModel(model, 20)
    long_sentence = SENTENCES[0] * 3
    with TestClient(create_app(ServeSettings(), model=limited), base_url="http://127.0.0.1") as c:
        res = c.post("/v1/classify", json={"sentences": [long_sentence, SENTENCES[2][:20]]}).json()["results"]
    assert res[0]["truncated"] is True and res[0]["text"] == long_sentence
    assert res[1]["truncated"] is False
    head = classify(model, [long_sentence[:20]])[0]
    assert res[0]["scores"] == head["scores"]


def test_the_shipped_bert_flags_sentences_past_its_length_limit():
    from fazhi.model import load_model

    bert = load_model(DEFAULT_BERT_DIR)
    assert bert.max_chars is not None
    with TestClient(create_app(ServeSettings(), model=bert), base_url="http://127.0.0.1") as c:
        res = c.post("/v1/classify", json={"sentences": ["执" * (bert.max_chars + 1), "执" * bert.max_chars]}).json()[
            "results"
        ]
    assert [r["truncated"] for r in res] == [True, False]


def test_a_model_without_a_length_limit_never_flags_truncation(client, model):
    if model.max_chars is not None:
        pytest.skip(f"the default model ({model.name}) has a length limit; the test above covers it")
    res = client.post("/v1/classify", json={"sentences": ["执" * 5000]}).json()["results"]
    assert res[0]["truncated"] is False


def test_analyze_segments_tags_and_summarises_a_report(client, model, seed_texts):
    text = seed_texts[SEED]
    r = client.post("/v1/analyze", json={"text": text, "doc": SEED})
    assert r.status_code == 200
    body = r.json()
    units = segment(text)
    assert len(body["units"]) == len(units)
    for got, u in zip(body["units"], units, strict=True):
        assert (got["index"], got["start"], got["end"], got["heading"], got["is_heading"], got["text"]) == (
            u.index,
            u.start,
            u.end,
            u.heading,
            u.is_heading,
            u.text,
        )
        assert "doc" not in got  # once per response, not per unit
        assert text[got["start"] : got["end"]] == got["text"]
    expected = tag_text(SEED, text, model)
    # The same rows as `fazhi tag`, contexts included. The server cuts a report into calls of at most
    # max_batch units, so padding differs from tag's calls and float32 scores may move in the last decimal.
    assert [_without_scores(u) for u in body["units"]] == [_without_scores(u) for u in expected.units]
    for got, want in zip(body["units"], expected.units, strict=True):
        assert got["scores"].keys() == want["scores"].keys()
        assert np.allclose(
            [got["problem_score"], *got["scores"].values()],
            [want["problem_score"], *want["scores"].values()],
            atol=1e-5,
        )
    assert body["summary"]["per_category"] == expected.summary["per_category"]
    assert body["summary"]["areas_not_mentioned"] == expected.summary["areas_not_mentioned"]
    assert [p["text"] for p in body["summary"]["problems"]] == [p["text"] for p in expected.summary["problems"]]


def _without_scores(row: Mapping[str, object]) -> dict[str, object]:
    return {k: v for k, v in row.items() if k not in ("scores", "problem_score", "doc")}


def test_analyze_offsets_count_code_points_beyond_the_bmp(client):
    text = "𠀀𠀁测试。\n行政复议案件办理质量有待提高。"
    units = client.post("/v1/analyze", json={"text": text}).json()["units"]
    assert [text[u["start"] : u["end"]] for u in units] == [u["text"] for u in units]


def test_analyze_of_a_report_over_the_unit_limit_is_422_naming_the_limit(model):
    with TestClient(create_app(ServeSettings(max_units=20), model=model), base_url="http://127.0.0.1") as c:
        assert c.post("/v1/analyze", json={"text": "执法检查。" * 20}).status_code == 200
        assert_error(c.post("/v1/analyze", json={"text": "执法检查。" * 21}), 422, "too_many_units", "20", "max_units")
        assert c.get("/healthz").status_code == 200


@pytest.mark.parametrize("text", ["", "   \n\n  "])
def test_analyze_empty_report_gives_no_units(client, text):
    body = client.post("/v1/analyze", json={"text": text}).json()
    assert body["units"] == [] and body["summary"]["sentences"] == 0
    assert body["summary"]["areas_not_mentioned"] == ["decision", "enforcement", "dispute", "disclosure", "supervision"]


def test_model_endpoint_reports_name_labels_threshold_and_real_text_figures(client, model):
    info = client.get("/v1/model").json()
    assert info["name"] == model.name and info["labels"] == list(model.labels)
    assert info["threshold"] == model.threshold and info["max_chars"] == model.max_chars
    assert info["limits"]["max_sentences"] == 256 and info["limits"]["max_body_bytes"] == 2 * 1024 * 1024
    assert (
        info["limits"]["max_units"] == 5000
        and info["limits"]["model_timeout_s"] == 10
        and info["limits"]["body_timeout_s"] == 15
    )
    assert info["int8"] is False
    assert "path" not in info and str(default_model_dir()) not in json.dumps(info, ensure_ascii=False)
    # The shipped model carries its measured figures: a missing evaluation must fail here, not be skipped.
    figures = json.loads((default_model_dir() / "evaluation.json").read_text(encoding="utf-8"))
    real = figures["real"]["by document"]["all"]
    assert info["real"]["macro_f1"] == real["macro_f1"] and info["real"]["problem_f1"] == real["problem"]["f1"]
    assert info["real"]["units"] == real["n"] and len(info["real"]["ci"]["macro_f1"]) == 2
    for part, m in figures["test"].items():
        assert info["evaluation"]["test"][part]["macro_f1"] == m["macro_f1"]
    assert info["model_card"] == (default_model_dir() / "README.md").read_text(encoding="utf-8")


def test_an_int8_model_returns_scores_rounded_to_4_decimals_and_says_so():
    from fazhi.model import load_model
    from fazhi.pipeline.results import INT8_SCORE_DECIMALS, SCORE_DECIMALS

    # int8 is a BERT setting: the shipped BERT, whichever model is the default.
    answers = {}
    for quantize in (True, False):
        with TestClient(
            create_app(ServeSettings(), model=load_model(DEFAULT_BERT_DIR, quantize=quantize)),
            base_url="http://127.0.0.1",
        ) as c:
            assert c.get("/v1/model").json()["int8"] is quantize
            answers[quantize] = c.post("/v1/classify", json={"sentences": SENTENCES}).json()["results"]
    results, full = answers[True], answers[False]
    scores = [v for r in results for v in [*r["scores"].values(), r["problem_score"]]]
    assert all(round(v, INT8_SCORE_DECIMALS) == v for v in scores)
    full_scores = [v for r in full for v in [*r["scores"].values(), r["problem_score"]]]
    assert all(round(v, SCORE_DECIMALS) == v for v in full_scores)
    assert any(round(v, INT8_SCORE_DECIMALS) != v for v in full_scores)
    assert [r["category"] for r in results] == [r["category"] for r in full]


def test_health_and_offline_docs(client):
    assert client.get("/healthz").json()["status"] == "ok"
    docs = client.get("/docs")
    assert docs.status_code == 200 and "/static-offline-docs/swagger-ui-bundle.js" in docs.text
    assert "cdn" not in docs.text.lower()
    assert client.get("/static-offline-docs/swagger-ui-bundle.js").status_code == 200
    spec = client.get("/openapi.json").json()
    ref = spec["paths"]["/v1/classify"]["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert ref == "#/components/schemas/ClassifyRequest" and "sentences" in json.dumps(
        spec["components"]["schemas"]["ClassifyRequest"]
    )


def test_page_is_served_at_root(client):
    r = client.get("/")
    assert r.status_code == 200 and 'id="report"' in r.text and "/v1/analyze" in r.text


# --- batching and the event loop -------------------------------------------------------------------
class BlockingModel:
    """The real model whose predict waits until released, to observe the server while inference runs."""

    def __init__(self, model):
        self.model = model
        self.name, self.labels, self.threshold, self.max_chars = (
            model.name,
            model.labels,
            model.threshold,
            model.max_chars,
        )
        self.int8, self.reads_context = model.int8, model.reads_context
        self.reads_context = True  # it passes contexts on to the model
        self.int8 = model.int8
        self.entered, self.release = threading.Event(), threading.Event()
        self.calls: list[int] = []

    def predict(self, texts, contexts=None):
        self.calls.append(len(texts))
        self.entered.set()
        assert self.release.wait(30)
        return self.model.predict(texts, contexts)


async def _with_app(app, scenario):
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1", timeout=30
        ) as c:
            return await scenario(c)


def test_inference_runs_off_the_event_loop(model):
    slow = BlockingModel(model)
    app = create_app(ServeSettings(batch_wait_ms=0), model=slow)

    async def scenario(c):
        pending = asyncio.create_task(c.post("/v1/classify", json={"sentences": SENTENCES}))
        assert await asyncio.to_thread(slow.entered.wait, 10)
        health = await asyncio.wait_for(c.get("/healthz"), 10)  # answered while the model is busy
        assert health.status_code == 200 and not pending.done()
        slow.release.set()
        return await pending

    r = asyncio.run(_with_app(app, scenario))
    assert [x["text"] for x in r.json()["results"]] == SENTENCES


def test_concurrent_requests_share_model_calls_and_get_their_own_results(model):
    slow = BlockingModel(model)
    app = create_app(ServeSettings(batch_wait_ms=20, max_batch=64), model=slow)
    requests = [[SENTENCES[i % 4], SENTENCES[(i + 1) % 4]][: 1 + i % 2] for i in range(24)]

    async def scenario(c):
        first = asyncio.create_task(c.post("/v1/classify", json={"sentences": ["占位句子。"]}))
        assert await asyncio.to_thread(slow.entered.wait, 10)  # the model is busy: the others queue up
        tasks = [asyncio.create_task(c.post("/v1/classify", json={"sentences": r})) for r in requests]
        await asyncio.sleep(0.2)
        slow.release.set()
        await first
        return await asyncio.gather(*tasks), (await c.get("/healthz")).json()["batching"]

    responses, stats = asyncio.run(_with_app(app, scenario))
    # The 24 requests that queued while the model was busy went in far fewer model calls than requests.
    assert slow.calls[0] == 1 and max(slow.calls[1:]) > 1 and len(slow.calls) < 1 + len(requests)
    assert stats["jobs"] == 1 + len(requests) and stats["batches"] < stats["jobs"] and stats["largest_batch"] > 2
    for sentences, response in zip(requests, responses, strict=True):
        results = response.json()["results"]
        assert [x["text"] for x in results] == sentences
        expected = classify(model, sentences)
        assert [x["category"] for x in results] == [e["category"] for e in expected]
        assert np.allclose([x["problem_score"] for x in results], [e["problem_score"] for e in expected])


def test_a_model_call_past_the_timeout_gives_503_and_healthz_says_so_until_it_ends(model):
    slow = BlockingModel(model)
    app = create_app(ServeSettings(batch_wait_ms=0, model_timeout_s=0.5, inference="thread"), model=slow)

    async def scenario(c):
        r = await c.post("/v1/classify", json={"sentences": SENTENCES[:1]})
        assert_error(r, 503, "model_unavailable", "0.5 s")
        assert r.headers["retry-after"]
        health = await c.get("/healthz")
        assert_error(health, 503, "model_unavailable", "over the 0.5 s limit")
        slow.release.set()
        await asyncio.sleep(0.3)
        assert (await c.get("/healthz")).status_code == 200
        return await c.post("/v1/classify", json={"sentences": SENTENCES[:1]})

    try:
        r = asyncio.run(_with_app(app, scenario))
    finally:
        slow.release.set()
    assert r.status_code == 200 and r.json()["results"][0]["text"] == SENTENCES[0]


def test_settings_out_of_range_are_refused(model):
    for bad in (
        ServeSettings(max_sentences=0),
        ServeSettings(max_batch=0),
        ServeSettings(batch_wait_ms=-1),
        ServeSettings(max_body_bytes=10),
        ServeSettings(max_units=0),
        ServeSettings(model_timeout_s=0),
        ServeSettings(body_timeout_s=-1),
    ):
        with pytest.raises(ValueError):
            create_app(bad, model=model)
