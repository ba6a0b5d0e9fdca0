"""The Python API (re-exported by `pipelines`); the CLI is a thin shell over these functions."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Collection, Sequence

from pipelines.cost import load_meter
from pipelines.cost.pricing import pricing_fix, resolve_pricing
from pipelines.endpoints import EndpointClient, resolve_endpoint
from pipelines.endpoints.config import load_embedded
from pipelines.endpoints.tokens import prompt_token_bound
from pipelines.errors import DatasetError, ExitCode, InputError, Issue, RecipeError
from pipelines.figures import Accuracy
from pipelines.execution.accuracy import score_run
from pipelines.execution.budget import Budget
from pipelines.execution.call_path import CallPath
from pipelines.execution.dataflow import ItemDataflow
from pipelines.execution.estimate import estimate as estimate_plan
from pipelines.execution.progress import planned_calls, show_progress
from pipelines.execution.stats import Stats
from pipelines.options import RunOptions
from pipelines.plugins import SHOW_SECTIONS
from pipelines.recipe.datasets import load_items, stream_items
from pipelines.recipe.jsonl import JsonlItems
from pipelines.recipe.plan import Plan
from pipelines.recipe.plan_builder import build_plan
from pipelines.storage import ResponseCache, RunStore, call_sums
from pipelines.storage.item_view import StoredItems
from pipelines.storage.exports import ExportRows
from pipelines.types import ItemStatus, Meter, RunStatus


@dataclass
class RunResult:
    """How a run ended, its items' results and its live counters."""

    run_id: str
    status: RunStatus
    exit_code: ExitCode
    items: Sequence[dict[str, Any]] = field(default_factory=list)
    """`{item_id, status, error, outputs, gold, correct}` per item, in the order they finished:
    a `StoredItems` view that reads them from the run store as they are used (a million-item
    run holds none of them in memory); `list(result.items)` for a list."""
    stats: Stats | None = None
    accuracy: Accuracy | None = None
    """Items whose final answer equals their gold answer (see `pipelines.execution.accuracy`);
    None when the dataset has no gold or the recipe no vote node."""


def validate(path: str | Path, params: dict[str, Any] | None = None,
             dataset: dict[str, Any] | None = None, pricing: str | Path | None = None, *,
             endpoint: str | None = None, model: str | None = None) -> Plan:
    """Every check that can run before spending anything; the validated `Plan`.

    Raises RecipeError (every problem found). `dataset` replaces the recipe's `dataset:` block
    (eval suites run one recipe on many); `pricing` is `RunOptions.pricing` (`--pricing`);
    `endpoint` and `model` replace the recipe's (`--endpoint`, `--model`)."""
    plan = build_plan(path, params, dataset=dict(dataset) if dataset is not None else None,
                      endpoint=endpoint, model=model, check_endpoint=_endpoint_problem)
    _refuse_unheld_formats(plan)
    meter = _plan_meter(plan, pricing)
    knows = getattr(meter, "knows", None)
    if knows is not None and not knows(endpoint=_endpoint_name(plan), model=plan.model):
        plan.warnings.append(f"no price known for model {plan.model!r}: its calls will be recorded "
                             f"as unknown cost; fix: {pricing_fix()}, or `pricing:` in the recipe")
    return plan


def _refuse_unheld_formats(plan: Plan) -> None:
    """On the embedded endpoint, a `response_format` its server would refuse (a schema keyword
    constrained decoding cannot enforce) fails validation here rather than every item's call."""
    formats = {node.where: (node.id, fmt) for node in plan.nodes.values()
               if isinstance(fmt := getattr(node.config, "response_format", None), dict)
               and "${" not in json.dumps(fmt)}
    if not formats or not resolve_endpoint(plan.endpoint).is_embedded:
        return
    embedded = load_embedded()
    issues = [Issue(f"llm node {node_id}: {problem}", where,
                    "drop that keyword (check the answer in a python node instead), or use an "
                    "endpoint that enforces it")
              for where, (node_id, fmt) in formats.items()
              if (problem := embedded.response_format_problem(fmt))]
    if issues:
        raise RecipeError(issues)


