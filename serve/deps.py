"""What routes take from the app: the running Service and its parts (FastAPI dependencies)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from fazhi.serve.batching import MicroBatcher
from fazhi.serve.errors import RETRY_AFTER_S, ApiError, ErrorType
from fazhi.serve.service import Service
from fazhi.serve.settings import ServeSettings

__all__ = ["ServiceDep", "BatcherDep", "SettingsDep", "get_service"]


def get_service(request: Request) -> Service:
    return request.app.state.service


def get_batcher(request: Request) -> MicroBatcher:
    batcher = get_service(request).batcher
    if batcher is None:
        raise ApiError(503, ErrorType.MODEL_UNAVAILABLE, "the model is loading", {"Retry-After": RETRY_AFTER_S})
    return batcher


def get_settings(request: Request) -> ServeSettings:
    return get_service(request).settings


ServiceDep = Annotated[Service, Depends(get_service)]
BatcherDep = Annotated[MicroBatcher, Depends(get_batcher)]
SettingsDep = Annotated[ServeSettings, Depends(get_settings)]
