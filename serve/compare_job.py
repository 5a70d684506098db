"""fazhi.review.compare's matching in a process of its own, so that it ends when its client leaves.

Matching two 5,000-unit reports takes about a minute of CPU; a thread cannot be
stopped, a process can. Each call forks from a small server process that has
already imported fazhi.review.compare (multiprocessing's forkserver, started on the
first compare), so a call starts in milliseconds. Rows and the comparison
cross as JSON over a multiprocessing Connection.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
from multiprocessing.connection import Connection
from typing import Any

from fazhi.review.compare import compare_reports
from fazhi.serve.errors import ApiError, ErrorType

__all__ = ["compare_in_process"]

_context = multiprocessing.get_context("forkserver")
_context.set_forkserver_preload(["fazhi.review.compare"])


def _child(conn: Connection) -> None:
    old_doc, old_rows, new_doc, new_rows = json.loads(conn.recv_bytes())
    conn.send_bytes(
        json.dumps(compare_reports(old_doc, old_rows, new_doc, new_rows), ensure_ascii=False).encode("utf-8")
    )
    conn.close()


def _exchange(conn: Connection, payload: bytes) -> bytes:
    conn.send_bytes(payload)
    return conn.recv_bytes()


async def compare_in_process(
    old_doc: str, old_rows: list[dict], new_doc: str, new_rows: list[dict], timeout_s: float
) -> dict[str, Any]:
    """compare_reports(...) computed in a child process, killed when this call is cancelled or passes timeout_s."""
    ours, theirs = _context.Pipe()
    proc = _context.Process(target=_child, args=(theirs,), name="fazhi-compare", daemon=True)
    proc.start()
    theirs.close()
    payload = json.dumps([old_doc, old_rows, new_doc, new_rows], ensure_ascii=False).encode("utf-8")
    try:
        answer = await asyncio.wait_for(asyncio.to_thread(_exchange, ours, payload), timeout_s)
    except (asyncio.TimeoutError, TimeoutError):
        raise ApiError(
            503,
            ErrorType.SERVER_BUSY,
            f"the comparison did not finish within {timeout_s:g} s (compare_timeout_s); compare shorter reports",
        ) from None
    finally:
        if proc.is_alive():
            proc.kill()  # the client left, or time ran out: its thread then sees the connection end
        await asyncio.to_thread(proc.join)
        ours.close()
    return json.loads(answer)
