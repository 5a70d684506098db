"""The service's routers, one per concern; each route is small and returns a response model.

Request bodies are read by serve.body rather than by FastAPI (so every
malformed body gets the same answer), so their schemas are declared here for
the OpenAPI document: :func:`request_body` points at components/schemas, and
:data:`BODY_SCHEMAS` holds those components for the app's openapi().
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

__all__ = ["BODY_SCHEMAS", "request_body"]

REF = "#/components/schemas/{model}"
BODY_SCHEMAS: dict[str, Any] = {}


def request_body(model: type[BaseModel], extra_content: dict[str, Any] | None = None) -> dict[str, Any]:
    schema = model.model_json_schema(ref_template=REF)
    BODY_SCHEMAS.update(schema.pop("$defs", {}))
    BODY_SCHEMAS[model.__name__] = schema
    content: dict[str, Any] = {"application/json": {"schema": {"$ref": REF.format(model=model.__name__)}}}
    content.update(extra_content or {})
    return {"requestBody": {"required": True, "content": content}}