def _endpoint_problem(spec: Any) -> tuple[str, str] | None:
    """(what is wrong, fix) for an endpoint spec: URL syntax, credentials in it, limits."""
    try:
        resolve_endpoint(spec)
    except InputError as exc:
        problem, _, fix = str(exc).partition("\n    fix: ")
        problem = problem.replace("Value error, ", "")
        if fix.startswith("set `"):  # a field's own fix (n_requests, max_n)
            return problem, fix
        if "credentials" in problem or "query string" in problem:
            return problem, "give the bare base URL; the key goes in the environment variable " \
                            "named by `api_key_env` (default OPENAI_API_KEY)"
        return problem, "e.g. endpoint: embedded, endpoint: http://host:8000/v1 or " \
                        "endpoint: {url: http://host:8000/v1, concurrency: 8}"
    return None


def _endpoint_name(plan: Plan) -> str:
    """The name the meter prices the plan's endpoint by (`embedded`, a URL, a sheet's name)."""
    ep = plan.endpoint
    return ep if isinstance(ep, str) else "embedded" if ep is None else str(ep.get("url", "custom"))


def _plan_meter(plan: Plan, pricing: str | Path | None = None) -> Meter:
    """The plan's meter, loaded once: its recipe's `pricing:`, then `pricing` (`--pricing`),
    then the model id (the lookup order of `pipelines.cost.pricing`)."""
    if plan.meter is None:
        own = plan.recipe.pricing
        plan.meter = load_meter(resolve_pricing(own, plan.recipe_dir) if own else None, pricing)
    return plan.meter


def graph(path: str | Path, params: dict[str, Any] | None = None, fmt: str = "mermaid") -> str:
    """The unrolled DAG as Mermaid (`fmt="mermaid"`) or Graphviz DOT (`fmt="dot"`) text."""
    plan = build_plan(path, params)
    return plan.mermaid() if fmt == "mermaid" else plan.dot()


def estimate(path: str | Path, params: dict[str, Any] | None = None,
             options: RunOptions | None = None) -> dict[str, Any]:
    """What a run would cost at most, spending nothing: per node that calls a model, worst-case
    calls, tokens and USD (`{name, nodes, items, total_usd, unbounded, notes}`; `total_usd`
    None if a price is unknown or a python node's ctx.chat calls are undeclared)."""
    options = options or RunOptions()
    plan = validate(path, params, options.dataset, options.pricing,
                    endpoint=options.endpoint, model=options.model)
    plan.model = options.model or plan.model
    plan.endpoint = options.endpoint if options.endpoint is not None else plan.endpoint
    items = load_items(plan.dataset, plan.recipe_dir)
    meter = options.meter or _plan_meter(plan)
    config = resolve_endpoint(plan.endpoint)
    return {"name": plan.name, **estimate_plan(plan, items, meter, _endpoint_name(plan),
                                               prompt_token_bound(config),
                                               n_requests=_n_requests(config),
                                               max_n=config.max_n)}


def _n_requests(config: Any) -> str:
    """How the estimate may price n samples: the embedded server is known to honour `n`."""
    return "one" if config.n_requests == "auto" and config.is_embedded else config.n_requests


