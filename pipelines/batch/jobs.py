"""The Python API of `pipe batch` (the CLI is a thin shell over it).

    job = submit("requests.jsonl", options=RunOptions(endpoint="http://localhost:8000/v1"),
                 window="off-peak")
    status(job.job_id); results(job.job_id, "out.jsonl"); cancel(...); resume(...)

Everything that can be wrong with the input or the schedule is found before the job is
stored, so a refused submission spends nothing and leaves nothing behind.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

from pipelines.batch.provider_batch import TERMINAL, batch_api_client, batch_api_missing
from pipelines.batch.jobstore import FINAL_STATES, LIVE_STATES, JobStore
from pipelines.batch.metering import JobMeter, load_meter
from pipelines.batch.output import error_lines, errors_path_for, output_lines, write_jsonl
from pipelines.batch.windows import SchedulePlan
from pipelines.batch.recipe_input import requests_from_recipe
from pipelines.batch.savings import cost_report
from pipelines.batch.requests import ParsedInput, Rejected, parse_batch_file
from pipelines.batch.runner import Outcome, run_job
from pipelines.options import RunOptions
from pipelines.batch.schedule import build_schedule, job_shape, throughput_estimate
from pipelines.cost.pricing import pricing_fix, resolve_pricing
from pipelines.endpoints import EndpointConfig, resolve_endpoint
from pipelines.errors import InputError

APIS = ("auto", "concurrent", "batch")
RECIPE_SUFFIXES = (".yaml", ".yml")


@dataclass
class Submitted:
    job_id: str
    plan: SchedulePlan
    rejected: list[Rejected]
    outcome: Outcome | None
    """How the run ended, when the job was run here (run=True)."""
    api_note: str | None = None
    """Why `--api auto` chose the concurrent path (None when it was not asked to choose)."""


def _read_input(source: str | Path, strict: bool, params: dict[str, Any] | None,
                model: str | None) -> ParsedInput:
    if str(source).endswith(RECIPE_SUFFIXES):
        return ParsedInput(requests=requests_from_recipe(source, params, model=model))
    if params:
        raise InputError("-p/--param applies to a recipe input, not to a JSONL file")
    parsed = parse_batch_file(source, strict=strict)
    if model:
        raise InputError("--model applies to a recipe input; a JSONL file names the model in "
                         "each body")
    return parsed


def _endpoint(endpoint: Any, concurrency: int | None) -> EndpointConfig:
    config = resolve_endpoint(endpoint)
    if concurrency:
        config = config.model_copy(update={"concurrency": concurrency})
    return config


FALLBACK = "sending requests concurrently instead (no batch discount)"


def _choose_api(api: str, config: EndpointConfig, scheduled: bool,
                options: RunOptions) -> tuple[str, str | None]:
    """The path a job takes, and for `auto` falling back to `concurrent`, why."""
    if api not in APIS:
        raise InputError(f"--api {api!r}: use one of {list(APIS)}")
    if api != "auto":
        return api, None
    if scheduled:  # windows and deadlines are kept by the concurrent path
        return "concurrent", ("--window/--deadline are kept by sending requests from here, "
                              "in the cheap windows (no batch discount)")
    if len(config.replicas) > 1:
        return "concurrent", (f"{len(config.replicas)} replica URLs (a Batch API needs one); "
                              + FALLBACK)

    async def probe() -> str | None:
        client = batch_api_client(config, options.transport)
        try:
            return await batch_api_missing(client)
        finally:
            await client.close()

    missing = asyncio.run(probe())
    return ("concurrent", f"{missing}; " + FALLBACK) if missing \
        else ("batch", None)


def _refuse_unpriced_budget(meter: JobMeter, requests: list, options: RunOptions) -> None:
    """--max-cost over requests of unknown price cannot be kept: refuse before storing."""
    if options.max_cost is None or options.allow_unpriced:
        return
    knows = getattr(meter.meter, "knows", None)
    if knows is None:  # a meter given as a seam (tests) prices what it is asked
        return
    unpriced = sorted({r.model for r in requests
                       if not knows(endpoint=meter.endpoint, model=r.model)})
    if unpriced:
        raise InputError(f"--max-cost ${options.max_cost:g}: no price known for model(s) "
                         f"{unpriced} on {meter.endpoint}, so the budget cannot be kept; "
                         f"nothing was stored\n    fix: pass {pricing_fix()}; or accept "
                         "unpriced requests (counted as $0) with --allow-unpriced")


def submit(source: str | Path, params: dict[str, Any] | None = None,
           options: RunOptions | None = None, *, window: str | None = None,
           deadline: datetime | None = None, now: bool = False, strict: bool = False,
           api: str = "auto", pricing: str | None = None,
           throughput_tok_s: float | None = None, run: bool = True,
           notify: Callable[[str], None] | None = None) -> Submitted:
    """Validate SOURCE (a Batch JSONL file, or a recipe with `params`), plan, store the job,
    and run it here unless `run` is False (then `resume` runs it). `notify` hears, before the
    job runs, why `api="auto"` fell back to the concurrent path.

    From `options`: store, endpoint, model (recipe input), concurrency, max_cost, and the
    transport / meter / clock / poll_s / watch_s seams."""
    options = options or RunOptions()
    if now and (window or deadline):
        raise InputError("--now runs at once; it cannot be combined with --window or --deadline")
    if window not in (None, "off-peak"):
        raise InputError(f"--window {window!r}: the only window kind is `off-peak`")
    parsed = _read_input(source, strict, params, options.model)
    config = _endpoint(options.endpoint, options.concurrency)
    chosen, api_note = _choose_api(api, config, bool(window or deadline), options)
    if api_note and notify:
        notify(api_note)
    if chosen == "batch" and (window or deadline):
        raise InputError("the Batch API path runs when the endpoint decides; --window and "
                         "--deadline need --api concurrent")
    pricing = pricing or options.pricing  # a path or a shipped name, kept absolute for resume
    pricing = str(resolve_pricing(pricing).resolve()) if pricing else None
    created = options.clock.now()
    meter = JobMeter(options.meter or load_meter(pricing), config.identity, pricing, created)
    _refuse_unpriced_budget(meter, parsed.requests, options)
    shape = job_shape(parsed.requests)
    throughput, source_note = (throughput_tok_s, "given") if throughput_tok_s else \
        throughput_estimate(meter, shape.primary_model,
                            bulk=window == "off-peak" or chosen == "batch")
    plan = build_schedule(meter, shape, now=created,
                          off_peak=window == "off-peak", deadline=deadline,
                          batch_api=chosen == "batch", throughput_tok_s=throughput,
                          throughput_source=source_note)
    jobs = JobStore(options.store)
    try:
        job_id = jobs.create_job(
            created_at=created.isoformat(), source=str(Path(source).resolve()),
            endpoint=config.identity, endpoint_spec=config.model_dump(mode="json"), api=chosen,
            pricing=pricing, max_cost=options.max_cost, plan=plan.as_dict(), requests=parsed.requests,
            rejected=parsed.rejected)
        outcome = asyncio.run(run_job(jobs, job_id, options)) if run else None
    finally:
        jobs.close()
    return Submitted(job_id, plan, parsed.rejected, outcome, api_note)


def _known(jobs: JobStore, job_id: str) -> dict[str, Any]:
    job = jobs.job(job_id)
    if job is None:
        raise InputError(f"no batch job {job_id!r} in {jobs.path} (fix: see `pipe batch status`)")
    return job


def effective_state(jobs: JobStore, job: dict[str, Any]) -> str:
    """The stored state, or `interrupted` for a live-looking job whose process is gone."""
    if job["state"] in LIVE_STATES and job["state"] != "submitted" and not jobs.owner_alive(job):
        return "interrupted"
    return job["state"]


def _summary(jobs: JobStore, job: dict[str, Any]) -> dict[str, Any]:
    counts = jobs.counts(job["job_id"])
    report = cost_report(jobs.tier_totals(job["job_id"]), counts)
    return {"job_id": job["job_id"], "state": effective_state(jobs, job),
            "created_at": job["created_at"], "source": job["source"],
            "endpoint": job["endpoint"], "api": job["api"], "counts": counts,
            "total": job["total"], "tiers": report["tiers"], "spent_usd": report["total"]["cost_usd"],
            "standard_usd": report["total"]["standard_usd"], "plan": job["plan"],
            "note": job["note"], "measured_tok_s": job["measured_tok_s"],
            "remote": job["remote"], "max_cost": job["max_cost"], "finished_at": job["finished_at"]}


def status(job_id: str | None = None, *, store: str | Path = ".pipe") -> list[dict[str, Any]]:
    """One summary per job (newest first), or just `job_id`'s."""
    jobs = JobStore(store)
    try:
        chosen = [_known(jobs, job_id)] if job_id else jobs.jobs()
        return [_summary(jobs, j) for j in chosen]
    finally:
        jobs.close()


