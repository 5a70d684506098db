"""``GET /healthz`` (and HEAD) and ``GET /v1/model``."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter

from fazhi.serve.deps import ServiceDep
from fazhi.serve.errors import RETRY_AFTER_S, ApiError, ErrorType
from fazhi.serve.schemas import HEALTH_503, BatchingStats, HealthResponse, ModelInfoResponse

__all__ = ["router", "LIMITS"]

# The settings /v1/model shows as the service's limits.
LIMITS = (
    "max_body_bytes",
    "max_sentences",
    "max_units",
    "max_batch",
    "batch_wait_ms",
    "model_timeout_s",
    "body_timeout_s",
    "header_timeout_s",
    "max_header_bytes",
    "max_headers",
    "max_connections",
    "limit_concurrency",
    "compare_timeout_s",
)
router = APIRouter()


@router.get(
    "/healthz",
    responses={503: HEALTH_503},
    summary="Health: 200 with batching statistics when the model answers, 503 while it cannot",
)
@router.head("/healthz", include_in_schema=False)  # for load balancers and `curl -I`
async def healthz(service: ServiceDep) -> HealthResponse:
    problem = service.health()
    if problem is not None or service.model is None or service.batcher is None:
        raise ApiError(
            503, ErrorType.MODEL_UNAVAILABLE, problem or "the model is loading", {"Retry-After": RETRY_AFTER_S}
        )
    pool = service.pool
    return HealthResponse(
        status="ok",
        model=service.model.name,
        inference="process" if pool else "thread",
        batching=BatchingStats(**service.batcher.snapshot()),
        worker_restarts=pool.restarts if pool else None,
        workers_up=pool.up if pool else None,
    )


@router.get(
    "/v1/model", summary="The model: name, labels, threshold, context, limits, and its real-text and test figures"
)
async def model_endpoint(service: ServiceDep) -> ModelInfoResponse:
    limits = {k: v for k, v in asdict(service.settings).items() if k in LIMITS and v is not None}
    return ModelInfoResponse(**service.info, limits=limits)
