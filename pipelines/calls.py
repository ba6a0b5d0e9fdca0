"""The one path every LLM call takes: resume lookup -> response cache -> budget -> endpoint ->
meter -> run store. Nothing is billed twice: a call found in the run store or the cache is free."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from pipelines.errors import BudgetExceeded, CacheMiss, CallError
from pipelines.types import ChatRequest, ChatResult, Meter, Price, Usage


@dataclass
class Stats:
    """Live counters for the progress display and the run summary."""

    items_total: int = 0
    items_done: int = 0
    items_failed: int = 0
    calls: int = 0
    cache_hits: int = 0
    resumed: int = 0
    errors: int = 0
    retries: int = 0
    in_flight: int = 0
    usd: float = 0.0
    usd_unknown: int = 0
    started: float = field(default_factory=lambda: __import__("time").monotonic())


@dataclass
class Budget:
    """--max-cost: refuse a new call once spent + worst case of calls in flight would pass it."""

    max_usd: float | None = None
    spent: float = 0.0
    reserved: float = 0.0
    exhausted: bool = False

    def reserve(self, worst: float | None) -> float:
        if self.max_usd is None:
            return 0.0
        worst = worst or 0.0
        if self.exhausted or self.spent + self.reserved + worst > self.max_usd:
            self.exhausted = True
            raise BudgetExceeded(f"budget of ${self.max_usd:.4f} reached "
                                 f"(spent ${self.spent:.4f}, in flight ${self.reserved:.4f})")
        self.reserved += worst
        return worst

    def settle(self, reserved: float, actual: float | None) -> None:
        self.reserved -= reserved
        self.spent += actual or 0.0


def sample_seed(base: int, item_id: str, node_id: str, sample: int) -> int:
    material = f"{base}|{item_id}|{node_id}|{sample}".encode()
    return int.from_bytes(hashlib.sha256(material).digest()[:4], "big") & 0x7FFFFFFF


def estimate_prompt_tokens(messages: list[dict[str, str]]) -> int:
    """A cautious token estimate before a call (about 3 characters per token)."""
    return sum(len(m.get("content", "")) for m in messages) // 3 + 8 * len(messages)


class CallPath:
    def __init__(self, *, run_id: str, store, client, cache, meter: Meter, model: str,
                 offline: bool, budget: Budget, stats: Stats):
        self.run_id, self.store, self.client, self.cache = run_id, store, client, cache
        self.meter, self.model, self.offline = meter, model, offline
        self.budget, self.stats = budget, stats
        self.endpoint = client.identity
        self.cache_scope = client.cache_scope

    def _price(self, usage: Usage, started_at: datetime) -> Price:
        return self.meter.price(endpoint=self.endpoint, model=self.model, usage=usage,
                                started_at=started_at)

    async def chat(self, item_id: str, node_id: str, messages: list[dict[str, str]], *,
                   sample: int, params: dict[str, Any]) -> str:
        if params.get("seed") is not None:
            params = {**params, "seed": sample_seed(params["seed"], item_id, node_id, sample)}
        params = {k: v for k, v in params.items() if v is not None}
        req = ChatRequest(model=self.model, messages=tuple(messages), params=params,
                          route_key=item_id, request_id=f"{self.run_id}/{item_id}/{node_id}#{sample}")
        from pipelines.cache import cache_key
        key = cache_key(self.cache_scope, req, sample)
        done = self.store.completed_call(self.run_id, key)
        if done is not None:
            self.stats.resumed += 1
            return done["response"]
        hit = self.cache.get(key) if self.cache is not None else None
        if hit is not None:
            self._record(item_id, node_id, key, hit, cache_hit=True)
            return hit.content
        if self.offline:
            raise CacheMiss(f"--offline: no cached response for {req.request_id}")
        worst = self.meter.worst_case_usd(
            endpoint=self.endpoint, model=self.model, prompt_tokens=estimate_prompt_tokens(messages),
            max_tokens=int(params.get("max_tokens") or 1024), started_at=datetime.now(timezone.utc))
        reserved = self.budget.reserve(worst)
        self.stats.in_flight += 1
        try:
            result = await self.client.chat(req)
        except CallError as exc:
            self.stats.errors += 1
            self.budget.settle(reserved, 0.0)
            self.store.record_call({"run_id": self.run_id, "item_id": item_id, "node": node_id,
                                    "call_key": key, "model": self.model, "endpoint": self.endpoint,
                                    "status": "error", "error": str(exc), "cache_hit": 0})
            raise
        finally:
            self.stats.in_flight -= 1
        price = self._record(item_id, node_id, key, result, cache_hit=False)
        self.budget.settle(reserved, price.usd)
        if self.cache is not None:
            self.cache.put(key, result)
        return result.content

    def _record(self, item_id: str, node_id: str, key: str, result: ChatResult, *,
                cache_hit: bool) -> Price:
        from pipelines.cost import call_cost_columns
        price = self._price(result.usage, result.started_at)
        columns = call_cost_columns(price, cache_hit=cache_hit)
        cost = columns["cost_usd"]
        self.stats.calls += 1
        self.stats.cache_hits += cache_hit
        if cost is None:
            self.stats.usd_unknown += 1
        else:
            self.stats.usd += cost
        u = result.usage
        self.store.record_call({
            "run_id": self.run_id, "item_id": item_id, "node": node_id, "call_key": key,
            "model": self.model, "endpoint": self.endpoint,
            "started_at": result.started_at.isoformat(), "latency_s": 0.0 if cache_hit else result.latency_s,
            "attempts": 0 if cache_hit else result.attempts, "status": "ok", "error": None,
            "prompt_tokens": u.prompt_tokens, "cached_tokens": u.cached_tokens,
            "cache_write_tokens": u.cache_write_tokens, "completion_tokens": u.completion_tokens,
            "reasoning_tokens": u.reasoning_tokens, "cache_hit": int(cache_hit), **columns,
            "finish_reason": result.finish_reason, "response": result.content})
        return price