def results(job_id: str, out: str | Path, *, errors: str | Path | None = None,
            store: str | Path = ".pipe") -> dict[str, Any]:
    """Write the job's output and error JSONL files; returns their line counts and the report."""
    jobs = JobStore(store)
    try:
        job = _known(jobs, job_id)
        out = Path(out)
        errors = Path(errors) if errors else errors_path_for(out)
        # written as read from the store, a page at a time: a million results are never held
        n_out = write_jsonl(out, output_lines(job_id, jobs.iter_rows(job_id)))
        n_err = write_jsonl(errors, error_lines(job_id, jobs.iter_rows(job_id),
                                                jobs.rejects(job_id), job["state"]))
        return {"output": str(out), "output_lines": n_out, "errors": str(errors),
                "error_lines": n_err, "state": effective_state(jobs, job),
                "report": cost_report(jobs.tier_totals(job_id), jobs.counts(job_id))}
    finally:
        jobs.close()


def cancel(job_id: str, *, store: str | Path = ".pipe",
           options: RunOptions | None = None) -> str:
    """Cancel a job: its running process stops sending (requests in flight finish); a job
    with no live process is cancelled here, with its remote batch if it has one."""
    jobs = JobStore(store)
    try:
        job = _known(jobs, job_id)
        if job["state"] in FINAL_STATES:
            return job["state"]
        if jobs.owner_alive(job):
            jobs.request_cancel(job_id)
            return "cancelling"
        remote = job["remote"]
        if job["api"] == "batch" and remote.get("batch_id") and remote.get("status") not in TERMINAL:
            asyncio.run(_cancel_remote(job, remote["batch_id"], options or RunOptions()))
        jobs.set_state(job_id, "cancelled")
        return "cancelled"
    finally:
        jobs.close()


