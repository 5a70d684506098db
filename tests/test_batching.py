"""The micro-batcher: fair shares of each model call, cancelled jobs dropped, calls bounded in time."""

import asyncio
import threading
import time

import pytest

from fazhi.serve.batching import MicroBatcher, ModelUnavailable, fair_shares


@pytest.mark.parametrize(
    "remaining, capacity, shares",
    [
        ([3, 1, 2], 64, [3, 1, 2]),  # everything fits
        ([340_000, 1, 1], 64, [62, 1, 1]),  # the small jobs go whole, the big one takes the rest
        ([100, 100, 1], 64, [32, 31, 1]),  # big jobs split what is left; the earlier one gets the odd sentence
        ([1] * 70, 64, [1] * 64 + [0] * 6),  # more jobs than places: one each, in arrival order
        ([5, 500, 1] + [1] * 70, 64, [1] * 64 + [0] * 9),
    ],
)
def test_fair_shares_fill_a_call_by_max_min_fairness(remaining, capacity, shares):
    got = fair_shares(remaining, capacity)
    assert got == shares
    assert sum(got) == min(capacity, sum(remaining)) and all(0 <= g <= r for g, r in zip(got, remaining, strict=True))


class Recorder:
    """predict() for the batcher: records each call's items and answers each item with itself."""

    def __init__(self, seconds: float = 0.0) -> None:
        self.calls: list[list] = []
        self.seconds = seconds

    def __call__(self, items: list) -> list:
        self.calls.append(list(items))
        time.sleep(self.seconds)
        return [("done", item) for item in items]


def _run(scenario):
    return asyncio.run(asyncio.wait_for(scenario(), 60))


def test_a_big_job_is_cut_into_calls_of_max_batch_and_a_small_job_goes_in_the_next_call():
    model = Recorder(seconds=0.01)
    big = [f"b{i}" for i in range(1000)]

    async def scenario():
        batcher = MicroBatcher(model, max_batch=64, wait_ms=0)
        await batcher.start()
        try:
            big_job = asyncio.create_task(batcher.submit(big))
            while not model.calls:
                await asyncio.sleep(0.001)
            small = await batcher.submit(["s0"])
            calls_when_small_done = len(model.calls)
            results = await big_job
        finally:
            await batcher.stop()
        return small, calls_when_small_done, results

    small, calls_when_small_done, results = _run(scenario)
    assert small == [("done", "s0")]
    assert results == [("done", b) for b in big]  # in order, whole
    assert max(len(c) for c in model.calls) <= 64
    assert calls_when_small_done <= 3, "the small job waited behind the big one"
    assert len(model.calls) >= 1000 // 64


def test_a_cancelled_job_is_not_computed_any_further():
    model = Recorder(seconds=0.02)

    async def scenario():
        batcher = MicroBatcher(model, max_batch=10, wait_ms=0)
        await batcher.start()
        try:
            job = asyncio.create_task(batcher.submit(list(range(1000))))
            while len(model.calls) < 2:
                await asyncio.sleep(0.001)
            job.cancel()  # what the server does when the client disconnects
            await asyncio.sleep(0.2)
            computed = sum(map(len, model.calls))
            assert await batcher.submit(["after"]) == [("done", "after")]
            return computed, batcher.snapshot()
        finally:
            await batcher.stop()

    computed, stats = _run(scenario)
    assert computed <= 40, f"{computed} of 1000 items computed for a cancelled job"
    assert stats["cancelled_jobs"] == 1 and stats["queued_sentences"] == 0


def test_a_call_past_the_timeout_fails_its_jobs_and_later_ones_fail_fast_until_it_ends():
    release = threading.Event()

    def stuck(items):
        if items == ["hang"]:
            release.wait(30)
        return list(items)

    async def scenario():
        batcher = MicroBatcher(stuck, max_batch=8, wait_ms=0, timeout_s=0.3)
        await batcher.start()
        try:
            t0 = time.perf_counter()
            with pytest.raises(ModelUnavailable, match="did not answer within 0.3 s"):
                await batcher.submit(["hang"])
            assert time.perf_counter() - t0 < 2
            assert batcher.health() is not None  # /healthz says 503 while the call is stuck
            t0 = time.perf_counter()
            with pytest.raises(ModelUnavailable, match="has not finished"):
                await batcher.submit(["next"])
            assert time.perf_counter() - t0 < 2  # at once, not a full timeout more
            release.set()
            await asyncio.sleep(0.1)
            assert batcher.health() is None
            return await batcher.submit(["later"]), batcher.snapshot()
        finally:
            release.set()
            await batcher.stop()

    later, stats = _run(scenario)
    assert later == ["later"] and stats["failed_jobs"] == 2
