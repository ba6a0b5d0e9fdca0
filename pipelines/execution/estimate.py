"""`pipe run --estimate`: what a run will cost at most, before spending anything.

Per llm node: calls = items x calls per item; prompt tokens from the template's size, the
item's size and (for mapped aggregation calls) the candidates it carries; output tokens =
max_tokens. Priced with the run's meter at the current time as uncached input.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from pipelines.execution.call_path import DEFAULT_MAX_TOKENS
from pipelines.nodes.llm import LLMNode
from pipelines.recipe.plan import Plan
from pipelines.sandbox.expr import names_in
from pipelines.sandbox.templates import templates_for
from pipelines.types import Meter


def estimate(plan: Plan, items: list[dict[str, Any]], meter: Meter, endpoint: str) -> dict[str, Any]:
    """Worst-case calls, tokens and dollars per llm node: `{nodes: [...], items, total_usd}`
    (`total_usd` None when any node's price is unknown)."""
    templates = templates_for(plan.recipe_dir)
    item_chars = sum(len(json.dumps(i)) for i in items) / max(len(items), 1)
    now = datetime.now(timezone.utc)
    rows, total, unknown = [], 0.0, False
    for node in plan.nodes.values():
        if not isinstance(node, LLMNode):
            continue
        max_tokens = node.config.max_tokens or DEFAULT_MAX_TOKENS
        chars = sum(len(templates.source(m.prompt)) if m.prompt else len(m.content or "")
                    for m in node.messages_spec()) + item_chars
        if node.config.map is not None:
            size = _group_size(plan, node)
            chars += size * 3 * max_tokens
        prompt_tokens = int(chars // 3) + 8
        calls = node.calls_per_item(plan) * len(items)
        per_call = meter.worst_case_usd(endpoint=endpoint, model=plan.model,
                                        prompt_tokens=prompt_tokens, max_tokens=max_tokens,
                                        started_at=now)
        usd = None if per_call is None else per_call * calls
        unknown |= usd is None
        total += usd or 0.0
        rows.append({"node": node.id, "calls": calls, "prompt_tokens": prompt_tokens * calls,
                     "max_output_tokens": max_tokens * calls, "usd": usd})
    return {"nodes": rows, "items": len(items), "total_usd": None if unknown else total}


def _group_size(plan: Plan, node: LLMNode) -> int:
    for name in names_in(node.config.map):
        source = plan.nodes.get(node.scope.get(name, ""))
        size = getattr(getattr(source, "config", None), "size", None)
        if size:
            return size
    return 1
