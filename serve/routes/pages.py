"""The pages: ``/`` (tag a report) and ``/compare`` (two years side by side), served from serve/static."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

__all__ = ["router", "STATIC_DIR"]

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
async def index() -> HTMLResponse:
    return HTMLResponse((STATIC_DIR / "index.html").read_text(encoding="utf-8"))


@router.get("/compare", response_class=HTMLResponse)
async def compare_page() -> HTMLResponse:
    return HTMLResponse((STATIC_DIR / "compare.html").read_text(encoding="utf-8"))