def prompt_tokens(messages: list[dict[str, str]], endpoint: str | dict[str, Any] | None = "embedded") -> int:
    """The prompt tokens `endpoint` will count for these chat messages, at most: exact for the
    embedded model (its tokenizer and chat template), the UTF-8 bound for any other endpoint."""
    return prompt_token_bound(resolve_endpoint(endpoint))(messages)


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
    plan = validate(path, params, options.dataset, options.pricing,
                    endpoint=options.endpoint, model=options.model)
    plan.model = options.model or plan.model
    items = stream_items(plan.dataset, plan.recipe_dir)  # a JSONL file is read as the run goes
    stats = Stats(calls_planned=planned_calls(plan, len(items)))
    client = _client(plan, options, stats)
    run_id = None
    try:
        meter = options.meter or _plan_meter(plan)
        _refuse_unpriced_budget(options, meter, client.identity, plan.model)
        run_id, skip = _start(run_store, options, plan, path, params, client, len(items))
        stats.resumed = _reused_calls(run_store, run_id)
        if options.on_start is not None:
            options.on_start(run_id, stats)
        calls = CallPath(run_id=run_id, store=run_store, client=client,
                         cache=_cache(run_store.root) if options.cache or options.offline else None,
                         meter=meter, model=plan.model, offline=options.offline,
                         budget=_budget(options, run_store.spent(run_id)), stats=stats,
                         prompt_tokens=prompt_token_bound(client.config))
        flow = ItemDataflow(plan, calls, run_store, run_id, stats,
                            run_store.root / "artifacts" / run_id)
        statuses = await _with_progress(flow.run(items, skip), stats, options)
        await calls.drain()
        if isinstance(items, JsonlItems):
            await items.checked()  # a large file is checked while the run goes
        status, code = _outcome(statuses)
        run_store.commit()  # the scoring thread then has the store to itself
        # scored in chunks from the store (the final vote's outputs only), not from lists
        accuracy = await asyncio.to_thread(score_run, plan, items, run_store, run_id)
        run_store.finish_run(run_id, status, code)
        return RunResult(run_id, status, code, StoredItems(run_store.root, run_id), stats,
                         accuracy)
    except DatasetError as exc:  # a large dataset's bad line, found while the run went
        if run_id is None:
            raise
        await calls.drain()  # the calls already sent are paid for: kept
        run_store.finish_run(run_id, RunStatus.INTERRUPTED, ExitCode.FAILED)
        raise DatasetError(f"{exc}\n    run {run_id} stopped there, resumable: fix the file, "
                           f"then `pipe run --resume {run_id}`") from None
    except BaseException:  # Ctrl-C, cancelled, or a crash: stored as resumable, not `running`
        if run_id is not None:
            run_store.finish_run(run_id, RunStatus.INTERRUPTED, ExitCode.FAILED)
        raise
    finally:
        if isinstance(items, JsonlItems):
            items.close()
        await client.aclose()
        run_store.close()


def _budget(options: RunOptions, spent_before: float) -> Budget:
    """The run's budget, charged with what earlier attempts of it spent (on `--resume`)."""
    return Budget(options.max_cost, spent=spent_before, allow_unpriced=options.allow_unpriced)


def _refuse_unpriced_budget(options: RunOptions, meter: Meter, endpoint: str, model: str) -> None:
    """A budget over calls of unknown price cannot be kept: refuse before anything is written,
    unless the user accepts unpriced calls."""
    if options.max_cost is None or options.allow_unpriced or _priced(meter, endpoint, model):
        return
    raise InputError(f"--max-cost ${options.max_cost:g}: no price known for model {model!r} on "
                     f"{endpoint}, so the budget cannot be kept; nothing was run\n"
                     f"    fix: add `pricing: FILE` to the recipe, or pass {pricing_fix()}; "
                     "or accept unpriced calls (counted as $0) with --allow-unpriced")


def _priced(meter: Meter, endpoint: str, model: str) -> bool:
    knows = getattr(meter, "knows", None)
    if knows is not None:
        return knows(endpoint=endpoint, model=model)
    probe = meter.worst_case_usd(endpoint=endpoint, model=model, prompt_tokens=1, max_tokens=1,
                                 started_at=datetime.now(timezone.utc))
    return probe is not None


def _resumed(run_store: RunStore, params: dict[str, Any],
             options: RunOptions) -> tuple[str, dict[str, Any], RunOptions]:
    """The recipe, params, budget and `GIVEN` options of the run being resumed (given values
    win): a run the proxy started resumes on its request's question and upstream."""
    prior = run_store.run(options.resume)
    if prior is None:
        raise InputError(f"no run {options.resume!r} in {run_store.path} (fix: see `pipe runs`)")
    max_cost = options.max_cost if options.max_cost is not None else prior["max_cost"]
    kept = {k: v for k, v in prior["given"].items() if k in GIVEN and getattr(options, k) is None}
    return (prior["recipe_path"], {**prior["overrides"], **params},
            options.but(max_cost=max_cost, **kept))


GIVEN = ("dataset", "endpoint", "model", "pricing")
"""Options that replace the recipe's own, stored with the run so that a resume keeps them."""


def _given(options: RunOptions) -> dict[str, Any]:
    return {k: getattr(options, k) for k in GIVEN if getattr(options, k) is not None}


def _start(run_store: RunStore, options: RunOptions, plan: Plan, path: str | Path,
           params: dict[str, Any], client: EndpointClient, items_total: int
           ) -> tuple[str, Collection[str]]:
    """The run id to record under, and the items already finished (on resume: looked up in
    the store, not loaded)."""
    if options.resume is None:
        run_id = run_store.create_run(
            recipe_path=str(Path(path).resolve()), recipe_name=plan.name, params=plan.params,
            overrides=params, endpoint=client.identity, model=plan.model,
            items_total=items_total, max_cost=options.max_cost, given=_given(options))
        return run_id, set()
    run_store.mark_running(options.resume)
    return options.resume, run_store.finished_items(options.resume)


