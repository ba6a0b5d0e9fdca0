"""The Python API (re-exported by `pipelines`); the CLI is a thin shell over these functions."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipelines.cost import load_meter
from pipelines.endpoints import EndpointClient, resolve_endpoint
from pipelines.errors import ExitCode, InputError, Issue, RecipeError
from pipelines.execution.budget import Budget
from pipelines.execution.call_path import CallPath
from pipelines.execution.dataflow import ItemDataflow, ItemResult
from pipelines.execution.estimate import estimate as estimate_plan
from pipelines.execution.progress import show_progress
from pipelines.execution.stats import Stats
from pipelines.options import RunOptions
from pipelines.plugins import SHOW_SECTIONS
from pipelines.recipe.datasets import check_dataset, load_items
from pipelines.recipe.plan import Plan
from pipelines.recipe.plan_builder import build_plan
from pipelines.storage import ResponseCache, RunStore, node_table
from pipelines.types import CallStatus, ItemStatus, Meter, RunStatus


@dataclass
class RunResult:
    """How a run ended, its items' results and its live counters."""

    run_id: str
    status: RunStatus
    exit_code: ExitCode
    items: list[dict[str, Any]] = field(default_factory=list)
    """`{item_id, status, error, outputs}` per item, in dataset order."""
    stats: Stats | None = None


def validate(path: str | Path, params: dict[str, Any] | None = None,
             dataset: dict[str, Any] | None = None) -> Plan:
    """Every check that can run before spending anything; the validated `Plan`.

    Raises RecipeError (every problem found). `dataset` replaces the recipe's `dataset:` block
    (eval suites run one recipe on many)."""
    plan = build_plan(path, params)
    if dataset is not None:
        plan.dataset = dict(dataset)
    problem = check_dataset(plan.dataset)
    if problem:
        raise RecipeError([Issue(problem, plan.source.where(("dataset", "source")),
                                 "fix dataset.source or its options")])
    meter = _plan_meter(plan)
    knows = getattr(meter, "knows", None)
    if knows is not None and not knows(endpoint=_endpoint_name(plan), model=plan.model):
        plan.warnings.append(f"no price known for model {plan.model!r}: its calls will be recorded "
                             "as unknown cost (set `pricing:` in the recipe)")
    return plan


def _endpoint_name(plan: Plan) -> str:
    """The name the meter prices the plan's endpoint by (`embedded`, a URL, a sheet's name)."""
    ep = plan.endpoint
    return ep if isinstance(ep, str) else "embedded" if ep is None else str(ep.get("url", "custom"))


def _plan_meter(plan: Plan) -> Meter:
    """The plan's meter (its `pricing:` file, else the shipped sheets), loaded once."""
    if plan.meter is None:
        pricing = plan.recipe.pricing
        plan.meter = load_meter(plan.recipe_dir / pricing if pricing else None)
    return plan.meter


def graph(path: str | Path, params: dict[str, Any] | None = None, fmt: str = "mermaid") -> str:
    """The unrolled DAG as Mermaid (`fmt="mermaid"`) or Graphviz DOT (`fmt="dot"`) text."""
    plan = build_plan(path, params)
    return plan.mermaid() if fmt == "mermaid" else plan.dot()


def estimate(path: str | Path, params: dict[str, Any] | None = None,
             options: RunOptions | None = None) -> dict[str, Any]:
    """What a run would cost at most, spending nothing: per llm node, worst-case calls,
    tokens and USD (`{name, nodes, items, total_usd}`; `total_usd` None if any is unknown)."""
    options = options or RunOptions()
    plan = validate(path, params, options.dataset)
    plan.model = options.model or plan.model
    plan.endpoint = options.endpoint if options.endpoint is not None else plan.endpoint
    items = load_items(plan.dataset, plan.recipe_dir)
    meter = options.meter or _plan_meter(plan)
    return {"name": plan.name, **estimate_plan(plan, items, meter, _endpoint_name(plan))}


def run(path: str | Path | None, params: dict[str, Any] | None = None,
        options: RunOptions | None = None) -> RunResult:
    """Validate, then run a recipe over its dataset (or continue `options.resume`)."""
    return asyncio.run(arun(path, params, options))


