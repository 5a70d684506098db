"""The shapes of requests and responses, for validation and the OpenAPI document.

Result fields follow fazhi.pipeline.results (SENTENCE_FIELDS, UNIT_FIELDS): a unit of
/v1/analyze or /v1/compare carries every unit field but ``doc``, which its
report gives once per response, so a response grows with the text sent and
not with the text times the length of its name.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictStr
from pydantic_core import PydanticCustomError

from fazhi.schema import ReportUnit, SentenceRow
from fazhi.serve.errors import ErrorType, error_body

__all__ = [
    "SentenceIn",
    "ClassifyRequest",
    "AnalyzeRequest",
    "ReportIn",
    "CompareRequest",
    "SentenceResult",
    "UnitResult",
    "ClassifyResponse",
    "AnalyzeResponse",
    "TaggedReport",
    "CompareResponse",
    "BatchingStats",
    "HealthResponse",
    "ModelInfoResponse",
    "ERROR_RESPONSES",
    "HEALTH_503",
    "UPLOAD_SCHEMA",
    "ReadResponse",
    "READ_RESPONSES",
]

_EXAMPLE_CONTEXT = "某区2023年政府信息公开工作年度报告 › 三、收到和处理政府信息公开申请情况"


# White space by Python (str.isspace, which also counts the separators \x1c-\x1f and \x85) or by the JSON Schema's
# ECMA-262 regexes (which also count the BOM): a sentence of nothing else is blank, and the schema's pattern says the
# same, so that a client generating from the schema and the validator agree on every string.
_BLANK_EXTRA = "\ufeff"
NON_BLANK_PATTERN = r"[^\s\x1c-\x1f\x85\ufeff]"


def _non_blank(text: str) -> str:
    if all(c.isspace() or c in _BLANK_EXTRA for c in text):
        raise PydanticCustomError(
            "invalid_text",
            "expected text with at least one character that is not a space, found {found}",
            {"found": "an empty string" if not text else "only spaces"},
        )
    return text


# A sentence to classify: a string with at least one character that is not white space.
Sentence = Annotated[StrictStr, AfterValidator(_non_blank), Field(json_schema_extra={"pattern": NON_BLANK_PATTERN})]


class SentenceIn(BaseModel):
    model_config = ConfigDict(extra="forbid", title="SentenceIn")
    text: Sentence
    context: StrictStr = Field(
        default="", description=f"the report title and headings above the sentence, e.g. '{_EXAMPLE_CONTEXT}'"
    )


class ClassifyRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"sentences": ["全面推行行政执法公示制度。", {"text": "无法提供26件。", "context": _EXAMPLE_CONTEXT}]}
            ]
        },
    )
    sentences: list[Sentence | SentenceIn] = Field(
        description="sentences to classify, each a string or {text, context}; at most the per-request limit "
        "(max_sentences)"
    )

    def pairs(self) -> list[tuple[str, str]]:
        return [(s, "") if isinstance(s, str) else (s.text, s.context) for s in self.sentences]


class AnalyzeRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"text": "一、主要工作\n全面推行行政执法公示制度。\n二、存在的问题\n行政复议案件办理质量有待提高。"}
            ]
        },
    )
    text: StrictStr = Field(description="the whole report text")
    doc: StrictStr = Field(
        default="report", max_length=200, description="the report's name, used in the summary (at most 200 characters)"
    )


class ReportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: StrictStr = Field(description="the whole report text")
    doc: StrictStr = Field(
        default="", max_length=200, description="the report's name (default: OLD or NEW; at most 200 characters)"
    )


class CompareRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "old": {
                        "doc": "2022",
                        "text": "二、存在的问题\n行政复议案件逐年上升，办案人员只有4名，案多人少矛盾突出。",
                    },
                    "new": {
                        "doc": "2023",
                        "text": "二、存在的问题\n行政复议案件持续增长，复议办案人员仍只有4名，案多人少的矛盾没有缓解。",
                    },
                }
            ]
        },
    )
    old: ReportIn = Field(description="the earlier report")
    new: ReportIn = Field(description="the later report")


# The result rows are fazhi.schema's TypedDicts, which pydantic validates and documents as they are.
SentenceResult = SentenceRow
UnitResult = ReportUnit


class ClassifyResponse(BaseModel):
    model: str
    results: list[SentenceResult]


class AnalyzeResponse(BaseModel):
    model: str
    doc: str
    text: str | None = Field(
        default=None,
        description="the report's text as read from an uploaded file (offsets count into it); "
        "null for a JSON request, whose text the client has",
    )
    units: list[UnitResult]
    summary: dict[str, Any]


class TaggedReport(BaseModel):
    doc: str
    units: list[UnitResult]


class CompareResponse(BaseModel):
    model: str
    old: TaggedReport
    new: TaggedReport
    comparison: dict[str, Any] = Field(
        description="the comparison of `fazhi compare --format json`: areas, areas_dropped, "
        "areas_added, carried_over, new_problems, new_measures, settings"
    )


class BatchingStats(BaseModel):
    batches: int
    jobs: int
    sentences: int
    largest_batch: int
    mean_batch: float
    cancelled_jobs: int
    failed_jobs: int
    queued_sentences: int


class HealthResponse(BaseModel):
    status: str
    model: str
    inference: str = Field(description="process: the model runs in worker processes; thread: in the server process")
    batching: BatchingStats
    worker_restarts: int | None = None
    workers_up: int | None = Field(default=None, description="model worker processes that can take a call now")


class ModelInfoResponse(BaseModel):
    name: str
    kind: str | None = Field(description="the model directory's kind: baseline, bert, cascade or hybrid")
    composition: str | None = Field(description="what the model is made of, in one line")
    labels: list[str]
    threshold: float
    max_chars: int | None
    context: bool = Field(description="true when the model's scores depend on a sentence's context")
    int8: bool = Field(
        description="true when the model runs with dynamic int8 quantisation (scores then have 4 decimals)"
    )
    real: dict[str, Any] | None = Field(
        description="headline figures on real published documents (by document, all parts), with 95% intervals"
    )
    evaluation: dict[str, Any] | None = Field(description="real-text and test figures per part (from evaluation.json)")
    model_card: str | None
    limits: dict[str, int | float] = Field(description="the service's limits (counts are integers, times in seconds)")


class ErrorResponse(BaseModel):
    error: str
    error_type: ErrorType


def _error(description: str, message: str, error_type: ErrorType) -> dict[str, Any]:
    return {
        "description": description,
        "model": ErrorResponse,
        "content": {"application/json": {"example": error_body(message, error_type)}},
    }


HEALTH_503 = _error(
    "The model cannot answer now: its worker is down, restarting or stopped, a call passed the time limit, "
    "or the model gave scores that are not numbers",
    "the model worker stopped: it was killed by SIGKILL; restarting it",
    ErrorType.MODEL_UNAVAILABLE,
)
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _error(
        "A malformed request, or a Host header that is not allowed",
        "host 'evil.example' is not allowed",
        ErrorType.HOST_NOT_ALLOWED,
    ),
    408: _error(
        "The body was not received within the time limit (or was shorter than its Content-Length)",
        "the request body was not received within 15 s (its Content-Length announced 1000 bytes)",
        ErrorType.REQUEST_TIMEOUT,
    ),
    413: _error(
        "Request body over the size limit",
        "request body too large: 3000000 bytes, the limit is 2097152 bytes",
        ErrorType.PAYLOAD_TOO_LARGE,
    ),
    415: _error(
        "A body that is not application/json",
        "expected a body of type application/json, found 'text/plain'",
        ErrorType.UNSUPPORTED_MEDIA_TYPE,
    ),
    422: _error(
        "Invalid JSON, wrong types, missing fields, blank sentences, too many sentences or too many units",
        "missing field 'sentences'",
        ErrorType.VALIDATION_ERROR,
    ),
    500: _error(
        "The model gave scores that are not numbers (a damaged model)",
        "the model gave scores that are not finite numbers",
        ErrorType.MODEL_ERROR,
    ),
    503: _error(
        "The model cannot answer now, or the server has too many requests or connections",
        "the model did not answer within 10 s; its worker is being restarted",
        ErrorType.MODEL_UNAVAILABLE,
    ),
}

UPLOAD_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["file"],
    "properties": {
        "file": {
            "type": "string",
            "format": "binary",
            "description": "the report: .txt, .html, .docx or .pdf (read as `fazhi tag` "
            "reads it); its file name names the report",
        },
    },
    "additionalProperties": False,
}


class ReadResponse(BaseModel):
    doc: str = Field(description="the uploaded file's name (at most 200 characters)")
    text: str = Field(description="the report's text as `fazhi tag` reads it (what /v1/analyze would tag)")


# /v1/read takes only an upload and runs no model: its 415 and 422 are an upload's, and its only 500 is a fault of
# ours in a reader (no model error).
READ_RESPONSES: dict[int | str, dict[str, Any]] = {
    **{k: v for k, v in ERROR_RESPONSES.items() if k in (400, 408, 413)},
    415: _error(
        "A body that is not multipart/form-data",
        "expected a body of type multipart/form-data, found 'application/json'",
        ErrorType.UNSUPPORTED_MEDIA_TYPE,
    ),
    422: _error(
        "No file part, other parts, or a file that holds no report text that can be read",
        "file: a.docx: not a readable .docx document (BadZipFile)",
        ErrorType.UNREADABLE_FILE,
    ),
    500: _error(
        "A reader failed in a way it should not (a fault of fazhi's: the file type and the message help us fix it)",
        "internal error (IndexError)",
        ErrorType.INTERNAL_ERROR,
    ),
    503: _error(
        "The server has too many requests or connections",
        "the server is answering 64 requests, its limit (limit_concurrency); try again shortly",
        ErrorType.SERVER_BUSY,
    ),
}
