"""`fazhi serve`: the HTTP API and the web page."""

from __future__ import annotations

import os
import sys

from fazhi.cli.options import add_command
from fazhi.errors import EXIT_MODEL
from fazhi.serve.settings import ServeSettings


def add_parser(sub) -> None:
    add_command(
        sub,
        "serve",
        ServeSettings,
        serve,
        help="run the HTTP API and the web page",
        description="Serve the HTTP API (POST /v1/classify, POST /v1/analyze, GET /v1/model, GET /healthz; "
        "OpenAPI docs at /docs) and a page at / that highlights every sentence of a pasted report. Concurrent "
        "requests share model calls (micro-batching); errors answer {\"error\", \"error_type\"}.",
    )


def serve(settings: ServeSettings) -> int:
    """Serve until stopped; the exit status (EXIT_MODEL when the model's worker cannot start)."""
    from fazhi.serve.app import run_server  # fastapi and uvicorn, only when serving
    from fazhi.serve.worker import WorkerError

    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    try:
        run_server(settings)
    except WorkerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_MODEL
    return 0