async def arun(path: str | Path | None, params: dict[str, Any] | None = None,
               options: RunOptions | None = None) -> RunResult:
    """`run` inside an event loop that is already running."""
    options = options or RunOptions()
    run_store = RunStore(options.store)
    params = dict(params or {})
    if options.resume is not None:
        path, params, options = _resumed(run_store, params, options)
    if path is None:
        raise InputError("give a recipe path or a run id to resume")
    plan = validate(path, params, options.dataset)
    plan.model = options.model or plan.model
    items = load_items(plan.dataset, plan.recipe_dir)
    stats = Stats()
    client = _client(plan, options, stats)
    try:
        run_id, skip = _start(run_store, options, plan, path, params, client, len(items))
        calls = CallPath(run_id=run_id, store=run_store, client=client,
                         cache=_cache(run_store.root) if options.cache or options.offline else None,
                         meter=options.meter or _plan_meter(plan), model=plan.model,
                         offline=options.offline, budget=Budget(options.max_cost), stats=stats)
        flow = ItemDataflow(plan, calls, run_store, run_id, stats,
                            run_store.root / "artifacts" / run_id)
        results = await _with_progress(flow.run(items, skip), stats, options)
        status, code = _outcome(results)
        run_store.finish_run(run_id, status, code)
        return RunResult(run_id, status, code, run_store.items(run_id), stats)
    finally:
        await client.aclose()
        run_store.close()


def _resumed(run_store: RunStore, params: dict[str, Any],
             options: RunOptions) -> tuple[str, dict[str, Any], RunOptions]:
    """The recipe, params and budget of the run being resumed (given values win)."""
    prior = run_store.run(options.resume)
    if prior is None:
        raise InputError(f"no run {options.resume!r} in {run_store.path} (fix: see `pipe runs`)")
    max_cost = options.max_cost if options.max_cost is not None else prior["max_cost"]
    return (prior["recipe_path"], {**prior["overrides"], **params},
            options.but(max_cost=max_cost))


def _start(run_store: RunStore, options: RunOptions, plan: Plan, path: str | Path,
           params: dict[str, Any], client: EndpointClient, items_total: int
           ) -> tuple[str, set[str]]:
    """The run id to record under, and the items already finished (on resume)."""
    if options.resume is None:
        run_id = run_store.create_run(
            recipe_path=str(Path(path).resolve()), recipe_name=plan.name, params=plan.params,
            overrides=params, endpoint=client.identity, model=plan.model,
            items_total=items_total, max_cost=options.max_cost)
        return run_id, set()
    run_store.mark_running(options.resume)
    done = {i["item_id"] for i in run_store.items(options.resume) if i["status"] == ItemStatus.OK}
    return options.resume, done


async def _with_progress(work, stats: Stats, options: RunOptions) -> list[ItemResult]:
    stop = asyncio.Event()
    shower = asyncio.create_task(show_progress(stats, options.display, stop))
    try:
        return await work
    finally:
        stop.set()
        await shower


def _outcome(results: list[ItemResult]) -> tuple[RunStatus, ExitCode]:
    statuses = {r.status for r in results}
    status = (RunStatus.BUDGET if ItemStatus.BUDGET in statuses else
              RunStatus.FAILED if ItemStatus.FAILED in statuses else RunStatus.OK)
    return status, status.exit_code


def _client(plan: Plan, options: RunOptions, stats: Stats) -> EndpointClient:
    def on_event(kind: str, info: dict) -> None:
        if kind == "retry":
            stats.retries += 1

    config = resolve_endpoint(options.endpoint if options.endpoint is not None else plan.endpoint)
    if options.concurrency:
        config = config.model_copy(update={"concurrency": options.concurrency})
    return EndpointClient(config, transport=options.transport, on_event=on_event)


def _cache(root: Path) -> ResponseCache:
    return ResponseCache(root / "cache.sqlite")


def runs(store: str | Path = ".pipe") -> list[dict[str, Any]]:
    """Every run in the store, newest first (what `pipe runs` lists)."""
    return RunStore(store).runs()


def show(run_id: str, store: str | Path = ".pipe") -> dict[str, Any]:
    """A run's header, per-node call table, item outputs, and every registered show section
    (`pipe.show_sections`; `evals` adds `steps`, the per-step population metrics)."""
    s = RunStore(store)
    run_row = s.run(run_id)
    if run_row is None:
        raise InputError(f"no run {run_id!r} in {s.path} (fix: see `pipe runs`)")
    calls = s.calls(run_id)
    sections = {name: SHOW_SECTIONS.get(name)(s, run_id) for name in SHOW_SECTIONS}
    return {"run": run_row, "nodes": node_table(calls), **sections, "items": s.items(run_id),
            "total_usd": sum(c.cost_usd or 0.0 for c in calls),
            "unknown_cost_calls": sum(1 for c in calls
                                      if c.status == CallStatus.OK and c.cost_usd is None)}
