"""Every error the service answers: one enum of error types and one body, ``{"error": str, "error_type": str}``."""

from __future__ import annotations

import json
from collections.abc import Iterable
from enum import Enum
from typing import Any

from fastapi.responses import JSONResponse

__all__ = [
    "ErrorType",
    "ApiError",
    "ClientGone",
    "error_body",
    "error_bytes",
    "error_response",
    "send_error",
    "STATUS_TYPES",
    "RETRY_AFTER_S",
]

# A restarted worker loads its model in a few seconds.
RETRY_AFTER_S = "5"


class ErrorType(str, Enum):
    """The ``error_type`` of every error body (the README lists them)."""

    BAD_REQUEST = "bad_request"
    HOST_NOT_ALLOWED = "host_not_allowed"
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    NOT_ACCEPTABLE = "not_acceptable"
    REQUEST_TIMEOUT = "request_timeout"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    HEADERS_TOO_LARGE = "headers_too_large"
    VALIDATION_ERROR = "validation_error"
    INVALID_JSON = "invalid_json"
    INVALID_TEXT = "invalid_text"
    UNREADABLE_FILE = "unreadable_file"
    TOO_MANY_SENTENCES = "too_many_sentences"
    TOO_MANY_UNITS = "too_many_units"
    HTTP_ERROR = "http_error"
    INTERNAL_ERROR = "internal_error"
    MODEL_ERROR = "model_error"
    MODEL_UNAVAILABLE = "model_unavailable"
    SERVER_BUSY = "server_busy"


STATUS_TYPES: dict[int, ErrorType] = {
    400: ErrorType.BAD_REQUEST,
    404: ErrorType.NOT_FOUND,
    405: ErrorType.METHOD_NOT_ALLOWED,
    406: ErrorType.NOT_ACCEPTABLE,
    408: ErrorType.REQUEST_TIMEOUT,
    413: ErrorType.PAYLOAD_TOO_LARGE,
    415: ErrorType.UNSUPPORTED_MEDIA_TYPE,
    422: ErrorType.VALIDATION_ERROR,
    431: ErrorType.HEADERS_TOO_LARGE,
}


class ApiError(Exception):
    """An answer in the error shape: raised anywhere below a route, turned into a response by one handler."""

    def __init__(self, status: int, error_type: ErrorType, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.error_type = error_type
        self.message = message
        self.headers = headers


class ClientGone(Exception):
    """The client closed the connection before its request was answered."""


def error_body(message: str, error_type: ErrorType) -> dict[str, Any]:
    return {"error": message, "error_type": error_type.value}


def error_bytes(message: str, error_type: ErrorType) -> bytes:
    return json.dumps(error_body(message, error_type), ensure_ascii=False).encode("utf-8")


def error_response(
    status: int, message: str, error_type: ErrorType, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(error_body(message, error_type), status_code=status, headers=headers)


async def send_error(
    send, status: int, message: str, error_type: ErrorType, headers: Iterable[tuple[bytes, bytes]] = ()
) -> None:
    """Answer in the error shape straight over ASGI, with these headers after the content type and length.

    For the middleware and the protocol, which answer before (or around) the app and its error handler.
    """
    body = error_bytes(message, error_type)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *headers],
        }
    )
    await send({"type": "http.response.body", "body": body})
