"""``POST /v1/compare``: two reports of one body tagged, and the comparison of ``fazhi compare``.

``{"old": {"text", "doc"?}, "new": {"text", "doc"?}}`` → both reports' units
(as /v1/analyze gives them) and fazhi.review.compare's comparison. Tagging goes
through the batcher; matching runs in a process of its own (serve.compare_job):
both end when the client leaves.
"""

from __future__ import annotations

from fastapi import APIRouter, Request

from fazhi.serve.body import parse_json
from fazhi.serve.compare_job import compare_in_process
from fazhi.serve.deps import BatcherDep, ServiceDep
from fazhi.serve.jobs import tag_reports, unless_client_leaves
from fazhi.serve.routes import request_body
from fazhi.serve.schemas import ERROR_RESPONSES, CompareRequest, CompareResponse

__all__ = ["router"]

router = APIRouter()


@router.post(
    "/v1/compare",
    response_model=CompareResponse,
    responses=ERROR_RESPONSES,
    openapi_extra=request_body(CompareRequest),
    summary="Compare two reports of one body: areas, carried-over problems, new measures",
)
async def compare(request: Request, service: ServiceDep, batcher: BatcherDep) -> CompareResponse:
    body = await parse_json(request, CompareRequest)
    old_doc, new_doc = body.old.doc or "OLD", body.new.doc or "NEW"
    old_rows, new_rows = await unless_client_leaves(
        request, tag_reports(batcher, [(old_doc, body.old.text), (new_doc, body.new.text)], service.settings.max_units)
    )
    comparison = await unless_client_leaves(
        request, compare_in_process(old_doc, old_rows, new_doc, new_rows, service.settings.compare_timeout_s)
    )
    return CompareResponse.model_validate(
        {
            "model": service.info["name"],
            "old": {"doc": old_doc, "units": old_rows},
            "new": {"doc": new_doc, "units": new_rows},
            "comparison": comparison,
        }
    )
