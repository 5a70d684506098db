"""`fazhi serve`: the app assembled from its parts, and the server that runs it.

Endpoints (serve/routes/): ``POST /v1/classify``, ``POST /v1/analyze`` (JSON
text or a multipart upload), ``POST /v1/read`` (an uploaded report's text),
``POST /v1/compare``, ``GET /healthz`` (and HEAD), ``GET /v1/model``, the
pages ``/`` and ``/compare``, and the OpenAPI docs at ``/docs`` (served
locally, no CDN). Every error answers
``{"error": str, "error_type": str}`` (serve.errors.ErrorType).

Layers, outermost first: serve.protocol (header timeout, header limits, the
connection cap, limit_concurrency), serve.guard (Host, security headers),
serve.body.BodyReader (body size and time), the routers. The lifespan starts
the model workers and the batcher (serve.service) and stops them, so an app
that is built and never run starts nothing.
"""

from __future__ import annotations

import json
import logging
import resource
import socket
from contextlib import asynccontextmanager
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import Response
from fastapi_offline import FastAPIOffline
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.routing import Match

from fazhi.errors import UsageError
from fazhi.model import Predictor
from fazhi.model.checks import ModelOutputError
from fazhi.serve.batching import ModelUnavailable
from fazhi.serve.body import BodyReader, describe_errors
from fazhi.serve.errors import RETRY_AFTER_S, STATUS_TYPES, ApiError, ClientGone, ErrorType, error_response
from fazhi.serve.guard import Guard
from fazhi.serve.protocol import ConnectionLimits, limited_protocol
from fazhi.serve.routes import BODY_SCHEMAS, analyze, classify, compare, health, pages, read
from fazhi.serve.service import Service
from fazhi.serve.settings import ServeSettings

__all__ = ["ServeSettings", "create_app", "run_server", "PortInUse"]

log = logging.getLogger("fazhi.serve")
_DESCRIPTION = (
    "Tags sentences of Chinese rule-of-law government annual reports (法治政府建设年度报告) with a category "
    "(decision, enforcement, dispute, disclosure, supervision, other) and a problem flag. "
    "Every error answers {\"error\": str, \"error_type\": str}."
)


class PortInUse(UsageError):
    """The address to serve on is taken (or cannot be bound)."""


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route of this path takes (uvicorn's 405 names only the first route's)."""
    scope = {**request.scope, "method": "GET"}
    methods: set[str] = set()

    def collect(routes) -> None:
        for route in routes:
            inner = getattr(route, "routes", None) or getattr(
                getattr(route, "original_router", getattr(route, "router", None)), "routes", None
            )
            if inner:  # an included router
                collect(inner)
            elif getattr(route, "methods", None) and route.matches(scope)[0] != Match.NONE:
                methods.update(route.methods)

    collect(request.app.router.routes)
    return sorted(methods)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError):
        return error_response(exc.status, exc.message, exc.error_type, exc.headers)

    @app.exception_handler(ModelUnavailable)
    async def _model_unavailable(_request: Request, exc: ModelUnavailable):
        return error_response(503, str(exc), ErrorType.MODEL_UNAVAILABLE, {"Retry-After": RETRY_AFTER_S})

    @app.exception_handler(ModelOutputError)
    async def _model_error(request: Request, exc: ModelOutputError):
        log.error("%s %s: %s", request.method, request.url.path, exc)
        return error_response(500, f"{exc}; the model may be damaged", ErrorType.MODEL_ERROR)

    @app.exception_handler(ClientGone)
    @app.exception_handler(ClientDisconnect)
    async def _client_gone(request: Request, _exc: Exception):
        # Nobody is left to answer, and nothing went wrong here: no traceback, and the work was cancelled.
        log.info("%s %s: the client went away; its work was cancelled", request.method, request.url.path)
        return Response(status_code=499)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError):
        # Bodies are parsed by serve.body; this covers query and path parameters.
        return error_response(422, describe_errors(list(exc.errors())), ErrorType.VALIDATION_ERROR)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException):
        message = exc.detail if isinstance(exc.detail, str) else json.dumps(exc.detail, ensure_ascii=False)
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 404 and message == "Not Found":
            message = "no such endpoint: " + request.url.path[:200]
        elif exc.status_code == 405:
            allowed = _allowed_methods(request)
            headers["Allow"] = ", ".join(allowed)
            message = (
                f"method {request.method[:20]} is not allowed on {request.url.path[:200]}; "
                f"allowed: {', '.join(allowed)}"
            )
        return error_response(
            exc.status_code, message, STATUS_TYPES.get(exc.status_code, ErrorType.HTTP_ERROR), headers
        )

    @app.exception_handler(Exception)
    async def _internal_error(request: Request, exc: Exception):
        log.exception("internal error on %s %s", request.method, request.url.path)
        return error_response(500, f"internal error ({exc.__class__.__name__})", ErrorType.INTERNAL_ERROR)


def _openapi(app: FastAPI, settings: ServeSettings) -> dict[str, Any]:
    """The OpenAPI document, with the request bodies' schemas among its components and the limits as constraints."""
    if app.openapi_schema is None:
        doc = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        schemas = doc.setdefault("components", {}).setdefault("schemas", {})
        schemas.update(json.loads(json.dumps(BODY_SCHEMAS)))
        if "ClassifyRequest" in schemas:
            schemas["ClassifyRequest"]["properties"]["sentences"]["maxItems"] = settings.max_sentences
        app.openapi_schema = doc
    return app.openapi_schema


