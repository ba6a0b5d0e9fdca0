"""`pipe run --estimate`: what a run will cost at most, before spending anything.

Per llm node: calls = items x calls per item (samples); requests = calls, except that an
unmapped node's n samples share one request per `max_n` of them unless the endpoint's
`n_requests` is separate; the prompt counts once per request where the endpoint is known to
honour `n` (`one`, and the embedded server), once per sample under `auto`, its tokens bounded by the
endpoint's own count (exact on the embedded server, UTF-8 bytes elsewhere) of the templates'
text with the largest item, plus, for mapped aggregation calls, the candidates they carry
(max_tokens each); output tokens = max_tokens. Per python node: the `ctx.chat` calls it
declares (`calls`, `max_tokens`, `max_prompt_tokens`), or "unbounded" when it takes `ctx` and
declares nothing. Priced with the run's meter at the current time as uncached input.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, Callable

from pipelines.execution.call_path import DEFAULT_MAX_TOKENS
from pipelines.nodes.llm import LLMNode
from pipelines.nodes.python import PythonNode
from pipelines.recipe.plan import Plan
from pipelines.sandbox.expr import names_in
from pipelines.sandbox.templates import templates_for
from pipelines.types import Meter

PromptTokens = Callable[[list[dict[str, str]]], int]


def estimate(plan: Plan, items: list[dict[str, Any]], meter: Meter, endpoint: str,
             prompt_tokens: PromptTokens, *, n_requests: str = "auto",
             max_n: int = 64) -> dict[str, Any]:
    """Worst-case calls, tokens and dollars per node that calls a model (and, for an llm
    node, the requests that carry its calls):
    `{nodes: [...], items, total_usd, unbounded, notes}`; `total_usd` is None when a price is
    unknown or a python node's calls are unbounded (`unbounded` names those nodes).
    `n_requests` and `max_n` are the endpoint's (how n samples are asked for)."""
    largest_item = max((json.dumps(i, ensure_ascii=False) for i in items), key=len, default="")
    now = datetime.now(timezone.utc)

    def priced(node_id: str, calls: int, prompt: int, output: int,
               requests: int | None = None) -> dict[str, Any]:
        sent = calls if requests is None else requests
        usd = meter.worst_case_usd(endpoint=endpoint, model=plan.model,
                                   prompt_tokens=prompt * sent, max_tokens=output * calls,
                                   started_at=now)
        return {"node": node_id, "calls": calls,
                **({} if requests is None else {"requests": requests}),
                "prompt_tokens": prompt * sent, "max_output_tokens": output * calls, "usd": usd}

    rows, unbounded, shared = [], [], []
    for node in plan.nodes.values():
        if isinstance(node, LLMNode):
            output = node.config.max_tokens or DEFAULT_MAX_TOKENS
            prompt = _llm_prompt_bound(plan, node, largest_item, output, prompt_tokens)
            calls = node.calls_per_item(plan) * len(items)
            per_item = _shared_requests(node, n_requests, max_n)
            requests = calls if per_item is None else per_item * len(items)
            # under `auto` an endpoint may ignore n: the worst case bills the prompt per sample
            billed = calls if n_requests == "auto" else requests
            rows.append({**priced(node.id, calls, prompt, output, billed), "requests": requests})
            if per_item is not None and n_requests == "auto":
                shared.append(node.id)
        elif isinstance(node, PythonNode):
            declared = node.chat_calls(plan)
            if declared is None:
                unbounded.append(node.id)
                rows.append({"node": node.id, "calls": None, "prompt_tokens": None,
                             "max_output_tokens": None, "usd": None})
            elif declared.calls:
                rows.append(priced(node.id, declared.calls * len(items),
                                   declared.max_prompt_tokens, declared.max_tokens))
    total = None if unbounded or any(r["usd"] is None for r in rows) else \
        sum(r["usd"] for r in rows)
    notes = [f"python node {n} may call ctx.chat any number of times: its calls are not in "
             "the total (declare calls, max_tokens and max_prompt_tokens on the node)"
             for n in unbounded]
    notes += [f"llm node {n}: its n samples go in one request per item, but are priced "
              "with the prompt billed once per sample, in case the endpoint ignores n "
              "(`n_requests: one` on an endpoint that honours it prices the prompt once)"
              for n in shared]
    return {"nodes": rows, "items": len(items), "total_usd": total, "unbounded": unbounded,
            "notes": notes}


def _shared_requests(node: LLMNode, n_requests: str, max_n: int) -> int | None:
    """Requests one item sends for an unmapped node's n samples (up to `max_n` a request), or
    None when each sample is a request of its own."""
    n = node.config.n
    if node.config.map is not None or n == 1 or n_requests == "separate":
        return None
    return -(-n // max_n)


def _llm_prompt_bound(plan: Plan, node: LLMNode, largest_item: str, max_tokens: int,
                      prompt_tokens: PromptTokens) -> int:
    """The node's messages as their template text followed by the largest item, counted by
    the endpoint's bound, plus `max_tokens` per candidate a mapped call carries."""
    templates = templates_for(plan.recipe_dir)
    messages = [{"role": m.role, "content": (templates.source(m.prompt) if m.prompt
                                             else m.content or "") + largest_item}
                for m in node.messages_spec()]
    candidates = _group_size(plan, node) * max_tokens if node.config.map is not None else 0
    return prompt_tokens(messages) + candidates


def _group_size(plan: Plan, node: LLMNode) -> int:
    for name in names_in(node.config.map):
        source = plan.nodes.get(node.scope.get(name, ""))
        size = getattr(getattr(source, "config", None), "size", None)
        if size:
            return size
    return 1
