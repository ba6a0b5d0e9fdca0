"""The concurrent path: send a job's pending requests to the endpoint, many at once.

Each result (response or error, usage, price at the tier in force when the request started)
is committed before the worker takes the next request. Workers stop taking requests when the
run span ends (a window closes), the job is cancelled, or --max-cost would be passed;
requests already sent finish and are recorded (they started inside the span, so they are
billed at its tier).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Iterator

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
        pending = self.store.pending(self.job_id)
        began = self.clock.now()
        await asyncio.gather(*(self._worker(pending, until, progress) for _ in range(self.workers)))
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

    async def _worker(self, pending: Iterator[BatchRequest], until: datetime | None,
                      progress: Progress) -> None:
        while True:
            reason = self._stop_reason(until)
            if reason is not None:
                progress.stopped_by = reason
                return
            req = next(pending, None)
            if req is None:
                return
            started_at = self.clock.now()
            try:
                reserved = self.budget.reserve(self.meter.worst_case_usd(req.body, started_at))
            except BudgetExceeded:
                progress.stopped_by = "budget"
                return
            progress.sent += 1
            spent = await self._send(req, started_at, progress)
            self.budget.settle(reserved, spent)

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
