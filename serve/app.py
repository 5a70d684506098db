"""`fazhi serve`: the HTTP API and the page at `/`.

Endpoints
- ``POST /v1/classify`` ``{"sentences": [str | {"text", "context"}, ...]}`` →
  ``{"model", "results": [...]}``, one result per sentence in order, with the
  fields of ``fazhi classify``. A sentence may carry its context (the report
  title and headings above it), as ``fazhi tag`` gives the model.
- ``POST /v1/analyze`` ``{"text": str, "doc"?: str}`` → the report segmented,
  every unit tagged with its offsets (code points into ``text``) and heading,
  plus the per-report summary of ``fazhi tag``.
- ``GET /healthz`` (with batching statistics); ``GET /v1/model`` (name, labels, threshold, limits, test
  figures from evaluation.json and the model card README.md when present);
  OpenAPI docs at ``/docs`` (served locally, no CDN).

Every error has the body ``{"error": str, "error_type": str}``: 413 for a body
over the size limit (refused from its Content-Length, or as soon as a chunked
body passes the limit, never read whole), 422 for invalid JSON, wrong types,
missing fields or too many sentences, 404/405 for unknown routes and methods.
Concurrent requests share model calls through serve.batching.MicroBatcher;
inference and segmentation run off the event loop, and by default the model
runs in a worker process (serve.worker) so that it never holds this process's
GIL while requests are parsed and answered.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
from collections.abc import Sequence
from contextlib import asynccontextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StrictStr, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from fazhi.aggregate import summarize
from fazhi.context import unit_contexts
from fazhi.model import Predictor, default_model_dir, load_model
from fazhi.results import classify as classify_sentences
from fazhi.results import unit_results
from fazhi.segment import segment
from fazhi.serve.batching import MicroBatcher
from fazhi.serve.settings import ServeSettings
from fazhi.serve.worker import ModelProcess

__all__ = ["ServeSettings", "create_app", "run_server", "ApiError"]

log = logging.getLogger("fazhi.serve")
STATIC_DIR = Path(__file__).resolve().parent / "static"
# Text this long or shorter is segmented on the event loop; longer text in a thread.
_INLINE_SEGMENT_CHARS = 2000


# --- errors -----------------------------------------------------------------------
class ApiError(Exception):
    def __init__(self, status: int, error_type: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error_type = error_type
        self.message = message


def error_body(message: str, error_type: str) -> dict:
    return {"error": message, "error_type": error_type}


def _error_response(status: int, message: str, error_type: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse(error_body(message, error_type), status_code=status, headers=headers)


_STATUS_TYPES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
}


# --- size limit -----------------------------------------------------------------------
class BodySizeLimit:
    """ASGI middleware: refuse a request body over max_bytes with 413 without reading it whole.

    A declared Content-Length over the limit is refused before any of the body
    is read; a chunked body is read only until it passes the limit.
    """

    def __init__(self, app, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def _refuse(self, send, message: str, status: int = 413, error_type: str = "payload_too_large") -> None:
        body = json.dumps(error_body(message, error_type), ensure_ascii=False).encode("utf-8")
        await send({
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), (b"connection", b"close")],
        })
        await send({"type": "http.response.body", "body": body})

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
                    await self._refuse(send, "invalid Content-Length header", 400, "bad_request")
                    return
                break
        limit = self.max_bytes
        if declared is not None:
            if declared > limit:
                await self._refuse(send, f"request body too large: {declared} bytes, the limit is {limit} bytes")
                return
            await self.app(scope, receive, send)
            return
        # No Content-Length (chunked): read up to the limit, then replay to the app.
        messages = []
        total = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                messages.append(message)
                break
            total += len(message.get("body", b""))
            if total > limit:
                await self._refuse(send, f"request body too large: more than {limit} bytes, the limit is {limit} bytes")
                return
            messages.append(message)
            if not message.get("more_body", False):
                break

        async def replay():
            if messages:
                return messages.pop(0)
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


class ModelInfoResponse(BaseModel):
    name: str
    labels: list[str]
    threshold: float
    max_chars: int | None
    context: bool = Field(description="true when the model reads a sentence's context")
    real: dict[str, Any] | None = Field(description="headline figures on real published documents (by document, all parts), with 95% intervals")
    evaluation: dict[str, Any] | None = Field(description="real-text and test figures per part (from evaluation.json)")
    model_card: str | None
    limits: dict[str, float]


class AnalyzeResponse(BaseModel):
    model: str
    doc: str
    units: list[UnitResult]
    summary: dict[str, Any]


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    413: {"description": "Request body over the size limit", "content": {"application/json": {
        "example": error_body("request body too large: 3000000 bytes, the limit is 2097152 bytes", "payload_too_large")}}},
    422: {"description": "Invalid JSON, wrong types, missing fields, or too many sentences", "content": {"application/json": {
        "example": error_body("missing field 'sentences'", "validation_error")}}},
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
                            "max_chars": model.max_chars, "context": False, "real": None, "evaluation": None, "model_card": None}
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


# --- the app ----------------------------------------------------------------------------
def create_app(settings: ServeSettings | None = None, model: Predictor | None = None) -> FastAPI:
    """The FastAPI app; loads the model from settings.model unless one is given."""
    from fastapi_offline import FastAPIOffline

    settings = settings or ServeSettings()
    settings.validate()
    directory = Path(settings.model) if settings.model else default_model_dir()
    worker: ModelProcess | None = None
    if model is None:
        if settings.inference == "process":
            if not (directory / "config.json").is_file():
                raise FileNotFoundError(f"expected a model directory containing config.json, found none at {directory}")
            threads = settings.model_threads or max(1, (os.cpu_count() or 2) - 1)
            model = worker = ModelProcess(directory, threads=threads)
        else:
            model = load_model(directory)
    info = model_info(model, directory)
    batcher = MicroBatcher(lambda pairs: classify_sentences(model, [t for t, _ in pairs], [c for _, c in pairs]),
                           max_batch=settings.max_batch, wait_ms=settings.batch_wait_ms)
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
        return _error_response(exc.status, exc.message, exc.error_type)

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

    @app.get("/healthz", summary="Liveness and batching statistics")
    async def healthz() -> HealthResponse:
        return HealthResponse(status="ok", model=model.name, inference="process" if worker else "thread",
                              batching=batcher.stats.as_dict(), worker_restarts=worker.restarts if worker is not None else None)

    @app.get("/v1/model", summary="The model: name, labels, threshold, limits, and its real-text and test figures")
    async def model_endpoint() -> ModelInfoResponse:
        limits = {k: v for k, v in asdict(settings).items() if k in ("max_body_bytes", "max_sentences", "max_batch", "batch_wait_ms")}
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
        results = await batcher.submit(list(zip(texts, contexts, strict=True)))
        return ClassifyResponse.model_validate({"model": model.name, "results": results})

    @app.post("/v1/analyze", response_model=AnalyzeResponse, responses=ERROR_RESPONSES,
              openapi_extra=_request_body(AnalyzeRequest),
              summary="Analyze a whole report: segmented, every unit tagged, and summarised")
    async def analyze(request: Request) -> AnalyzeResponse:
        body = await _parse(request, AnalyzeRequest)
        text = body.text
        units = segment(text) if len(text) <= _INLINE_SEGMENT_CHARS else await asyncio.to_thread(segment, text)
        results = await batcher.submit(list(zip([u.text for u in units], unit_contexts(units), strict=True)))
        rows = unit_results(body.doc, units, results)
        return AnalyzeResponse.model_validate({"model": model.name, "doc": body.doc, "units": rows, "summary": summarize(body.doc, rows)})

    from fazhi.serve.compare_routes import add_compare_routes

    add_compare_routes(app, batcher, model.name, (STATIC_DIR / "compare.html").read_text(encoding="utf-8"))

    # The body-size limit runs ahead of routing and body parsing.
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    return app


def run_server(settings: ServeSettings) -> None:
    """Serve the app with uvicorn until interrupted."""
    import uvicorn

    settings.validate()
    app = create_app(settings)
    print(f"fazhi serve: model {app.state.model.name} at http://{settings.host}:{settings.port}/ (docs at /docs)", flush=True)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level=settings.log_level, access_log=settings.access_log,
                timeout_keep_alive=30)
