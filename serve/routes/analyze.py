"""``POST /v1/analyze``: a whole report, as JSON text or an uploaded file, segmented, tagged and summarised.

A JSON body ``{"text", "doc"?}``; or ``multipart/form-data`` with the report
in a ``file`` field (``.txt``, ``.html``, ``.docx``, ``.pdf``, read by the
readers of ``fazhi tag``; its file name names the report), under the same
body size and time limits (serve.body.read_upload, which /v1/read
shares). For an upload the response also carries the text read, into which
the units' offsets count.
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from fazhi.review.report import review_summary
from fazhi.serve.body import JSON, MULTIPART, decode_json, read_upload, require_media_type, validate
from fazhi.serve.deps import BatcherDep, ServiceDep
from fazhi.serve.jobs import tag_reports, unless_client_leaves
from fazhi.serve.routes import request_body
from fazhi.serve.schemas import ERROR_RESPONSES, UPLOAD_SCHEMA, AnalyzeRequest, AnalyzeResponse

__all__ = ["router", "read_analyze_request"]

router = APIRouter()


async def read_analyze_request(request: Request) -> tuple[str, str, bool]:
    """(doc, text, uploaded) from a JSON body or a multipart upload."""
    kind = require_media_type(request, (JSON, MULTIPART))
    raw = await request.body()
    if kind == JSON:
        body = validate(AnalyzeRequest, decode_json(raw))
        return body.doc, body.text, False
    doc, text = await read_upload(request.headers["content-type"], raw)
    return doc, text, True


@router.post(
    "/v1/analyze",
    response_model=AnalyzeResponse,
    responses=ERROR_RESPONSES,
    openapi_extra=request_body(AnalyzeRequest, {MULTIPART: {"schema": UPLOAD_SCHEMA}}),
    summary="Analyze a whole report (JSON text or an uploaded file): segmented, every unit tagged, and summarised",
)
async def analyze(request: Request, service: ServiceDep, batcher: BatcherDep) -> AnalyzeResponse:
    doc, text, uploaded = await unless_client_leaves(request, read_analyze_request(request))
    (rows,) = await unless_client_leaves(request, tag_reports(batcher, [(doc, text)], service.settings.max_units))
    summary = review_summary(doc, rows)  # with issue 20's report type, outline and figures
    return AnalyzeResponse.model_validate(
        {
            "model": service.info["name"],
            "doc": doc,
            "text": text if uploaded else None,
            "units": rows,
            "summary": summary,
        }
    )
