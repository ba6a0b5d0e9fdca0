"""AdaptiveLimiter: the in-flight cap, AIMD moves, fairness and cancellation."""

from __future__ import annotations

import asyncio

import pytest

from pipelines.endpoints.limiter import AdaptiveLimiter

pytestmark = pytest.mark.anyio


async def test_cap_holds_and_is_reached() -> None:
    limiter = AdaptiveLimiter(3)
    peak = 0

    async def work() -> None:
        nonlocal peak
        async with limiter.slot():
            peak = max(peak, limiter.in_flight)
            await asyncio.sleep(0)
            await asyncio.sleep(0)

    await asyncio.gather(*(work() for _ in range(20)))
    assert peak == 3 and limiter.in_flight == 0


async def test_waiters_are_served_in_arrival_order() -> None:
    limiter = AdaptiveLimiter(1)
    order: list[int] = []
    await limiter.acquire()

    async def work(i: int) -> None:
        async with limiter.slot():
            order.append(i)

    tasks = [asyncio.create_task(work(i)) for i in range(5)]
    await asyncio.sleep(0)
    assert limiter.waiting == 5
    limiter.release()
    await asyncio.gather(*tasks)
    assert order == [0, 1, 2, 3, 4]


async def test_halves_once_per_generation_with_floor_one() -> None:
    limiter = AdaptiveLimiter(16)
    sent_under_16 = [await limiter.acquire() for _ in range(3)]
    for generation in sent_under_16:  # a burst of 429s from one generation: one cut
        limiter.on_throttled(generation)
    assert limiter.limit == 8
    for _ in range(10):
        limiter.on_throttled(limiter.generation)
    assert limiter.limit == 1


async def test_recovers_by_one_per_run_of_limit_successes() -> None:
    limiter = AdaptiveLimiter(4)
    limiter.on_throttled(limiter.generation)
    assert limiter.limit == 2
    limiter.on_success()
    assert limiter.limit == 2
    limiter.on_success()
    assert limiter.limit == 3
    for _ in range(3):
        limiter.on_success()
    assert limiter.limit == 4
    for _ in range(10):
        limiter.on_success()
    assert limiter.limit == 4  # never above the configured maximum


async def test_a_429_resets_the_success_run() -> None:
    limiter = AdaptiveLimiter(8)
    limiter.on_throttled(limiter.generation)  # 4
    for _ in range(3):
        limiter.on_success()
    limiter.on_throttled(limiter.generation)  # 2, run reset
    limiter.on_success()
    assert limiter.limit == 2


async def test_raising_the_limit_wakes_a_waiter() -> None:
    limiter = AdaptiveLimiter(2)
    limiter.on_throttled(limiter.generation)  # 1
    await limiter.acquire()
    waiter = asyncio.create_task(limiter.acquire())
    await asyncio.sleep(0)
    assert not waiter.done()
    limiter.on_success()  # one success at limit 1: back to 2
    await asyncio.wait_for(waiter, 1)
    assert limiter.in_flight == 2


async def test_cancelled_waiter_leaves_no_trace() -> None:
    limiter = AdaptiveLimiter(1)
    await limiter.acquire()
    waiter = asyncio.create_task(limiter.acquire())
    await asyncio.sleep(0)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert limiter.waiting == 0
    limiter.release()
    assert limiter.in_flight == 0
    await limiter.acquire()
    assert limiter.in_flight == 1


async def test_slot_handed_over_during_cancellation_is_passed_on() -> None:
    limiter = AdaptiveLimiter(1)
    await limiter.acquire()
    first = asyncio.create_task(limiter.acquire())
    second = asyncio.create_task(limiter.acquire())
    await asyncio.sleep(0)
    limiter.release()  # grants `first`, which is cancelled before it runs
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    await asyncio.wait_for(second, 1)
    assert limiter.in_flight == 1
