"""A recipe over its dataset as batch requests.

Only the recipe's first-level `llm` nodes become requests: those whose prompts read nothing
but `item` and `params` (no other node's output). Each item renders their prompts exactly as
`pipe run` would, one request per sample, with the same per-sample seeds. Later nodes (votes,
aggregation rounds, python) need earlier answers, so they are not part of a batch job.

custom_id = `{item id}/{node id}#{sample}`.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from pipelines.batch.requests import CHAT_URL, BatchRequest, BadLine, check_chat_body
from pipelines.recipe.plan_builder import build_plan
from pipelines.execution.call_path import sample_seed
from pipelines.recipe.datasets import load_items
from pipelines.errors import InputError
from pipelines.nodes.base import NodeRun
from pipelines.nodes.llm import LLMNode
from pipelines.recipe.plan import Plan


def first_level_llm_nodes(plan: Plan) -> list[LLMNode]:
    """The llm nodes that depend on no other node: none in their prompts, and no edge into them
    in the plan (a `repeat` wave gated by `stop_when` reads nothing, yet runs only if its gate
    lets it: batching it would buy every wave up front)."""
    return [n for n in plan.nodes.values() if isinstance(n, LLMNode) and not n.deps()
            and plan.graph.in_degree(n.id) == 0]


async def _no_chat(messages: Any, **params: Any) -> str:  # pragma: no cover - never called
    raise RuntimeError("rendering a batch request never calls a model")


def _context(plan: Plan, item: dict[str, Any], node: LLMNode) -> NodeRun:
    return NodeRun(item=item, params=plan.params, env={"params": plan.params, "item": item,
                                                       **node.locals},
                   chat=_no_chat, recipe_dir=plan.recipe_dir, artifacts_dir=plan.recipe_dir)


async def _node_requests(plan: Plan, model: str, item: dict[str, Any],
                         node: LLMNode) -> list[tuple[str, dict[str, Any]]]:
    ctx = _context(plan, item, node)
    if node.config.map is None:
        messages = await node.render(ctx, {})
        rendered = [(j, messages) for j in range(node.config.n)]
    else:
        elements = ctx.eval(node.config.map)
        if not isinstance(elements, list):
            raise InputError(f"{node.where}: llm node {node.id}: `map` gave "
                             f"{type(elements).__name__} for item {item['id']!r}, not a list")
        rendered = [(i, await node.render(ctx, {"each": e, "index": i}))
                    for i, e in enumerate(elements)]
    out = []
    for sample, messages in rendered:
        body: dict[str, Any] = {"model": model, "messages": messages, **node.sampling()}
        if node.config.seed is not None:
            body["seed"] = sample_seed(node.config.seed, item["id"], node.id, sample)
        out.append((f"{item['id']}/{node.id}#{sample}", body))
    return out


def requests_from_recipe(path: str | Path, params: dict[str, Any] | None = None, *,
                         model: str | None = None) -> list[BatchRequest]:
    """Validate the recipe, load its dataset and render every first-level llm call."""
    plan = build_plan(path, params)
    nodes = first_level_llm_nodes(plan)
    if not nodes:
        raise InputError(f"{path}: the recipe has no llm node whose prompt reads only `item` and "
                         "`params`, so nothing can be batched (fix: batch a recipe whose first "
                         "step is an llm node)")
    items = load_items(plan.dataset, plan.recipe_dir)
    model = model or plan.model

    async def render_all() -> list[tuple[str, dict[str, Any]]]:
        found = []
        for item in items:
            for node in nodes:
                found += await _node_requests(plan, model, item, node)
        return found

    requests = []
    for seq, (custom_id, body) in enumerate(asyncio.run(render_all()), 1):
        try:
            check_chat_body(body)
        except BadLine as exc:
            raise InputError(f"{path}: request {custom_id}: {exc}") from None
        requests.append(BatchRequest(custom_id=custom_id, line=seq, url=CHAT_URL, body=body))
    return requests