def _reused_calls(run_store: RunStore, run_id: str) -> int:
    """Calls an earlier attempt completed that this one keeps: those of finished items and of
    stored node outputs (never looked up again), and (counted as they come) those found by key."""
    return run_store.reused_calls(run_id)


async def _with_progress(work, stats: Stats, options: RunOptions) -> set[ItemStatus]:
    stop = asyncio.Event()
    shower = asyncio.create_task(show_progress(stats, options.display, stop))
    try:
        return await work
    finally:
        stop.set()
        await shower


def _outcome(statuses: set[ItemStatus]) -> tuple[RunStatus, ExitCode]:
    status = (RunStatus.BUDGET if ItemStatus.BUDGET in statuses else
              RunStatus.FAILED if ItemStatus.FAILED in statuses else RunStatus.OK)
    return status, status.exit_code


def _client(plan: Plan, options: RunOptions, stats: Stats) -> EndpointClient:
    def on_event(kind: str, info: dict) -> None:
        if kind == "retry":
            stats.retries += 1

    config = resolve_endpoint(options.endpoint if options.endpoint is not None else plan.endpoint)
    if options.concurrency is not None:
        if options.concurrency < 1:
            raise InputError(f"--concurrency must be at least 1, got {options.concurrency} "
                             "(fix: pass --concurrency 1 or more)")
        config = config.model_copy(update={"concurrency": options.concurrency})
    return EndpointClient(config, transport=options.transport, on_event=on_event)


def _cache(root: Path) -> ResponseCache:
    return ResponseCache(root / "cache.sqlite")


def runs(store: str | Path = ".pipe", *, recipe: str | None = None, status: str | None = None,
         limit: int | None = None) -> list[dict[str, Any]]:
    """Runs in the store, newest first (what `pipe runs` lists), optionally only one recipe's
    (by name) or one status's, at most `limit`. Each row has `usd`, `unpriced_calls`,
    `items_ok` and `accuracy` (`Accuracy.as_dict()`, or None when no item was scored); a run
    whose process died without finishing it has status `interrupted`."""
    return [_with_accuracy(r) for r in RunStore(store).runs(recipe=recipe, status=status,
                                                            limit=limit)]


def _with_accuracy(row: dict[str, Any]) -> dict[str, Any]:
    correct, scored = row.pop("correct", None) or 0, row.pop("scored", None) or 0
    return {**row, "accuracy": Accuracy(correct, scored).as_dict() if scored else None}


def show(run_id: str, store: str | Path = ".pipe") -> dict[str, Any]:
    """A run's header, per-node call table, item outputs, and every registered show section
    (`pipe.show_sections`; `evals` adds `steps`, the per-step population metrics). Sums are
    computed by the store, and `items` is a sequence read from the store on use (as
    `RunResult.items`), so a million-item run's report is as small as a ten-item one's."""
    s = RunStore(store)
    run_row = s.run(run_id)
    if run_row is None:
        raise InputError(f"no run {run_id!r} in {s.path} (fix: see `pipe runs`)")
    try:
        sums = call_sums(s, run_id)
        sections = {name: SHOW_SECTIONS.get(name)(s, run_id) for name in SHOW_SECTIONS}
    finally:
        s.close()
    return {"run": _with_accuracy(run_row), "nodes": sums["nodes"], **sections,
            "items": StoredItems(s.root, run_id), "total_usd": sums["total_usd"],
            "unknown_cost_calls": sums["unknown_cost_calls"]}


def export(run_id: str, store: str | Path = ".pipe", *, calls: bool = False) -> ExportRows:
    """Flat rows of a run (what `pipe export` writes): per item `run_id, item_id, status,
    gold, correct, error` then the recipe's outputs; with `calls`, per call its item's gold
    and correctness, tokens, $, the messages sent and the response. An iterable read from the
    store a page at a time on each pass (`list(...)` to hold them); `.columns` is every column
    in order."""
    s = RunStore(store)
    if s.run(run_id) is None:
        raise InputError(f"no run {run_id!r} in {s.path} (fix: see `pipe runs`)")
    s.close()
    return ExportRows(s.root, run_id, calls=calls)
