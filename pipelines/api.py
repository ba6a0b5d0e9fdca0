"""The Python API. The CLI is a thin shell over these functions."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipelines.build import build_plan
from pipelines.calls import Budget, CallPath, Stats
from pipelines.datasets import check_dataset, load_items
from pipelines.errors import InputError, Issue, RecipeError
from pipelines.plan import Plan
from pipelines.progress import show_progress
from pipelines.scheduler import ItemResult, Scheduler
from pipelines.store import RunStore
from pipelines.types import Meter


@dataclass
class RunResult:
    run_id: str
    status: str
    """ok | failed (some items failed) | budget (--max-cost reached)"""
    exit_code: int
    items: list[dict[str, Any]] = field(default_factory=list)
    stats: Stats | None = None


def validate(path: str | Path, params: dict[str, Any] | None = None,
             dataset: dict[str, Any] | None = None) -> Plan:
    """Every check that can run before spending anything. Raises RecipeError.

    `dataset` replaces the recipe's `dataset:` block (eval suites run one recipe on many)."""
    plan = build_plan(path, params)
    if dataset is not None:
        plan.dataset = dict(dataset)
    problem = check_dataset(plan.dataset)
    if problem:
        raise RecipeError([Issue(problem, plan.source.where(("dataset", "source")),
                                 "fix dataset.source or its options")])
    meter = _meter(plan)
    knows = getattr(meter, "knows", None)
    if knows is not None and not knows(endpoint=_endpoint_name(plan), model=plan.model):
        plan.warnings.append(f"no price known for model {plan.model!r}: its calls will be recorded "
                             "as unknown cost (set `pricing:` in the recipe)")
    return plan


def _endpoint_name(plan: Plan) -> str:
    ep = plan.endpoint
    return ep if isinstance(ep, str) else "embedded" if ep is None else str(ep.get("url", "custom"))


def _meter(plan: Plan) -> Meter:
    """The plan's meter, loaded once (validation and the run share it)."""
    if plan.meter is None:
        from pipelines.cost import load_meter
        pricing = plan.recipe.pricing
        plan.meter = load_meter(plan.recipe_dir / pricing if pricing else None)
    return plan.meter


def graph(path: str | Path, params: dict[str, Any] | None = None, fmt: str = "mermaid") -> str:
    plan = build_plan(path, params)
    return plan.mermaid() if fmt == "mermaid" else plan.dot()


def run(path: str | Path, params: dict[str, Any] | None = None, *, endpoint: Any = None,
        model: str | None = None, store: str | Path = ".pipe", resume: str | None = None,
        max_cost: float | None = None, cache: bool = True, offline: bool = False,
        display: str = "none", transport: Any = None, meter: Meter | None = None,
        concurrency: int | None = None, dataset: dict[str, Any] | None = None) -> RunResult:
    """Validate, then run a recipe over its dataset. See `arun` for the arguments."""
    return asyncio.run(arun(path, params, endpoint=endpoint, model=model, store=store,
                            resume=resume, max_cost=max_cost, cache=cache, offline=offline,
                            display=display, transport=transport, meter=meter,
                            concurrency=concurrency, dataset=dataset))


async def arun(path, params=None, *, endpoint=None, model=None, store=".pipe", resume=None,
               max_cost=None, cache=True, offline=False, display="none", transport=None,
               meter=None, concurrency=None, dataset=None) -> RunResult:
    run_store = RunStore(store)
    params = dict(params or {})
    if resume is not None:
        prior = run_store.run(resume)
        if prior is None:
            raise InputError(f"no run {resume!r} in {run_store.path} (fix: see `pipe runs`)")
        path, params = prior["recipe_path"], {**prior["overrides"], **params}
        max_cost = max_cost if max_cost is not None else prior["max_cost"]
    plan = validate(path, params, dataset)
    if model:
        plan.model = model
    items = load_items(plan.dataset, plan.recipe_dir)
    stats = Stats()
    client = _client(plan, endpoint, transport, concurrency, stats)
    meter = meter or _meter(plan)
    try:
        if resume is None:
            run_id = run_store.create_run(
                recipe_path=str(Path(path).resolve()), recipe_name=plan.name, params=plan.params,
                overrides=params, endpoint=client.identity, model=plan.model,
                items_total=len(items), max_cost=max_cost)
            skip: set[str] = set()
        else:
            run_id = resume
            run_store.mark_running(run_id)
            skip = {i["item_id"] for i in run_store.items(run_id) if i["status"] == "ok"}
        calls = CallPath(run_id=run_id, store=run_store, client=client,
                         cache=_cache(run_store.root) if cache or offline else None, meter=meter,
                         model=plan.model, offline=offline, budget=Budget(max_cost), stats=stats)
        scheduler = Scheduler(plan, calls, run_store, run_id, stats,
                              run_store.root / "artifacts" / run_id)
        stop = asyncio.Event()
        shower = asyncio.create_task(show_progress(stats, display, stop))
        try:
            results = await scheduler.run(items, skip)
        finally:
            stop.set()
            await shower
        status, code = _outcome(results)
        run_store.finish_run(run_id, status, code)
        return RunResult(run_id, status, code, run_store.items(run_id), stats)
    finally:
        await client.aclose()
        run_store.close()


def _outcome(results: list[ItemResult]) -> tuple[str, int]:
    statuses = {r.status for r in results}
    if "budget" in statuses:
        return "budget", 3
    if "failed" in statuses:
        return "failed", 1
    return "ok", 0


def _client(plan: Plan, endpoint: Any, transport: Any, concurrency: int | None, stats: Stats):
    from pipelines.endpoints import EndpointClient, resolve_endpoint

    def on_event(kind: str, info: dict) -> None:
        if kind == "retry":
            stats.retries += 1

    config = resolve_endpoint(endpoint if endpoint is not None else plan.endpoint)
    if concurrency:
        config = config.model_copy(update={"concurrency": concurrency})
    return EndpointClient(config, transport=transport, on_event=on_event)


def _cache(root: Path):
    from pipelines.cache import ResponseCache
    return ResponseCache(root / "cache.sqlite")


def runs(store: str | Path = ".pipe") -> list[dict[str, Any]]:
    return RunStore(store).runs()


def show(run_id: str, store: str | Path = ".pipe") -> dict[str, Any]:
    """A run's header, per-node call table, per-step population metrics (from `score` nodes)
    and item outputs (what `pipe show` prints)."""
    from evals.steps import step_metrics
    from pipelines.report import node_table
    s = RunStore(store)
    run_row = s.run(run_id)
    if run_row is None:
        raise InputError(f"no run {run_id!r} in {s.path} (fix: see `pipe runs`)")
    calls = s.calls(run_id)
    return {"run": run_row, "nodes": node_table(calls), "steps": step_metrics(s, run_id),
            "items": s.items(run_id),
            "total_usd": sum(c["cost_usd"] or 0.0 for c in calls),
            "unknown_cost_calls": sum(1 for c in calls if c["status"] == "ok" and c["cost_usd"] is None)}


def dumps(value: Any) -> str:
    return json.dumps(value, indent=2, default=str)
