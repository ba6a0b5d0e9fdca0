"""Item-level dataflow: every (item, node) pair runs as soon as its inputs exist.

Items never wait for each other: one problem's step t+1 starts while another is still at
step 1. The endpoint client's concurrency limit is what keeps the server evenly busy.

Adaptive stopping: when a repeat's `stop_when` gate (`pipelines.nodes.vote.StopGate`) finds an
item's population agreeing, the nodes it skips are stored as `{"skipped": why, ...}` without
running (no calls, not errors) and the repeat's output node takes that population, so what
reads the repeat (the final vote) sees the last population computed. Skips are stored like any
output, and re-applied from a stored gate output on resume.
"""

from __future__ import annotations

import asyncio
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from pipelines.errors import BudgetExceeded, CacheMiss, CallError
from pipelines.execution.call_path import CallPath
from pipelines.execution.stats import Stats
from pipelines.nodes.base import NodeRun
from pipelines.nodes.vote import StopGate, skipped_output
from pipelines.recipe.plan import Plan
from pipelines.sandbox.expr import evaluate
from pipelines.types import ItemStatus, RunStoreLike


@dataclass
class ItemResult:
    item_id: str
    status: ItemStatus
    error: str | None
    outputs: dict[str, Any] | None


class ItemDataflow:
    """Runs every item of a run through the plan's DAG, many items at once."""

    def __init__(self, plan: Plan, calls: CallPath, store: RunStoreLike, run_id: str, stats: Stats,
                 artifacts_root: Path, max_items_in_flight: int = 256):
        self.plan, self.calls, self.store, self.run_id = plan, calls, store, run_id
        self.stats = stats
        self.artifacts_root = artifacts_root
        self.recipe_dir = plan.recipe_dir  # resolved once, not per node run
        self.max_items_in_flight = max_items_in_flight
        self.needs = {n: set(plan.graph.predecessors(n)) if n in plan.graph
                      else plan.nodes[n].deps() for n in plan.nodes}
        """Node id -> what it waits for: its inputs, and the stop gate of its repetition."""

    async def run(self, items: Iterable[dict[str, Any]], skip: set[str]) -> set[ItemStatus]:
        """Every item not in `skip`, resuming each from its node outputs already stored; the
        statuses the items ended with.

        Items are admitted in a window of `max_items_in_flight`: only those in flight are held
        (with their tasks), so memory does not grow with the dataset, and results go to the
        store, not to a list. `items` may be a generator."""
        if hasattr(items, "__len__"):
            self.stats.items_total = len(items)
        self.stats.items_done = len(skip)
        statuses: set[ItemStatus] = set()
        running: set[asyncio.Task] = set()
        source = iter(items)
        try:
            while True:
                if len(running) >= self.max_items_in_flight:  # room first, then the next item
                    finished, running = await asyncio.wait(running,
                                                           return_when=asyncio.FIRST_COMPLETED)
                    statuses.update(t.result() for t in finished)
                item = next(source, None)
                if item is None:
                    break
                if item["id"] not in skip:
                    running.add(asyncio.create_task(self._guarded(item)))
            if running:
                statuses.update(t.result() for t in (await asyncio.wait(running))[0])
        finally:  # stopped early (a bad dataset row, Ctrl-C): the items in flight end first,
            for task in running:  # so that nothing writes to the store after the run closed it
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)
        return statuses

    async def _guarded(self, item: dict[str, Any]) -> ItemStatus:
        if self.calls.budget.exhausted:
            result = ItemResult(item["id"], ItemStatus.BUDGET,
                                "budget reached before this item started", None)
        else:
            result = await self._item(item, self.store.outputs(self.run_id, item_id=item["id"])
                                      .get(item["id"], {}))
        if result.status == ItemStatus.OK:
            self.stats.items_done += 1
        elif result.status == ItemStatus.FAILED:
            self.stats.items_failed += 1
        self.store.finish_item(self.run_id, item["id"], result.status, result.error, result.outputs)
        return result.status

    async def _item(self, item: dict[str, Any], saved: dict[str, Any]) -> ItemResult:
        try:
            done = await self._flow(item, dict(saved))
            env = self._env(item, self.plan.top_scope, {}, done)
            outputs = evaluate(self.plan.outputs, env)
            return ItemResult(item["id"], ItemStatus.OK, None, outputs)
        except BudgetExceeded as exc:
            return ItemResult(item["id"], ItemStatus.BUDGET, str(exc), None)
        except (CallError, CacheMiss) as exc:
            return ItemResult(item["id"], ItemStatus.FAILED, str(exc), None)
        except Exception as exc:  # a node's own failure fails this item only
            where = traceback.extract_tb(exc.__traceback__)[-1]
            return ItemResult(item["id"], ItemStatus.FAILED,
                              f"{type(exc).__name__}: {exc} ({Path(where.filename).name}:{where.lineno})",
                              None)

    async def _flow(self, item: dict[str, Any], done: dict[str, Any]) -> dict[str, Any]:
        for node_id in [n for n in done if isinstance(self.plan.nodes.get(n), StopGate)]:
            self._stopped(item, node_id, done)  # a resumed item: skips its gates decided
        pending = [n for n in self.plan.nodes if n not in done]
        running: dict[asyncio.Task, str] = {}
        try:
            while pending or running:
                for node_id in [n for n in pending if self.needs[n] <= done.keys()]:
                    pending.remove(node_id)
                    task = asyncio.create_task(self._node(item, node_id, done))
                    running[task] = node_id
                if not running:
                    raise RuntimeError(f"nodes {pending} can never run (unmet inputs)")
                finished, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                for task in finished:
                    node_id = running.pop(task)
                    done[node_id] = task.result()
                    self.store.save_output(self.run_id, item["id"], node_id, done[node_id])
                    if isinstance(self.plan.nodes[node_id], StopGate):
                        pending = [n for n in pending if n not in self._stopped(item, node_id, done)]
        finally:
            for task in running:
                task.cancel()
        return done

    def _stopped(self, item: dict[str, Any], gate_id: str, done: dict[str, Any]) -> set[str]:
        """When the gate said stop: store its skipped nodes' outputs (the repeat's output
        node takes the gate's population); the nodes skipped."""
        gate, output = self.plan.nodes[gate_id], done[gate_id]
        if not (isinstance(gate, StopGate) and isinstance(output, dict) and output.get("stop")):
            return set()
        for node_id in gate.skips:
            if node_id in done:
                continue
            node = self.plan.nodes[node_id]
            done[node_id] = done[gate.scope["prev"]] if node_id == gate.carry else \
                skipped_output(gate, output, node)
            self.store.save_output(self.run_id, item["id"], node_id, done[node_id])
        return set(gate.skips)

    def _env(self, item, scope: dict[str, str], locals_: dict[str, Any], done) -> dict[str, Any]:
        env: dict[str, Any] = {"params": self.plan.params, "item": item, **locals_}
        for name, node_id in scope.items():
            if node_id in done:  # `prev` (inside a repeat) is the value itself, not a node
                env[name] = done[node_id] if name == "prev" else {"output": done[node_id]}
        return env

    async def _node(self, item: dict[str, Any], node_id: str, done: dict[str, Any]) -> Any:
        node = self.plan.nodes[node_id]
        counter = iter(range(1_000_000, 2_000_000))

        async def chat(messages, *, sample: int | None = None,
                       max_prompt_tokens: int | None = None, **params: Any) -> str:
            index = next(counter) if sample is None else sample
            return await self.calls.chat(item["id"], node_id, list(messages), sample=index,
                                         params=params, max_prompt_tokens=max_prompt_tokens)

        ctx = NodeRun(item=item, params=self.plan.params,
                      env=self._env(item, node.scope, node.locals, done), chat=chat,
                      recipe_dir=self.recipe_dir,
                      artifacts_dir=self.artifacts_root / _safe(item["id"]),
                      seed=int(self.plan.params.get("seed", 0) or 0))
        if node.kind == "python":
            ctx.artifacts_dir.mkdir(parents=True, exist_ok=True)
        return await node.run(ctx)


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name) or "item"