async def _cancel_remote(job: dict[str, Any], batch_id: str, options: RunOptions) -> None:
    client = batch_api_client(EndpointConfig.model_validate(job["endpoint_spec"]),
                              options.transport)
    try:
        await client.batches.cancel(batch_id)
    finally:
        await client.close()


def _reopen(jobs: JobStore, job: dict[str, Any]) -> bool:
    """Make a cancelled job runnable again, if it has requests left to send: what it
    finished is kept; a remote batch it had is read for its results before the rest is
    submitted anew. False when nothing is left."""
    jobs.retry_failed(job["job_id"])
    if not jobs.counts(job["job_id"])["pending"]:
        return False
    if job["remote"].get("batch_id"):
        jobs.update_job(job["job_id"], remote={**job["remote"], "reopened": True})
    return True


def resume(job_id: str, options: RunOptions | None = None) -> Outcome:
    """Run an interrupted, waiting, cancelled or budget-stopped job to its end in this
    process; requests already recorded are never sent again. Transient failures are retried. A given
    `options.max_cost` replaces the job's budget."""
    options = options or RunOptions()
    max_cost = options.max_cost
    jobs = JobStore(options.store)
    try:
        job = _known(jobs, job_id)
        if job["state"] not in FINAL_STATES:
            jobs.retry_failed(job_id)
        elif job["state"] == "cancelled" and _reopen(jobs, job):
            pass
        elif job["state"] != "completed" or not jobs.retry_failed(job_id):
            raise InputError(f"batch job {job_id} is {job['state']}; nothing to resume "
                             f"(fix: `pipe batch results {job_id} --out FILE`)")
        if max_cost is not None:
            jobs.update_job(job_id, max_cost=max_cost)
        if job["state"] in FINAL_STATES or job["state"] == "budget":
            jobs.set_state(job_id, "submitted")
        return asyncio.run(run_job(jobs, job_id, options))
    finally:
        jobs.close()
