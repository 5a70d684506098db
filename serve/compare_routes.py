"""The year-over-year comparison in `fazhi serve`: the page at ``/compare`` and ``POST /v1/compare``.

``POST /v1/compare`` ``{"old": {"text", "doc"?}, "new": {"text", "doc"?}}`` →
both reports segmented and tagged (their units, as ``/v1/analyze`` gives them)
and the comparison of ``fazhi compare`` (fazhi.compare). Model calls go
through the app's batcher, so they share the worker with other requests.
Errors have the API's shared ``{"error", "error_type"}`` body.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field, StrictStr

from fazhi.compare import compare_reports
from fazhi.context import unit_contexts
from fazhi.results import unit_results
from fazhi.serve.app import ERROR_RESPONSES, UnitResult, _parse, _request_body, segment_report, unless_client_leaves
from fazhi.serve.batching import MicroBatcher

__all__ = ["CompareRequest", "CompareResponse", "add_compare_routes"]

# serve.app imports this module inside create_app, once app itself is loaded, so importing from it here makes no cycle.


class ReportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: StrictStr = Field(description="the whole report text")
    doc: StrictStr = Field(default="", description="the report's name (default: OLD or NEW)")


class CompareRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "old": {"doc": "2022", "text": "二、存在的问题\n行政复议案件逐年上升，办案人员只有4名，案多人少矛盾突出。"},
        "new": {"doc": "2023", "text": "二、存在的问题\n行政复议案件持续增长，复议办案人员仍只有4名，案多人少的矛盾没有缓解。"}}]})
    old: ReportIn = Field(description="the earlier report")
    new: ReportIn = Field(description="the later report")


class TaggedReportOut(BaseModel):
    doc: str
    units: list[UnitResult]


class CompareResponse(BaseModel):
    model: str
    old: TaggedReportOut
    new: TaggedReportOut
    comparison: dict[str, Any] = Field(description="the comparison of `fazhi compare --format json`: areas, areas_dropped, "
                                       "areas_added, carried_over, new_problems, new_measures, settings")


def add_compare_routes(app: FastAPI, batcher: MicroBatcher, model_name: str, page: str) -> None:
    """Register GET /compare (the page) and POST /v1/compare on app."""
    async def tag(doc: str, text: str) -> list[dict]:
        units = await segment_report(text, app.state.settings.max_units)  # each report under the /v1/analyze limit
        results = await batcher.submit(list(zip([u.text for u in units], unit_contexts(units), strict=True)))
        return unit_results(doc, units, results)

    @app.get("/compare", response_class=HTMLResponse, include_in_schema=False)
    async def compare_page() -> HTMLResponse:
        return HTMLResponse(page)

    @app.post("/v1/compare", response_model=CompareResponse, responses=ERROR_RESPONSES,
              openapi_extra=_request_body(CompareRequest),
              summary="Compare two reports of one body: areas, carried-over problems, new measures")
    async def compare(request: Request) -> CompareResponse:
        body = await _parse(request, CompareRequest)
        old_doc, new_doc = body.old.doc or "OLD", body.new.doc or "NEW"
        old_rows, new_rows = await unless_client_leaves(request, asyncio.gather(tag(old_doc, body.old.text), tag(new_doc, body.new.text)))
        comparison = await asyncio.to_thread(compare_reports, old_doc, old_rows, new_doc, new_rows)
        return CompareResponse.model_validate({"model": model_name, "old": {"doc": old_doc, "units": old_rows},
                                               "new": {"doc": new_doc, "units": new_rows}, "comparison": comparison})
