"""``POST /v1/read``: the text of an uploaded report, read as ``fazhi tag`` reads it, and nothing else.

``multipart/form-data`` with the report in a ``file`` field (``.txt``,
``.html``, ``.docx``, ``.pdf``) → ``{"doc", "text"}``: the file's name and
its text. The compare page reads each year's file with it into that side's
text box, which then goes to ``/v1/compare``. The upload is read exactly as
``/v1/analyze``'s is (serve.body.read_upload, which both routes call): under the
same body size and time limits (serve.body.BodyReader), by the same readers,
in a thread that is left behind when the client leaves. No model is called.
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from fazhi.serve.body import MULTIPART, read_upload, require_media_type
from fazhi.serve.jobs import unless_client_leaves
from fazhi.serve.schemas import READ_RESPONSES, UPLOAD_SCHEMA, ReadResponse

__all__ = ["router"]

router = APIRouter()
# A .txt report, as the docs' "try it out" and schemathesis send it.
_EXAMPLE = {"file": "一、主要工作\n全面推行行政执法公示制度。\n二、存在的问题\n行政复议案件办理质量有待提高。\n"}


@router.post(
    "/v1/read",
    response_model=ReadResponse,
    responses=READ_RESPONSES,
    openapi_extra={
        "requestBody": {"required": True, "content": {MULTIPART: {"schema": UPLOAD_SCHEMA, "example": _EXAMPLE}}}
    },
    summary="Read an uploaded report (.txt, .html, .docx, .pdf) as `fazhi tag` reads it: its name and text",
)
async def read(request: Request) -> ReadResponse:
    require_media_type(request, (MULTIPART,))
    raw = await request.body()
    doc, text = await unless_client_leaves(request, read_upload(request.headers["content-type"], raw))
    return ReadResponse(doc=doc, text=text)
