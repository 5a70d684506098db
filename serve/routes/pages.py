"""The pages: ``/`` (tag a report) and ``/compare`` (two years side by side), served from serve/static, and
``/static/common.js``, the script both load (their shared words, language switch and helpers; the CSP's
``script-src 'self'`` allows it)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

__all__ = ["router", "STATIC_DIR"]

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
async def index() -> HTMLResponse:
    return HTMLResponse((STATIC_DIR / "index.html").read_text(encoding="utf-8"))


@router.get("/compare", response_class=HTMLResponse)
async def compare_page() -> HTMLResponse:
    return HTMLResponse((STATIC_DIR / "compare.html").read_text(encoding="utf-8"))


@router.get("/static/common.js")
async def common_script() -> Response:
    # Its own type: the pages are sent with X-Content-Type-Options: nosniff, under which a script must be one.
    return Response((STATIC_DIR / "common.js").read_bytes(), media_type="text/javascript; charset=utf-8")