def create_app(settings: ServeSettings | None = None, model: Predictor | None = None) -> FastAPI:
    """The app; its lifespan starts the model (settings.model, or the given model object) and stops it."""
    settings = settings or ServeSettings()
    service = Service(settings, model)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        try:
            await service.start()
        except BaseException as exc:
            app.state.startup_error = exc
            await service.stop()
            raise
        if app.state.on_started is not None:
            app.state.on_started()
        try:
            yield
        finally:
            await service.stop()

    app = FastAPIOffline(
        title="fazhi", version="1", description=_DESCRIPTION, lifespan=lifespan, redoc_url=None, redirect_slashes=False
    )
    app.state.service = service
    app.state.startup_error = None
    app.state.on_started = None
    _install_error_handlers(app)
    for module in (pages, health, classify, analyze, read, compare):
        app.include_router(module.router)
    app.openapi = lambda: _openapi(app, settings)  # type: ignore[method-assign]
    # The body is read, within its size and time limits, ahead of routing and body parsing; Host is checked first.
    app.add_middleware(BodyReader, max_bytes=settings.max_body_bytes, timeout_s=settings.body_timeout_s)
    app.add_middleware(Guard, allowed_hosts=settings.hosts())
    return app


class _OneLineStartup:
    """ASGI wrapper: a lifespan startup failure is reported by run_server in one line, not by uvicorn as a traceback."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return

        async def quiet(message) -> None:
            if message["type"] == "lifespan.startup.failed":
                message = {**message, "message": ""}
            await send(message)

        try:
            await self.app(scope, receive, quiet)
        except BaseException:
            if self.app.state.startup_error is None:
                raise


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise PortInUse(
            f"cannot serve on {host}:{port}: {exc.strerror or exc}; choose another --port or stop what uses it"
        ) from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _raise_descriptor_limit(wanted: int) -> None:
    """Open connections need descriptors: raise the soft limit toward the hard one, as far as max_connections needs."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


def run_server(settings: ServeSettings) -> None:
    """Serve until interrupted. PortInUse before anything starts; the model's ModelLoadError (or WorkerError) after
    it fails to start; 'serving at' is printed only once the model answers."""
    settings.validate()
    sock = _bind(settings.host, settings.port)
    _raise_descriptor_limit(settings.max_connections + 256)
    app = create_app(settings)
    limits = ConnectionLimits(
        settings.header_timeout_s, settings.max_header_bytes, settings.max_headers, settings.max_connections
    )
    config = uvicorn.Config(
        _OneLineStartup(app),
        log_level=settings.log_level,
        access_log=settings.access_log,
        timeout_keep_alive=5,
        http=limited_protocol(limits),
        limit_concurrency=settings.limit_concurrency,
        server_header=False,
        lifespan="on",
    )
    server = uvicorn.Server(config)
    shown = f"[{settings.host}]" if ":" in settings.host else settings.host
    app.state.on_started = lambda: print(
        f"fazhi serve: model {app.state.service.info['name']} at "
        f"http://{shown}:{sock.getsockname()[1]}/ (docs at /docs)",
        flush=True,
    )
    try:
        server.run(sockets=[sock])
    except SystemExit:  # uvicorn exits when the lifespan fails; say why in one line instead
        if app.state.startup_error is None:
            raise
    finally:
        sock.close()
    error = app.state.startup_error
    if error is not None:
        raise error if isinstance(error, Exception) else RuntimeError(f"the server did not start: {error!r}")
