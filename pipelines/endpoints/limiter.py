"""An adaptive in-flight limit for one endpoint (AIMD: halve on 429, add one on success runs)."""

from __future__ import annotations

import asyncio
from collections import deque
from contextlib import asynccontextmanager
from typing import AsyncIterator


class AdaptiveLimiter:
    """Caps the calls in flight at `limit`, which moves between 1 and `max_limit`.

    A 429 halves the limit, but only once per generation: 429s from calls that started
    before the last cut say nothing new (they were sent under the old limit). After `limit`
    successes in a row the limit grows by one. Waiters are served first come, first served.
    """

    def __init__(self, max_limit: int):
        if max_limit < 1:
            raise ValueError(f"max_limit must be >= 1, got {max_limit}")
        self.max_limit = max_limit
        self.limit = max_limit
        self.in_flight = 0
        self.generation = 0
        """Grows at every cut; a call remembers the generation it started in."""
        self._successes = 0
        self._waiters: deque[asyncio.Future[None]] = deque()

    @property
    def waiting(self) -> int:
        return sum(1 for w in self._waiters if not w.done())

    async def acquire(self) -> int:
        """Wait for a slot; returns the generation the slot was granted in."""
        if self.in_flight < self.limit and not self._waiters:
            self.in_flight += 1
            return self.generation
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release()  # the slot was handed over as we were cancelled: pass it on
            elif waiter in self._waiters:
                self._waiters.remove(waiter)
            raise
        return self.generation

    def release(self) -> None:
        self.in_flight -= 1
        self._grant()

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[int]:
        generation = await self.acquire()
        try:
            yield generation
        finally:
            self.release()

    def on_throttled(self, generation: int) -> None:
        """A call granted in `generation` got a 429."""
        self._successes = 0
        if generation == self.generation and self.limit > 1:
            self.limit = max(1, self.limit // 2)
            self.generation += 1

    def on_success(self) -> None:
        self._successes += 1
        if self.limit < self.max_limit and self._successes >= self.limit:
            self.limit += 1
            self._successes = 0
            self._grant()

    def _grant(self) -> None:
        # Hand slots straight to waiters, so a newcomer cannot jump the queue.
        while self._waiters and self.in_flight < self.limit:
            waiter = self._waiters.popleft()
            if waiter.done():  # cancelled while queued
                continue
            self.in_flight += 1
            waiter.set_result(None)
