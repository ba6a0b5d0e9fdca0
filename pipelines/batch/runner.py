"""Running a job in this process: claim it, follow its schedule, send, record, finish.

One process runs a job at a time (`JobStore.claim`); it writes a heartbeat, and it watches the
job row for a cancel asked from another shell. Killed at any point, the job is taken over by
`pipe batch resume`, which sends only what is still pending.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pipelines.batch.executor import Executor
from pipelines.batch.jobstore import FINAL_STATES, JobStore
from pipelines.batch.metering import JobMeter, load_meter
from pipelines.batch.provider_batch import BatchAPIRun, batch_api_client
from pipelines.batch.schedule import off_peak_slots
from pipelines.batch.windows import SchedulePlan, next_run_span
from pipelines.clock import parse_utc
from pipelines.endpoints import EndpointClient, EndpointConfig
from pipelines.errors import BudgetExceeded, ExitCode, InputError
from pipelines.execution.budget import Budget
from pipelines.options import RunOptions

@dataclass
class Outcome:
    job_id: str
    state: str
    exit_code: ExitCode
    counts: dict[str, int]


class JobRunner:
    def __init__(self, store: JobStore, job_id: str, options: RunOptions):
        self.store, self.job_id, self.opts = store, job_id, options
        self.job: dict[str, Any] = store.job(job_id) or {}
        self.cancelled = asyncio.Event()
        self.measured_tok_s: float | None = self.job.get("measured_tok_s")
        self.meter = JobMeter(options.meter or load_meter(self.job["pricing"]),
                              self.job["endpoint"], self.job["pricing"],
                              parse_utc(self.job["created_at"]))
        self.plan = SchedulePlan.from_dict(self.job["plan"])
        # unpriced models were refused or accepted (--allow-unpriced) when the job was submitted
        self.budget = Budget(self.job["max_cost"], allow_unpriced=True)
        self.budget.spent = store.spent(job_id)

    async def run(self) -> str:
        """Run to an end state (or to a pause the schedule cannot get past); returns it."""
        watcher = asyncio.create_task(self._watch())
        try:
            if self.job["api"] == "batch":
                state = await self._run_batch_api()
            else:
                state = await self._run_concurrent()
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
        if self.cancelled.is_set() and self.store.counts(self.job_id)["pending"]:
            state = "cancelled"
        self.store.set_state(self.job_id, state, self._note(state))
        self.store.update_job(self.job_id, measured_tok_s=self.measured_tok_s)
        return state

    def _note(self, state: str) -> str | None:
        if state == "budget":
            return (f"--max-cost ${self.budget.max_usd:.4f} reached; resume with a higher "
                    "--max-cost to finish")
        if state == "expired":
            return "no off-peak window left before the deadline"
        errors = (self.store.job(self.job_id)["remote"].get("errors") or [])[:3]
        if state == "failed" and errors:
            return "the endpoint failed the batch: " + "; ".join(
                f"line {e.get('line')}: {e.get('message')}" for e in errors)
        return None

    async def _watch(self) -> None:
        while True:
            self.store.heartbeat(self.job_id, self.measured_tok_s)
            job = self.store.job(self.job_id)
            if job and job["state"] == "cancelling":
                self.cancelled.set()
            await asyncio.sleep(self.opts.watch_s)

    async def _wait_for(self, start: datetime) -> None:
        clock = self.opts.clock
        self.store.set_live_state(self.job_id, "waiting",
                                  f"waiting for the window at {start.isoformat()}")
        while clock.now() < start and not self.cancelled.is_set():
            await clock.wait_until(start, self.opts.watch_s)

    def _next_span(self) -> tuple[datetime, datetime | None] | None:
        now = self.opts.clock.now()
        later = off_peak_slots(self.meter, self.plan.model, now) if self.plan.off_peak_only else []
        return next_run_span(self.plan, now, later)

    async def _run_concurrent(self) -> str:
        config = EndpointConfig.model_validate(self.job["endpoint_spec"])
        async with EndpointClient(config, transport=self.opts.transport) as client:
            executor = Executor(self.job_id, self.store, client, self.meter, self.opts.clock,
                                self.budget, workers=config.concurrency, cancelled=self.cancelled)
            while self.store.counts(self.job_id)["pending"] and not self.cancelled.is_set():
                span = self._next_span()
                if span is None:
                    return "expired"
                start, end = span
                if start > self.opts.clock.now():
                    await self._wait_for(start)
                    continue
                until = f" until {end.isoformat()}" if end else ""
                self.store.set_live_state(self.job_id, "running", f"running{until}")
                progress = await executor.run_span(end)
                self.measured_tok_s = progress.tok_s or self.measured_tok_s
                if progress.stopped_by == "budget":
                    return "budget"
        return "completed"

    async def _run_batch_api(self) -> str:
        first = self._next_span()
        if first and first[0] > self.opts.clock.now():
            await self._wait_for(first[0])
        if self.cancelled.is_set():
            return "cancelled"
        if not self._batch_fits_budget():
            return "budget"
        self.store.set_live_state(self.job_id, "running", "submitted to the endpoint's Batch API")
        config = EndpointConfig.model_validate(self.job["endpoint_spec"])
        client = batch_api_client(config, self.opts.transport)
        try:
            status = await BatchAPIRun(self.job_id, self.store, client, self.meter,
                                       poll_s=self.opts.poll_s, cancelled=self.cancelled).run()
        finally:
            await client.close()
        return "completed" if status == "completed" else status


    def _batch_fits_budget(self) -> bool:
        """A batch is submitted whole, so its worst case must fit what is left of --max-cost."""
        if self.budget.max_usd is None or self.job["remote"].get("batch_id"):
            return True
        now = self.opts.clock.now()
        worst = (self.meter.worst_case_usd(r.body, now) for r in self.store.pending(self.job_id))
        try:
            self.budget.reserve(sum(w or 0.0 for w in worst))
        except BudgetExceeded:
            return False
        return True


def exit_code(state: str, counts: dict[str, int]) -> ExitCode:
    """A finished job's exit code: like a run's, from its state and its requests' counts."""
    if state == "completed":
        return ExitCode.FAILED if counts.get("failed") else ExitCode.OK
    return ExitCode.BUDGET if state == "budget" else ExitCode.FAILED


async def run_job(store: JobStore, job_id: str, options: RunOptions) -> Outcome:
    """Run `job_id` here until it ends; refuses if another live process runs it."""
    job = store.job(job_id)
    if job is None:
        raise InputError(f"no batch job {job_id!r} in {store.path} (fix: see `pipe batch status`)")
    if job["state"] in FINAL_STATES:
        counts = store.counts(job_id)
        return Outcome(job_id, job["state"], exit_code(job["state"], counts), counts)
    if not store.claim(job_id):
        raise InputError(f"batch job {job_id} is being run by process {job['owner_pid']} on "
                         f"{job['owner_host']}; watch it with `pipe batch status {job_id}`")
    try:
        state = await JobRunner(store, job_id, options).run()
    finally:
        store.release(job_id)
    counts = store.counts(job_id)
    return Outcome(job_id, state, exit_code(state, counts), counts)
