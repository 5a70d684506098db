"""Request bodies: read whole within a size and a time limit, then parsed as JSON (or a multipart upload).

The body is parsed here rather than by FastAPI so that every malformed body
(bad UTF-8, deep nesting, wrong types) gets the same 422 answer in the error
shape, and so that a body of the wrong media type is refused (415) before any
work: a page on another site can POST ``text/plain`` without a CORS preflight,
but never ``application/json``.
"""

from __future__ import annotations

import asyncio
import email.parser
import email.policy
import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import Request
from pydantic import BaseModel, ValidationError

from fazhi.reading import UnreadableFile, read_report_bytes
from fazhi.serve.errors import ApiError, ClientGone, ErrorType, send_error

__all__ = [
    "BodyReader",
    "Upload",
    "media_type",
    "parse_json",
    "parse_upload",
    "read_upload",
    "describe_errors",
    "json_kind",
]

log = logging.getLogger("fazhi.serve")
M = TypeVar("M", bound=BaseModel)
JSON = "application/json"
MULTIPART = "multipart/form-data"
_SURROGATE = re.compile("[\ud800-\udfff]")


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
    async def _refuse(send, status: int, message: str, error_type: ErrorType) -> None:
        await send_error(send, status, message, error_type, [(b"connection", b"close")])

    async def _read(self, receive) -> bytes:
        chunks = []
        total = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise ClientGone
            total += len(message.get("body", b""))
            if total > self.max_bytes:
                raise ApiError(
                    413,
                    ErrorType.PAYLOAD_TOO_LARGE,
                    f"request body too large: more than {self.max_bytes} bytes, the limit is {self.max_bytes} bytes",
                )
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
                    await self._refuse(
                        send, 400, f"invalid Content-Length header: {value[:40]!r}", ErrorType.BAD_REQUEST
                    )
                    return
                break
        if declared is not None and declared > self.max_bytes:
            await self._refuse(
                send,
                413,
                f"request body too large: {declared} bytes, the limit is {self.max_bytes} bytes",
                ErrorType.PAYLOAD_TOO_LARGE,
            )
            return
        try:
            body = await asyncio.wait_for(self._read(receive), self.timeout)
        except (asyncio.TimeoutError, TimeoutError):
            announced = "" if declared is None else f" (its Content-Length announced {declared} bytes)"
            await self._refuse(
                send,
                408,
                f"the request body was not received within {self.timeout:g} s{announced}",
                ErrorType.REQUEST_TIMEOUT,
            )
            return
        except ApiError as exc:
            await self._refuse(send, exc.status, exc.message, exc.error_type)
            return
        except ClientGone:
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


# --- media types ------------------------------------------------------------------------------
def media_type(request: Request) -> str:
    """The request's media type, lower case, without parameters ('' when there is no Content-Type)."""
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def require_media_type(request: Request, accepted: Sequence[str]) -> str:
    found = media_type(request)
    if found not in accepted:
        shown = f"'{found}'" if found else "no Content-Type"
        raise ApiError(
            415, ErrorType.UNSUPPORTED_MEDIA_TYPE, f"expected a body of type {' or '.join(accepted)}, found {shown}"
        )
    return found


# --- JSON ----------------------------------------------------------------------------------
def json_kind(value: Any) -> str:
    if value is None:
        return "null"
    return {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "an array",
        dict: "an object",
    }.get(type(value), type(value).__name__)


_VALIDATOR_STEP = re.compile(r"function-(?:after|before|wrap|plain)\[")


def describe_errors(errors: Sequence[Any]) -> str:
    """Pydantic's errors in the request's own words: the field's path and what was found, never our class names."""
    parts = []
    for err in errors:
        kind = err.get("type", "")
        loc = [str(x) for x in err.get("loc", ()) if x not in ("body",)]
        # A union's members appear in the path by class, by type name or by validator (SentenceIn, str,
        # function-after[_non_blank(), str]): drop them.
        loc = [x for x in loc if not (x[:1].isupper() or x in ("str", "constrained-str") or _VALIDATOR_STEP.match(x))]
        where = ".".join(loc) or "body"
        got = err.get("input")
        if kind == "missing":
            parts.append(f"missing field '{where}'")
        elif where == "body":
            parts.append(f"expected a JSON object, found {json_kind(got)}")
        elif kind == "extra_forbidden":
            parts.append(f"{where}: unknown field")
        elif kind == "value_error":
            parts.append(f"{where}: {str(err.get('msg', 'invalid value')).removeprefix('Value error, ')}")
        else:
            msg = str(err.get("msg", "invalid value"))
            msg = re.sub(r"(?:a valid )?(?:dictionary or )?instance of [A-Za-z_]+", "an object", msg)
            shown = f" (found {json_kind(got)})" if kind.endswith("_type") else ""
            parts.append(f"{where}: {msg}{shown}")
    seen: list[str] = []
    for p in parts:  # a union gives one error per member, often the same once class names are gone
        if p not in seen:
            seen.append(p)
    return "; ".join(seen) or "invalid request"


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


