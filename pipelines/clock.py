"""The clock a batch job schedules and prices by. Injectable so tests run windows in seconds."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta, timezone
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time (UTC, timezone-aware)."""
        ...

    async def wait_until(self, when: datetime, max_real_s: float) -> None:
        """Sleep until `when` or for at most `max_real_s` real seconds, whichever is first."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)

    async def wait_until(self, when: datetime, max_real_s: float) -> None:
        await asyncio.sleep(max(0.0, min((when - self.now()).total_seconds(), max_real_s)))


class ScaledClock:
    """Starts at `start` and runs `speed` times faster than real time (3600: an hour a second)."""

    def __init__(self, start: datetime, speed: float = 1.0):
        if start.tzinfo is None:
            raise ValueError("ScaledClock needs a timezone-aware start time")
        self.start = start.astimezone(timezone.utc)
        self.speed = speed
        self._origin = time.monotonic()

    def now(self) -> datetime:
        return self.start + timedelta(seconds=(time.monotonic() - self._origin) * self.speed)

    async def wait_until(self, when: datetime, max_real_s: float) -> None:
        real = (when - self.now()).total_seconds() / self.speed
        await asyncio.sleep(max(0.0, min(real, max_real_s)))


def parse_utc(text: str) -> datetime:
    """'2026-12-01T08:00Z' (or any ISO 8601 time; no zone means UTC) -> aware UTC datetime."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO 8601 time such as 2026-12-01T08:00Z") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)
