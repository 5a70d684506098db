"""``POST /v1/classify``: one result per sentence, in order."""

from __future__ import annotations

from fastapi import APIRouter, Request

from fazhi.serve.body import parse_json
from fazhi.serve.deps import BatcherDep, ServiceDep
from fazhi.serve.errors import ApiError, ErrorType
from fazhi.serve.jobs import unless_client_leaves
from fazhi.serve.routes import request_body
from fazhi.serve.schemas import ERROR_RESPONSES, ClassifyRequest, ClassifyResponse

__all__ = ["router"]

router = APIRouter()


@router.post(
    "/v1/classify",
    response_model=ClassifyResponse,
    responses=ERROR_RESPONSES,
    openapi_extra=request_body(ClassifyRequest),
    summary="Classify sentences: one result per sentence, in order",
)
async def classify(request: Request, service: ServiceDep, batcher: BatcherDep) -> ClassifyResponse:
    body = await parse_json(request, ClassifyRequest)
    n, limit = len(body.sentences), service.settings.max_sentences
    if n > limit:
        raise ApiError(
            422,
            ErrorType.TOO_MANY_SENTENCES,
            f"too many sentences: {n} given, the limit is {limit} per request "
            "(max_sentences); split them over several requests",
        )
    results = await unless_client_leaves(request, batcher.submit(body.pairs()))
    return ClassifyResponse.model_validate({"model": service.info["name"], "results": results})
