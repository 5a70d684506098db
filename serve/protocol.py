"""uvicorn's HTTP protocol with limits on what a connection may hold before the app sees a request.

uvicorn (httptools) times only a keep-alive connection between requests and
a body once the app reads it; it reads headers for as long as they come and
of any size. This protocol adds, per connection:

- a **header timeout**: the request line and headers must arrive within
  ``header_timeout_s`` of the connection opening or of the previous response
  (408 in the error shape, then the connection closes; a connection that sent
  nothing is just closed);
- a **header size and count limit**: more than ``max_header_bytes`` before
  the end of the headers, or more than ``max_headers`` header lines, gets 431;
- a **cap on open connections**: past ``max_connections``, the connection
  that has been idle longest (no request in progress) is closed to make room;
  when none is idle, the new one gets 503 ``server_busy``;
- ``limit_concurrency`` answered in the error shape (503 ``server_busy``)
  rather than uvicorn's plain text, and uvicorn's own 400s likewise.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from fazhi.serve.errors import ErrorType, error_bytes, send_error

__all__ = ["ConnectionLimits", "limited_protocol"]

_REASONS = {
    400: b"Bad Request",
    408: b"Request Timeout",
    431: b"Request Header Fields Too Large",
    503: b"Service Unavailable",
}


class ConnectionLimits:
    def __init__(self, header_timeout_s: float, max_header_bytes: int, max_headers: int, max_connections: int) -> None:
        self.header_timeout_s = header_timeout_s
        self.max_header_bytes = max_header_bytes
        self.max_headers = max_headers
        self.max_connections = max_connections


def _raw_response(status: int, message: str, error_type: ErrorType) -> bytes:
    body = error_bytes(message, error_type)
    return (
        b"HTTP/1.1 %d %s\r\ncontent-type: application/json\r\nconnection: close\r\ncontent-length: %d\r\n"
        b"x-content-type-options: nosniff\r\n\r\n" % (status, _REASONS[status], len(body))
    ) + body


def _asgi_error(status: int, message: str, error_type: ErrorType):
    # Outside the app, so the Guard's security headers are not added: nosniff is said here.
    async def app(_scope, _receive, send) -> None:
        await send_error(
            send, status, message, error_type, [(b"connection", b"close"), (b"x-content-type-options", b"nosniff")]
        )

    return app


class LimitedProtocol(HttpToolsProtocol):
    """HttpToolsProtocol enforcing limits (set on a subclass by limited_protocol)."""

    limits: ConnectionLimits

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._concurrency = self.limit_concurrency
        self.limit_concurrency = None  # checked here, answered in the error shape
        self._head_bytes = 0
        self._head_count = 0
        self._head_size = 0
        self._reading_head = True
        self._idle_since = time.monotonic()
        self._head_timer: asyncio.TimerHandle | None = None

    # -- the connection cap -------------------------------------------------------
    def _idle(self) -> bool:
        return self._reading_head and self._head_bytes == 0 and (self.cycle is None or self.cycle.response_complete)

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        if len(self.connections) > self.limits.max_connections:
            idle = [c for c in self.connections if c is not self and getattr(c, "_idle", lambda: False)()]
            if idle:
                oldest = min(idle, key=lambda c: getattr(c, "_idle_since", 0.0))
                oldest.transport.close()
                self.connections.discard(oldest)
            else:
                self.transport.write(
                    _raw_response(
                        503,
                        f"the server has {self.limits.max_connections} connections open, its limit "
                        "(max_connections), all busy; try again shortly",
                        ErrorType.SERVER_BUSY,
                    )
                )
                self.transport.close()
                return
        self._start_head_timer()

    # -- the header timeout -------------------------------------------------------
    def _start_head_timer(self) -> None:
        self._cancel_head_timer()
        self._reading_head = True
        self._head_bytes = self._head_count = 0
        self._idle_since = time.monotonic()
        self._head_timer = self.loop.call_later(self.limits.header_timeout_s, self._head_timeout)

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timeout(self) -> None:
        self._head_timer = None
        if self.transport.is_closing() or not self._reading_head:
            return
        if self.cycle is not None and not self.cycle.response_complete:
            return  # a request is being answered: the keep-alive or body timeouts apply
        if self._head_bytes:
            self.transport.write(
                _raw_response(
                    408,
                    f"the request headers were not received within {self.limits.header_timeout_s:g} s",
                    ErrorType.REQUEST_TIMEOUT,
                )
            )
        self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_timer()
        super().connection_lost(exc)

    # -- header size and count ----------------------------------------------------
    def data_received(self, data: bytes) -> None:
        if self._reading_head:
            self._head_bytes += len(data)
        super().data_received(data)
        if self._reading_head and self._head_bytes > self.limits.max_header_bytes and not self.transport.is_closing():
            self.transport.write(
                _raw_response(
                    431,
                    f"the request line and headers are over {self.limits.max_header_bytes} bytes, "
                    "the limit (max_header_bytes)",
                    ErrorType.HEADERS_TOO_LARGE,
                )
            )
            self.transport.close()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._head_size = 0
        if self._head_timer is None:  # a keep-alive connection's next request: its headers are timed too
            self._head_timer = self.loop.call_later(self.limits.header_timeout_s, self._head_timeout)
        self._reading_head = True

    def on_url(self, url: bytes) -> None:
        self._head_size += len(url)
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._head_count += 1
        self._head_size += len(name) + len(value) + 4
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._cancel_head_timer()
        self._reading_head = False
        refusal = None
        if self._head_size > self.limits.max_header_bytes:  # headers that came whole in one read
            refusal = _asgi_error(
                431,
                f"the request line and headers are over {self.limits.max_header_bytes} bytes, the limit "
                "(max_header_bytes)",
                ErrorType.HEADERS_TOO_LARGE,
            )
        elif self._head_count > self.limits.max_headers:
            refusal = _asgi_error(
                431,
                f"{self._head_count} header lines, the limit is {self.limits.max_headers} (max_headers)",
                ErrorType.HEADERS_TOO_LARGE,
            )
        elif self._concurrency is not None and len(self.tasks) >= self._concurrency:
            refusal = _asgi_error(
                503,
                f"the server is answering {len(self.tasks)} requests, its limit (limit_concurrency); try again shortly",
                ErrorType.SERVER_BUSY,
            )
        if refusal is None:
            super().on_headers_complete()
            return
        app = self.app
        self.app = refusal
        try:
            super().on_headers_complete()
        finally:
            self.app = app

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._reading_head = True
        self._head_bytes = self._head_count = 0
        self._idle_since = time.monotonic()

    def send_400_response(self, msg: str) -> None:  # noqa: ARG002
        # msg is uvicorn's "Invalid HTTP request received." whatever the fault.
        self.transport.write(
            _raw_response(
                400, "invalid HTTP request: a malformed request line, header or Content-Length", ErrorType.BAD_REQUEST
            )
        )
        self.transport.close()


def limited_protocol(limits: ConnectionLimits) -> type:
    """A LimitedProtocol class enforcing limits (uvicorn's `http=` argument)."""
    return type("LimitedProtocol", (LimitedProtocol,), {"limits": limits})
