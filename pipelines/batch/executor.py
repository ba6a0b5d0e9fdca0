"""The concurrent path: send a job's pending requests to the endpoint, many at once.

Requests are admitted through a `Window`: read from the store a page at a time, in input
order, never more held at once than the window's size, so a run holds the same memory for
ten thousand requests as for ten million. Each result (response or error, usage, price at
the tier in force when the request started) is committed before the worker takes the next
request. Workers stop taking requests when the run span ends (a window closes), the job is
cancelled, or --max-cost would be passed; requests already sent finish and are recorded
(they started inside the span, so they are billed at its tier).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime

from pipelines.clock import Clock
from pipelines.batch.jobstore import JobStore
from pipelines.batch.metering import JobMeter
from pipelines.batch.output import chat_response_body, error_code_for
from pipelines.batch.requests import BatchRequest
from pipelines.execution.budget import Budget
from pipelines.errors import BudgetExceeded, CallError, RetriesExhausted


@dataclass
class Progress:
    """What one run span did."""

    sent: int = 0
    done: int = 0
    failed: int = 0
    tokens: int = 0
    busy_s: float = 0.0
    """Job-clock seconds spent sending (for the measured throughput)."""
    stopped_by: str = "done"
    """done | span_end | cancel | budget"""

    @property
    def tok_s(self) -> float | None:
        return self.tokens / self.busy_s if self.busy_s > 0 and self.tokens else None


WINDOW = 1000
"""Requests a run span holds at most (queued to send, or sent and not yet recorded); twice
the endpoint's concurrency where that is more."""


@dataclass
class Window:
    """Pending requests admitted a page at a time, by keyset on their input position: a page
    is read when the queue runs dry, as big as the room left beside the requests in flight,
    so queued plus in flight never passes `size`."""

    store: JobStore
    job_id: str
    size: int
    queued: deque[BatchRequest] = field(default_factory=deque)
    in_flight: int = 0
    after: int = -1
    """Input position (seq) of the last request read."""
    exhausted: bool = False

    def take(self) -> BatchRequest | None:
        """The next pending request (it counts as held until `release`); None at the end."""
        if not self.queued and not self.exhausted:
            self._refill()
        if not self.queued:
            return None
        self.in_flight += 1
        return self.queued.popleft()

    def release(self) -> None:
        """A request taken is recorded (or given back, still pending, to a later span)."""
        self.in_flight -= 1

    def _refill(self) -> None:
        room = self.size - self.in_flight
        page = self.store.pending_page(self.job_id, self.after, room)
        self.exhausted = len(page) < room
        if page:
            self.after = page[-1][0]
        self.queued.extend(request for _, request in page)


@dataclass
class Executor:
    job_id: str
    store: JobStore
    client: object
    """An `EndpointClient` (anything with `async chat(ChatRequest) -> ChatResult`)."""
    meter: JobMeter
    clock: Clock
    budget: Budget
    workers: int
    cancelled: asyncio.Event = field(default_factory=asyncio.Event)

    async def run_span(self, until: datetime | None) -> Progress:
        """Send pending requests until none is left or the span ends at `until`."""
        progress = Progress()
        window = Window(self.store, self.job_id, max(WINDOW, 2 * self.workers))
        began = self.clock.now()
        await asyncio.gather(*(self._worker(window, until, progress) for _ in range(self.workers)))
        progress.busy_s = (self.clock.now() - began).total_seconds()
        return progress

    def _stop_reason(self, until: datetime | None) -> str | None:
        if self.cancelled.is_set():
            return "cancel"
        if self.budget.exhausted:
            return "budget"
        if until is not None and self.clock.now() >= until:
            return "span_end"
        return None

    async def _worker(self, window: Window, until: datetime | None, progress: Progress) -> None:
        while True:
            # A turn of the event loop between requests: an endpoint that answers without
            # suspending (in-process) would otherwise run a whole span in one turn, with no
            # heartbeat, no cancel seen, and a cancelled timeout timer kept per request.
            await asyncio.sleep(0)
            reason = self._stop_reason(until)
            if reason is not None:
                progress.stopped_by = reason
                return
            req = window.take()
            if req is None:
                return
            try:
                if not await self._admit(req, progress):
                    return
            finally:
                window.release()

    async def _admit(self, req: BatchRequest, progress: Progress) -> bool:
        """Send `req` if --max-cost allows its worst case; False (left pending) if not."""
        started_at = self.clock.now()
        try:
            reserved = self.budget.reserve(self.meter.worst_case_usd(req.body, started_at))
        except BudgetExceeded:
            progress.stopped_by = "budget"
            return False
        progress.sent += 1
        spent = await self._send(req, started_at, progress)
        self.budget.settle(reserved, spent)
        return True

    async def _send(self, req: BatchRequest, started_at: datetime, progress: Progress) -> float:
        """Send one request and commit its result; returns what it cost."""
        t0 = time.perf_counter()
        try:
            result = await self.client.chat(req.chat_request())
        except CallError as exc:
            progress.failed += 1
            self.store.record(self.job_id, req.custom_id, {
                "state": "failed", "retryable": int(isinstance(exc, RetriesExhausted)),
                "status_code": exc.status, "error_code": error_code_for(exc.status),
                "error_message": str(exc), "started_at": started_at.isoformat(),
                "latency_s": time.perf_counter() - t0, "cost_usd": 0.0, "standard_usd": 0.0})
            return 0.0
        columns = self.meter.result_columns(req.model, result.usage, started_at, batch=False)
        self.store.record(self.job_id, req.custom_id, {
            "state": "done", "status_code": 200,
            "response": chat_response_body(result, req.model), "latency_s": result.latency_s,
            "attempts": result.attempts, **columns})
        progress.done += 1
        progress.tokens += result.usage.total_tokens
        return columns["cost_usd"] or 0.0
