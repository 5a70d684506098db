"""Long work of a request, bounded, and cancelled when its client leaves.

Every stage of /v1/analyze and /v1/compare runs inside
:func:`unless_client_leaves`: reading an upload and segmentation (in a thread
for long text; both bounded by the body limit and max_units), tagging (one
batcher job per request, whose pieces not yet computed are dropped), and
compare's matching (in a process of its own, killed: serve.compare_job). A
cancelled job leaves no exception behind that nobody retrieves.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from itertools import islice
from typing import TypeVar

from fastapi import Request

from fazhi.pipeline.context import unit_contexts
from fazhi.pipeline.results import unit_results
from fazhi.pipeline.segment import Unit, iter_units
from fazhi.schema import UnitRow
from fazhi.serve.batching import MicroBatcher
from fazhi.serve.errors import ApiError, ClientGone, ErrorType

__all__ = ["segment_report", "tag_reports", "unless_client_leaves"]

T = TypeVar("T")
# Text this long or shorter is segmented on the event loop; longer text in a thread.
_INLINE_SEGMENT_CHARS = 2000


async def segment_report(text: str, max_units: int) -> list[Unit]:
    """The units of a report, refused with 422 past max_units (segmentation stops there: a 2 MB text of
    two-character units would otherwise hold the server for seconds before being refused)."""

    def cut() -> list[Unit]:
        return list(islice(iter_units(text), max_units + 1))

    units = cut() if len(text) <= _INLINE_SEGMENT_CHARS else await asyncio.to_thread(cut)
    if len(units) > max_units:
        raise ApiError(
            422,
            ErrorType.TOO_MANY_UNITS,
            f"too many sentence units: the report has more than {max_units}, the limit "
            "per report (max_units); split it into parts and send them separately",
        )
    return units


async def tag_reports(batcher: MicroBatcher, reports: list[tuple[str, str]], max_units: int) -> list[list[UnitRow]]:
    """The unit rows of each (doc, text), each report under max_units, tagged in one batcher job (so that a
    cancelled request cancels one job, and no gathered task is left with an exception)."""
    segmented = [await segment_report(text, max_units) for _, text in reports]
    items = [pair for units in segmented for pair in zip([u.text for u in units], unit_contexts(units), strict=True)]
    results = await batcher.submit(items)
    rows, offset = [], 0
    for (doc, _), units in zip(reports, segmented, strict=True):
        rows.append(unit_results(doc, units, results[offset : offset + len(units)]))
        offset += len(units)
    return rows


async def _until_disconnected(request: Request) -> None:
    # Once the body has been read, receive() returns only when the client disconnects (or the response is sent).
    while (await request.receive())["type"] != "http.disconnect":
        pass


def _retrieve(task: asyncio.Future) -> None:
    if not task.cancelled():
        task.exception()  # marks it retrieved: a job that failed after its client left is nobody's to report


async def unless_client_leaves(request: Request, work: Awaitable[T]) -> T:
    """The result of work; if the client disconnects first, work is cancelled (a batcher job then drops
    its sentences not yet computed) and the request ends without an answer (ClientGone)."""
    job = asyncio.ensure_future(work)
    watch = asyncio.ensure_future(_until_disconnected(request))
    job.add_done_callback(_retrieve)
    watch.add_done_callback(_retrieve)
    try:
        await asyncio.wait((job, watch), return_when=asyncio.FIRST_COMPLETED)
    except BaseException:  # this request itself was cancelled (the server is stopping)
        job.cancel()
        watch.cancel()
        raise
    watch.cancel()
    if job.done():
        return job.result()
    job.cancel()
    raise ClientGone
