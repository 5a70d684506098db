"""`fazhi serve`: the HTTP API and the page at `/`.

Endpoints
- ``POST /v1/classify`` ``{"sentences": [str | {"text", "context"}, ...]}`` →
  ``{"model", "results": [...]}``, one result per sentence in order, with the
  fields of ``fazhi classify``. A sentence may carry its context (the report
  title and headings above it), as ``fazhi tag`` gives the model.
- ``POST /v1/analyze`` ``{"text": str, "doc"?: str}`` → the report segmented,
  every unit tagged with its offsets (code points into ``text``) and heading,
  plus the per-report summary of ``fazhi tag``.
- ``GET /healthz`` (also HEAD): 200 with batching statistics while the model
  answers, 503 ``model_unavailable`` while its worker is down, restarting or
  stopped, or a call has passed the time limit; ``GET /v1/model`` (name,
  labels, threshold, int8, limits, test figures from evaluation.json and the
  model card README.md when present); OpenAPI docs at ``/docs`` (served
  locally, no CDN).

Every error has the body ``{"error": str, "error_type": str}``: 400 for a
malformed request (uvicorn's own 400s too, through json_400_protocol); 408 for
a body not received within ``body_timeout_s`` (a slow client, or a
Content-Length larger than what is sent); 413 for a body over the size limit
(refused from its Content-Length, or as soon as a chunked body passes the
limit, never read whole); 422 for invalid JSON, wrong types, missing fields,
more than ``max_sentences`` sentences or a report of more than ``max_units``
units; 503 ``model_unavailable`` when a model call passes ``model_timeout_s``
or the worker is down or restarting (with Retry-After); 404/405 for unknown
routes and methods.

Concurrent requests share model calls through serve.batching.MicroBatcher,
which cuts big jobs into calls of at most ``max_batch`` sentences shared
fairly with everyone else's; the work of a client that disconnects is
cancelled. Inference and segmentation run off the event loop, and by default
the model runs in supervised worker processes (serve.worker: one per core, up
to 4) so that it never holds this process's GIL while requests are parsed and
answered, calls run side by side, and a worker that dies or stops answering
is restarted.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
from collections.abc import Awaitable, Sequence
from contextlib import asynccontextmanager
from dataclasses import asdict
from itertools import islice
from pathlib import Path
from typing import Any, TypeVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, StrictStr, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from fazhi.aggregate import summarize
from fazhi.context import unit_contexts
from fazhi.model import ModelLoadError, Predictor, default_model_dir, load_model
from fazhi.results import classify as classify_sentences
from fazhi.results import unit_results
from fazhi.segment import Unit, iter_units
from fazhi.serve.batching import MicroBatcher, ModelUnavailable
from fazhi.serve.settings import ServeSettings
from fazhi.serve.worker import ModelPool

__all__ = ["ServeSettings", "create_app", "run_server", "ApiError", "segment_report", "unless_client_leaves"]

log = logging.getLogger("fazhi.serve")
STATIC_DIR = Path(__file__).resolve().parent / "static"
# Text this long or shorter is segmented on the event loop; longer text in a thread.
_INLINE_SEGMENT_CHARS = 2000
# Workers by default: one per core, but no more than this many (each holds its own copy of torch and the model).
_DEFAULT_MAX_WORKERS = 4
# A restarted worker loads its model in a few seconds.
_RETRY_AFTER_S = "5"
# The settings /v1/model shows as the service's limits.
LIMITS = ("max_body_bytes", "max_sentences", "max_units", "max_batch", "batch_wait_ms", "model_timeout_s", "body_timeout_s")
T = TypeVar("T")


# --- errors -----------------------------------------------------------------------
class ApiError(Exception):
    def __init__(self, status: int, error_type: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.error_type = error_type
        self.message = message
        self.headers = headers


def error_body(message: str, error_type: str) -> dict:
    return {"error": message, "error_type": error_type}


def _error_response(status: int, message: str, error_type: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse(error_body(message, error_type), status_code=status, headers=headers)


_STATUS_TYPES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    408: "request_timeout",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
}


# --- reading the body ------------------------------------------------------------------
class _ClientGone(Exception):
    """The client closed the connection before its request was answered."""


class BodyReader:
    """ASGI middleware: read a request body whole, within a size and a time limit, before the app sees it.

    A declared Content-Length over max_bytes is refused (413) before any of the
    body is read; a chunked body is read only until it passes the limit. A body
    not received within timeout_s (a slow client, or a Content-Length larger
    than what is sent) gets 408 and the connection is closed. A client that
    leaves while sending is let go quietly: there is no one to answer. The app
    then receives the body as one message; its next receive() waits for the
    client to disconnect (or the response to complete), which routes use to
    cancel the work of a client that has gone away.
    """

    def __init__(self, app, max_bytes: int, timeout_s: float) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout = timeout_s

    @staticmethod
    async def _refuse(send, status: int, message: str, error_type: str) -> None:
        body = json.dumps(error_body(message, error_type), ensure_ascii=False).encode("utf-8")
        await send({
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), (b"connection", b"close")],
        })
        await send({"type": "http.response.body", "body": body})

    async def _read(self, receive) -> bytes:
        chunks = []
        total = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise _ClientGone
            total += len(message.get("body", b""))
            if total > self.max_bytes:
                raise ApiError(413, "payload_too_large", f"request body too large: more than {self.max_bytes} bytes, "
                                                         f"the limit is {self.max_bytes} bytes")
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                return b"".join(chunks)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = None
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    await self._refuse(send, 400, f"invalid Content-Length header: {value[:40]!r}", "bad_request")
                    return
                break
        if declared is not None and declared > self.max_bytes:
            await self._refuse(send, 413, f"request body too large: {declared} bytes, the limit is {self.max_bytes} bytes",
                               "payload_too_large")
            return
        try:
            body = await asyncio.wait_for(self._read(receive), self.timeout)
        except (asyncio.TimeoutError, TimeoutError):
            announced = "" if declared is None else f" (its Content-Length announced {declared} bytes)"
            await self._refuse(send, 408, f"the request body was not received within {self.timeout:g} s{announced}", "request_timeout")
            return
        except ApiError as exc:
            await self._refuse(send, exc.status, exc.message, exc.error_type)
            return
        except _ClientGone:
            log.info("%s %s: the client left before sending its whole body", scope.get("method"), scope.get("path"))
            return
        delivered = False

        async def replay():
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


# --- request and response shapes (for validation and the OpenAPI docs) ---------------------
class SentenceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: StrictStr
    context: StrictStr = Field(default="", description="the report title and headings above the sentence, e.g. "
                               "'某区2023年政府信息公开工作年度报告 › 三、收到和处理政府信息公开申请情况'")


class ClassifyRequest(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"sentences": [
        "全面推行行政执法公示制度。", {"text": "无法提供26件。", "context": "某区2023年政府信息公开工作年度报告 › 三、收到和处理政府信息公开申请情况"}]}]})
    sentences: list[StrictStr | SentenceIn] = Field(
        description="sentences to classify, each a string or {text, context}; at most the per-request limit (default 256)")

    def pairs(self) -> tuple[list[str], list[str]]:
        texts = [s if isinstance(s, str) else s.text for s in self.sentences]
        contexts = ["" if isinstance(s, str) else s.context for s in self.sentences]
        return texts, contexts


class AnalyzeRequest(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"text": "一、主要工作\n全面推行行政执法公示制度。\n二、存在的问题\n行政复议案件办理质量有待提高。"}]})
    text: StrictStr = Field(description="the whole report text")
    doc: StrictStr = Field(default="report", description="the report's name, used in the summary")


class SentenceResult(BaseModel):
    text: str
    context: str = Field(description="the context the model read with the sentence ('' for none)")
    category: str
    scores: dict[str, float]
    problem: bool
    problem_score: float
    truncated: bool = Field(description="true when the sentence is longer than the model reads (model max_chars)")


class ClassifyResponse(BaseModel):
    model: str
    results: list[SentenceResult]


class UnitResult(SentenceResult):
    doc: str
    index: int
    start: int = Field(description="offset of the unit's first character in text (Unicode code points)")
    end: int
    heading: str
    is_heading: bool


class HealthResponse(BaseModel):
    status: str
    model: str
    inference: str = Field(description="process: the model runs in a worker process; thread: in the server process")
    batching: dict[str, float]
    worker_restarts: int | None = None
    workers_up: int | None = Field(default=None, description="model worker processes that can take a call now")


class ModelInfoResponse(BaseModel):
    name: str
    labels: list[str]
    threshold: float
    max_chars: int | None
    context: bool = Field(description="true when the model reads a sentence's context")
    int8: bool = Field(description="true when the model runs with dynamic int8 quantisation (scores then have 4 decimals)")
    real: dict[str, Any] | None = Field(description="headline figures on real published documents (by document, all parts), with 95% intervals")
    evaluation: dict[str, Any] | None = Field(description="real-text and test figures per part (from evaluation.json)")
    model_card: str | None
    limits: dict[str, float]


class AnalyzeResponse(BaseModel):
    model: str
    doc: str
    units: list[UnitResult]
    summary: dict[str, Any]


HEALTH_503: dict[str, Any] = {
    "description": "The model cannot answer now: its worker is down, restarting or stopped, or a call passed the time limit",
    "content": {"application/json": {"example": error_body(
        "the model worker stopped: it was killed by SIGKILL; restarting it", "model_unavailable")}}}
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    408: {"description": "The body was not received within the time limit (or was shorter than its Content-Length)",
          "content": {"application/json": {"example": error_body(
              "the request body was not received within 15 s (its Content-Length announced 1000 bytes)", "request_timeout")}}},
    413: {"description": "Request body over the size limit", "content": {"application/json": {
        "example": error_body("request body too large: 3000000 bytes, the limit is 2097152 bytes", "payload_too_large")}}},
    422: {"description": "Invalid JSON, wrong types, missing fields, too many sentences or too many units", "content": {"application/json": {
        "example": error_body("missing field 'sentences'", "validation_error")}}},
    503: {**HEALTH_503, "content": {"application/json": {"example": error_body(
        "the model did not answer within 10 s; its worker is being restarted", "model_unavailable")}}},
}


# --- the model card ---------------------------------------------------------------------
def _condensed(figures: dict) -> dict:
    entry = {k: figures[k] for k in ("n", "documents", "accuracy", "macro_f1") if k in figures}
    if isinstance(figures.get("per_class"), dict):
        entry["per_class_f1"] = {c: v.get("f1") for c, v in figures["per_class"].items() if isinstance(v, dict)}
    if isinstance(figures.get("problem"), dict):
        entry["problem"] = {k: v for k, v in figures["problem"].items() if not isinstance(v, (dict, list))}
    if isinstance(figures.get("ci"), dict):
        entry["ci"] = figures["ci"]
    return entry


def _condensed_evaluation(data: dict) -> dict:
    out: dict[str, Any] = {}
    real = data.get("real")
    if isinstance(real, dict):
        out["real"] = {"source": real.get("source", "")}
        for mode in ("by document", "by unit"):
            if isinstance(real.get(mode), dict):
                out["real"][mode] = {part: _condensed(m) for part, m in real[mode].items() if isinstance(m, dict)}
    if isinstance(data.get("test"), dict):
        out["test"] = {part: _condensed(m) for part, m in data["test"].items() if isinstance(m, dict)}
    return out


def model_info(model: Predictor, directory: Path) -> dict:
    """What /v1/model tells about the model: its name (never the path), labels, threshold, limits and figures."""
    from fazhi.model.card import real_headline

    info: dict[str, Any] = {"name": model.name, "labels": list(model.labels), "threshold": model.threshold,
                            "max_chars": model.max_chars, "context": False, "int8": bool(getattr(model, "int8", False)),
                            "real": None, "evaluation": None, "model_card": None}
    try:
        info["context"] = bool(json.loads((directory / "config.json").read_text(encoding="utf-8")).get("fazhi_context", False))
    except (ValueError, OSError):
        pass
    evaluation = directory / "evaluation.json"
    if evaluation.is_file():
        try:
            data = json.loads(evaluation.read_text(encoding="utf-8"))
            info["evaluation"] = _condensed_evaluation(data)
            info["real"] = real_headline(data)
        except (ValueError, OSError) as exc:
            log.warning("cannot read %s: %s", evaluation, exc)
    card = directory / "README.md"
    if card.is_file():
        info["model_card"] = card.read_text(encoding="utf-8", errors="replace")
    return info


# --- request parsing --------------------------------------------------------------------
# The body is parsed here rather than by FastAPI so that every malformed body
# (bad UTF-8, deep nesting, any Content-Type) gets the same 422 answer.
_SURROGATE = re.compile("[\ud800-\udfff]")


def _request_body(model: type[BaseModel]) -> dict:
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": model.model_json_schema()}}}}


def _describe_errors(errors: Sequence[Any]) -> str:
    parts = []
    for err in errors:
        kind = err.get("type", "")
        where = ".".join(str(x) for x in err.get("loc", ())) or "body"
        if kind == "missing":
            parts.append(f"missing field '{where}'")
        elif where == "body" or not err.get("loc"):
            got = err.get("input")
            parts.append(f"expected a JSON object, found {_json_kind(got)}")
        else:
            got = err.get("input")
            shown = f" (found {_json_kind(got)})" if kind.endswith("_type") else ""
            parts.append(f"{where}: {err.get('msg', 'invalid value')}{shown}")
    return "; ".join(parts) or "invalid request"


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "an array", dict: "an object"}.get(type(value), type(value).__name__)


def _find_surrogate(value: Any, where: str) -> str | None:
    if isinstance(value, str):
        return where if _SURROGATE.search(value) else None
    if isinstance(value, list):
        for i, v in enumerate(value):
            found = _find_surrogate(v, f"{where}.{i}")
            if found:
                return found
    if isinstance(value, dict):
        for k, v in value.items():
            found = _find_surrogate(v, f"{where}.{k}" if where else str(k))
            if found:
                return found
    return None


async def _parse(request: Request, model: type[BaseModel]) -> Any:
    raw = (await request.body()).removeprefix(b"\xef\xbb\xbf")
    if not raw.strip():
        raise ApiError(422, "validation_error", "the request body is empty: expected a JSON object")
    try:
        data = json.loads(raw)
    except UnicodeDecodeError:
        raise ApiError(422, "invalid_json", "the body is not valid JSON: it is not UTF-8 encoded") from None
    except json.JSONDecodeError as exc:
        raise ApiError(422, "invalid_json", f"the body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise ApiError(422, "invalid_json", "the body is not acceptable JSON: nested too deeply") from None
    except ValueError as exc:
        raise ApiError(422, "invalid_json", f"the body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ApiError(422, "validation_error", f"expected a JSON object, found {_json_kind(data)}")
    try:
        body = model.model_validate(data)
    except ValidationError as exc:
        raise ApiError(422, "validation_error", _describe_errors(exc.errors())) from None
    where = _find_surrogate(body.model_dump(), "")
    if where:
        raise ApiError(422, "invalid_text", f"{where}: contains an unpaired UTF-16 surrogate, which is not valid Unicode text")
    return body


# --- long work: bounded, and cancelled when the client leaves -----------------------------
async def segment_report(text: str, max_units: int) -> list[Unit]:
    """The units of a report, refused with 422 past max_units (segmentation stops there: a 2 MB text of
    two-character units would otherwise hold the server for seconds before being refused)."""
    def cut() -> list[Unit]:
        return list(islice(iter_units(text), max_units + 1))

    units = cut() if len(text) <= _INLINE_SEGMENT_CHARS else await asyncio.to_thread(cut)
    if len(units) > max_units:
        raise ApiError(422, "too_many_units", f"too many sentence units: the report has more than {max_units}, the limit "
                                              "per report (max_units); split it into parts and send them separately")
    return units


async def _until_disconnected(request: Request) -> None:
    # Once the body has been read, receive() returns only when the client disconnects (or the response is sent).
    while (await request.receive())["type"] != "http.disconnect":
        pass


async def unless_client_leaves(request: Request, work: Awaitable[T]) -> T:
    """The result of work; if the client disconnects first, work is cancelled (a batcher job then drops
    its sentences not yet computed) and the request ends without an answer."""
    job = asyncio.ensure_future(work)
    watch = asyncio.ensure_future(_until_disconnected(request))
    try:
        await asyncio.wait((job, watch), return_when=asyncio.FIRST_COMPLETED)
    except BaseException:  # this request itself was cancelled (the server is stopping)
        job.cancel()
        watch.cancel()
        raise
    watch.cancel()
    if job.done():
        return job.result()
    job.cancel()
    raise _ClientGone


# --- the app ----------------------------------------------------------------------------
def create_app(settings: ServeSettings | None = None, model: Predictor | None = None) -> FastAPI:
    """The FastAPI app; loads the model from settings.model unless one is given."""
    from fastapi_offline import FastAPIOffline

    settings = settings or ServeSettings()
    settings.validate()
    directory = Path(settings.model) if settings.model else default_model_dir()
    worker: ModelPool | None = None
    if model is None:
        if settings.inference == "process":
            if not (directory / "config.json").is_file():
                raise ModelLoadError(f"expected a model directory containing config.json, found none at {directory}")
            model = worker = ModelPool(directory, workers=settings.workers or min(os.cpu_count() or 1, _DEFAULT_MAX_WORKERS),
                                       threads=settings.model_threads,
                                       timeout_s=settings.model_timeout_s, int8=settings.int8)
        else:
            model = load_model(directory, quantize=settings.int8)
    info = model_info(model, directory)
    batcher = MicroBatcher(lambda pairs: classify_sentences(model, [t for t, _ in pairs], [c for _, c in pairs]),
                           max_batch=settings.max_batch, wait_ms=settings.batch_wait_ms, timeout_s=settings.model_timeout_s,
                           concurrency=len(worker.workers) if worker is not None else 1)
    page = (STATIC_DIR / "index.html").read_text(encoding="utf-8")

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        await batcher.start()
        try:
            yield
        finally:
            await batcher.stop()
            if worker is not None:
                worker.close()

    app = FastAPIOffline(
        title="fazhi",
        version="1",
        description="Tags sentences of Chinese rule-of-law government annual reports (法治政府建设年度报告) "
        "with a category (decision, enforcement, dispute, disclosure, supervision, other) and a problem flag. "
        "Every error answers {\"error\": str, \"error_type\": str}.",
        lifespan=lifespan,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.batcher = batcher
    app.state.model = model

    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError):
        return _error_response(exc.status, exc.message, exc.error_type, exc.headers)

    @app.exception_handler(ModelUnavailable)
    async def _model_unavailable(_request: Request, exc: ModelUnavailable):
        return _error_response(503, str(exc), "model_unavailable", {"Retry-After": _RETRY_AFTER_S})

    @app.exception_handler(_ClientGone)
    @app.exception_handler(ClientDisconnect)
    async def _client_gone(request: Request, _exc: Exception):
        # Nobody is left to answer, and nothing went wrong here: no traceback, and the work was cancelled.
        log.info("%s %s: the client went away; its work was cancelled", request.method, request.url.path)
        return Response(status_code=499)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError):
        # Bodies are parsed by _parse; this covers query and path parameters.
        return _error_response(422, _describe_errors(list(exc.errors())), "validation_error")

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException):
        message = exc.detail if isinstance(exc.detail, str) else json.dumps(exc.detail, ensure_ascii=False)
        if exc.status_code == 404 and message == "Not Found":
            message = f"no such endpoint: {request.url.path}"
        elif exc.status_code == 405:
            message = f"method {request.method} is not allowed on {request.url.path}"
        return _error_response(exc.status_code, message, _STATUS_TYPES.get(exc.status_code, "http_error"), getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _internal_error(request: Request, exc: Exception):
        log.exception("internal error on %s %s", request.method, request.url.path)
        return _error_response(500, f"internal error ({exc.__class__.__name__})", "internal_error")

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def index() -> HTMLResponse:
        return HTMLResponse(page)

    @app.get("/healthz", responses={503: HEALTH_503},
             summary="Health: 200 with batching statistics when the model answers, 503 while it cannot")
    @app.head("/healthz", include_in_schema=False)  # for load balancers and `curl -I`
    async def healthz() -> HealthResponse:
        problem = (worker.health() if worker is not None else None) or batcher.health()
        if problem is not None:
            raise ApiError(503, "model_unavailable", problem, {"Retry-After": _RETRY_AFTER_S})
        return HealthResponse(status="ok", model=model.name, inference="process" if worker else "thread",
                              batching=batcher.snapshot(), worker_restarts=worker.restarts if worker is not None else None,
                              workers_up=worker.up if worker is not None else None)

    @app.get("/v1/model", summary="The model: name, labels, threshold, limits, and its real-text and test figures")
    async def model_endpoint() -> ModelInfoResponse:
        limits = {k: v for k, v in asdict(settings).items() if k in LIMITS}
        return ModelInfoResponse(**info, limits=limits)

    @app.post("/v1/classify", response_model=ClassifyResponse, responses=ERROR_RESPONSES,
              openapi_extra=_request_body(ClassifyRequest),
              summary="Classify sentences: one result per sentence, in order")
    async def classify(request: Request) -> ClassifyResponse:
        body = await _parse(request, ClassifyRequest)
        n = len(body.sentences)
        if n > settings.max_sentences:
            raise ApiError(422, "too_many_sentences",
                           f"too many sentences: {n} given, the limit is {settings.max_sentences} per request (max_sentences); "
                           "split them over several requests")
        texts, contexts = body.pairs()
        results = await unless_client_leaves(request, batcher.submit(list(zip(texts, contexts, strict=True))))
        return ClassifyResponse.model_validate({"model": model.name, "results": results})

    @app.post("/v1/analyze", response_model=AnalyzeResponse, responses=ERROR_RESPONSES,
              openapi_extra=_request_body(AnalyzeRequest),
              summary="Analyze a whole report: segmented, every unit tagged, and summarised")
    async def analyze(request: Request) -> AnalyzeResponse:
        body = await _parse(request, AnalyzeRequest)
        units = await segment_report(body.text, settings.max_units)
        results = await unless_client_leaves(request, batcher.submit(list(zip([u.text for u in units], unit_contexts(units), strict=True))))
        rows = unit_results(body.doc, units, results)
        return AnalyzeResponse.model_validate({"model": model.name, "doc": body.doc, "units": rows, "summary": summarize(body.doc, rows)})

    from fazhi.serve.compare_routes import add_compare_routes

    add_compare_routes(app, batcher, model.name, (STATIC_DIR / "compare.html").read_text(encoding="utf-8"))

    # The body is read, within its size and time limits, ahead of routing and body parsing.
    app.add_middleware(BodyReader, max_bytes=settings.max_body_bytes, timeout_s=settings.body_timeout_s)
    return app


def json_400_protocol():
    """uvicorn's HTTP protocol class with its own 400 answers (a malformed request line, header or
    Content-Length, which never reach the app) in the API's error shape rather than plain text.

    uvicorn has no hook for these; its protocol classes write them in
    send_400_response, overridden here. Should a uvicorn version lack that
    method, those 400s stay plain text (README, "Errors").
    """
    from uvicorn.protocols.http.auto import AutoHTTPProtocol

    class JsonErrorProtocol(AutoHTTPProtocol):  # type: ignore[valid-type, misc]
        def send_400_response(self, msg: str) -> None:  # noqa: ARG002
            # msg is uvicorn's "Invalid HTTP request received." whatever the fault.
            body = json.dumps(error_body("invalid HTTP request: a malformed request line, header or Content-Length", "bad_request")).encode("utf-8")
            head = (b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\nconnection: close\r\n"
                    b"content-length: " + str(len(body)).encode("ascii") + b"\r\n\r\n")
            self.transport.write(head + body)
            self.transport.close()

    return JsonErrorProtocol


def run_server(settings: ServeSettings) -> None:
    """Serve the app with uvicorn until interrupted."""
    import uvicorn

    settings.validate()
    app = create_app(settings)
    print(f"fazhi serve: model {app.state.model.name} at http://{settings.host}:{settings.port}/ (docs at /docs)", flush=True)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level=settings.log_level, access_log=settings.access_log,
                timeout_keep_alive=30, http=json_400_protocol())