def validate(model: type[M], data: Any) -> M:
    """data checked against model: 422 naming the field for anything that does not fit."""
    if not isinstance(data, dict):
        raise ApiError(422, ErrorType.VALIDATION_ERROR, f"expected a JSON object, found {json_kind(data)}")
    try:
        body = model.model_validate(data)
    except ValidationError as exc:
        kind = (
            ErrorType.INVALID_TEXT
            if any(e.get("type") == "invalid_text" for e in exc.errors())
            else ErrorType.VALIDATION_ERROR
        )
        raise ApiError(422, kind, describe_errors(exc.errors())) from None
    where = _find_surrogate(body.model_dump(), "")
    if where:
        raise ApiError(
            422,
            ErrorType.INVALID_TEXT,
            f"{where}: contains an unpaired UTF-16 surrogate, which is not valid Unicode text",
        )
    return body


def decode_json(raw: bytes) -> Any:
    raw = raw.removeprefix(b"\xef\xbb\xbf")
    if not raw.strip():
        raise ApiError(422, ErrorType.VALIDATION_ERROR, "the request body is empty: expected a JSON object")
    try:
        return json.loads(raw)
    except UnicodeDecodeError:
        raise ApiError(422, ErrorType.INVALID_JSON, "the body is not valid JSON: it is not UTF-8 encoded") from None
    except json.JSONDecodeError as exc:
        raise ApiError(
            422,
            ErrorType.INVALID_JSON,
            f"the body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
        ) from None
    except RecursionError:
        raise ApiError(422, ErrorType.INVALID_JSON, "the body is not acceptable JSON: nested too deeply") from None
    except ValueError as exc:
        raise ApiError(422, ErrorType.INVALID_JSON, f"the body is not valid JSON: {exc}") from None


async def parse_json(request: Request, model: type[M]) -> M:
    """The request's JSON body as model; 415 for another media type, 422 for anything that does not fit."""
    require_media_type(request, (JSON,))
    return validate(model, decode_json(await request.body()))


# --- multipart uploads ----------------------------------------------------------------------
@dataclass(frozen=True)
class Upload:
    """A file sent as multipart/form-data: its bytes, its file name, and the form's other text fields."""

    data: bytes
    filename: str
    fields: dict[str, str]


def parse_upload(content_type: str, raw: bytes, field: str = "file") -> Upload:
    """The file in field of a multipart/form-data body (already read within the body limits)."""
    parser = email.parser.BytesParser(policy=email.policy.HTTP)
    message = parser.parsebytes(b"Content-Type: " + content_type.encode("latin-1", "replace") + b"\r\n\r\n" + raw)
    if not message.is_multipart():
        raise ApiError(
            422, ErrorType.VALIDATION_ERROR, "the multipart body could not be read: expected parts with a boundary"
        )
    file: Upload | None = None
    fields: dict[str, str] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        if name == field:
            filename = part.get_filename() or ""
            file = Upload(data, filename if isinstance(filename, str) else "", {})
        else:
            fields[name] = data.decode("utf-8", errors="replace")
    if file is None:
        found = ", ".join(f"'{k}'" for k in fields) or "none"
        raise ApiError(
            422,
            ErrorType.VALIDATION_ERROR,
            f"missing field '{field}': expected the report as a file part named '{field}', found parts {found}",
        )
    if fields:
        raise ApiError(
            422,
            ErrorType.VALIDATION_ERROR,
            f"unknown field {next(iter(fields))!r}: expected only the file part "
            f"'{field}' (its file name names the report)",
        )
    return Upload(file.data, file.filename, fields)


async def read_upload(content_type: str, raw: bytes) -> tuple[str, str]:
    """(doc, text) of the report in the ``file`` part of a multipart body (already read within the body limits):
    its file name, without folders, and its text; 422 ``unreadable_file`` when it holds no text that can be read."""
    upload = parse_upload(content_type, raw)
    name = upload.filename.replace("\\", "/").rsplit("/", 1)[-1] or "report"
    try:
        text = await asyncio.to_thread(read_report_bytes, upload.data, name)
    except UnreadableFile as exc:
        raise ApiError(422, ErrorType.UNREADABLE_FILE, f"file: {exc}") from None
    return name[:200], text
