"""The one path every LLM call takes, one short stage each:

    resume -> cache -> budget -> send -> meter -> record

Nothing is billed twice: a call found in the run store (resume) or the response cache is free.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable

from pipelines.cost import call_cost_columns
from pipelines.errors import CacheMiss, CallError
from pipelines.execution.budget import Budget
from pipelines.execution.stats import Stats
from pipelines.storage.response_cache import cache_key
from pipelines.types import (CallRow, CallStatus, ChatClient, ChatRequest, ChatResult, Meter,
                             ResponseCacheLike, RunStoreLike)

DEFAULT_MAX_TOKENS = 1024
"""The output bound a call's worst case assumes when it sets no max_tokens."""


def sample_seed(base: int, item_id: str, node_id: str, sample: int) -> int:
    """The seed sent with one sample: distinct per (item, node, sample), fixed by the recipe's."""
    material = f"{base}|{item_id}|{node_id}|{sample}".encode()
    return int.from_bytes(hashlib.sha256(material).digest()[:4], "big") & 0x7FFFFFFF


def estimate_prompt_tokens(messages: list[dict[str, str]]) -> int:
    """An expected token count (about 3 characters per token), for plans; budgets use the
    endpoint's upper bound (`CallPath.prompt_tokens`) instead."""
    return sum(len(m.get("content", "")) for m in messages) // 3 + 8 * len(messages)


@dataclass(frozen=True)
class Call:
    """One call on its way: where it belongs in the run, what is sent, and its cache key."""

    item_id: str
    node_id: str
    request: ChatRequest
    key: str


class CallPath:
    """Runs calls for one run: `chat` goes through the stages below in order."""

    def __init__(self, *, run_id: str, store: RunStoreLike, client: ChatClient,
                 cache: ResponseCacheLike | None, meter: Meter, model: str, offline: bool,
                 budget: Budget, stats: Stats,
                 prompt_tokens: Callable[[list[dict[str, str]]], int]):
        self.run_id, self.store, self.client, self.cache = run_id, store, client, cache
        self.prompt_tokens = prompt_tokens
        """Upper bound on the prompt tokens the endpoint bills for some messages."""
        self.meter, self.model, self.offline = meter, model, offline
        self.budget, self.stats = budget, stats
        self.endpoint = client.identity
        self._sending: set[asyncio.Task] = set()
        """Paid calls on their way, including those whose item stopped waiting for them."""

    async def drain(self) -> None:
        """Wait until every call already sent is recorded (an item stopped by the budget or a
        failure leaves its other calls in flight: they are paid for, so they are kept)."""
        while self._sending:
            await asyncio.gather(*self._sending, return_exceptions=True)

    async def chat(self, item_id: str, node_id: str, messages: list[dict[str, str]], *,
                   sample: int, params: dict[str, Any],
                   max_prompt_tokens: int | None = None) -> str:
        """The reply to one sample of one call, from wherever it is cheapest to get.
        `max_prompt_tokens` (a python node's declaration) refuses a longer prompt unsent."""
        if max_prompt_tokens is not None:
            self._check_prompt(node_id, messages, max_prompt_tokens)
        call = self._prepare(item_id, node_id, messages, sample, params)
        reply = self._resumed(call)
        if reply is None:
            reply = self._cached(call)
        if reply is None:
            reply = await self._paid(call)
        return reply

    def _check_prompt(self, node_id: str, messages: list[dict[str, str]], most: int) -> None:
        size = self.prompt_tokens(messages)
        if size > most:
            raise ValueError(f"node {node_id}: a ctx.chat prompt of up to {size} tokens is "
                             f"above its declared max_prompt_tokens: {most} (not sent)")

    def _prepare(self, item_id: str, node_id: str, messages: list[dict[str, str]], sample: int,
                 params: dict[str, Any]) -> Call:
        if params.get("seed") is not None:
            params = {**params, "seed": sample_seed(params["seed"], item_id, node_id, sample)}
        params = {k: v for k, v in params.items() if v is not None}
        req = ChatRequest(model=self.model, messages=tuple(messages), params=params,
                          route_key=item_id,
                          request_id=f"{self.run_id}/{item_id}/{node_id}#{sample}")
        return Call(item_id, node_id, req, cache_key(self.client.cache_scope, req, sample))

    def _resumed(self, call: Call) -> str | None:
        """Stage 1, resume: a call this run already completed (before a crash) is reused."""
        done = self.store.completed_call(self.run_id, call.key)
        if done is None:
            return None
        self.stats.resumed += 1
        return done.response

    def _cached(self, call: Call) -> str | None:
        """Stage 2, cache: an identical call answered before costs $0 (recorded as a hit)."""
        hit = self.cache.get(call.key) if self.cache is not None else None
        if hit is not None:
            self._record(call, hit, cache_hit=True)
            return hit.content
        if self.offline:
            raise CacheMiss(f"--offline: no cached response for {call.request.request_id}")
        return None

    async def _paid(self, call: Call) -> str:
        """Stages 3-6: reserve the worst case, send, meter, record (and fill the cache)."""
        limited = self.budget.max_usd is not None  # no budget: no need to count tokens
        reserved = self.budget.reserve(self._worst_case(call.request) if limited else 0.0)
        # Under a budget the reservation is durable until the call's outcome is recorded: a
        # resume after kill -9 counts a call sent but never recorded at its worst case.
        note = self.store.open_reservation(self.run_id, call.key, reserved) if limited else None
        # The send runs on its own: when the item gives up on it, it still finishes and is
        # recorded (a resume then reuses it), instead of being billed and lost.
        sending = asyncio.ensure_future(self._send_and_record(call, reserved, note))
        self._sending.add(sending)
        sending.add_done_callback(self._sent)
        return await asyncio.shield(sending)

    def _sent(self, task: asyncio.Task) -> None:
        self._sending.discard(task)
        if not task.cancelled():
            task.exception()  # retrieved here: an abandoned call's error is already recorded

    async def _send_and_record(self, call: Call, reserved: float, note: int | None) -> str:
        try:
            result = await self._send(call, reserved)
        except CallError:
            self._close(note)
            raise
        price_usd = self._record(call, result, cache_hit=False)
        self._close(note)
        self.budget.settle(reserved, price_usd)
        if self.cache is not None:
            self.cache.put(call.key, result)
        return result.content

    def _close(self, note: int | None) -> None:
        if note is not None:
            self.store.close_reservation(note)

    def _worst_case(self, req: ChatRequest) -> float | None:
        """Stage 3, budget: the most this call can cost (full max_tokens of output)."""
        return self.meter.worst_case_usd(
            endpoint=self.endpoint, model=self.model,
            prompt_tokens=self.prompt_tokens(list(req.messages)),
            max_tokens=int(req.params.get("max_tokens") or DEFAULT_MAX_TOKENS),
            started_at=datetime.now(timezone.utc))

    async def _send(self, call: Call, reserved: float) -> ChatResult:
        """Stage 4, send: a failed call releases its reservation and is recorded as an error."""
        self.stats.in_flight += 1
        try:
            return await self.client.chat(call.request)
        except CallError as exc:
            self.stats.errors += 1
            self.budget.settle(reserved, 0.0)
            self.store.record_call(CallRow(
                run_id=self.run_id, item_id=call.item_id, node=call.node_id, call_key=call.key,
                model=self.model, endpoint=self.endpoint, status=CallStatus.ERROR,
                error=str(exc), messages=_messages_json(call.request)))
            raise
        finally:
            self.stats.in_flight -= 1

    def _record(self, call: Call, result: ChatResult, *, cache_hit: bool) -> float | None:
        """Stages 5-6, meter and record: price the usage at the call's start time, store the
        row, count it; returns the cost (None when the price is unknown)."""
        price = self.meter.price(endpoint=self.endpoint, model=self.model, usage=result.usage,
                                 started_at=result.started_at)
        columns = call_cost_columns(price, cache_hit=cache_hit)
        u = result.usage
        self.store.record_call(CallRow(
            run_id=self.run_id, item_id=call.item_id, node=call.node_id, call_key=call.key,
            model=self.model, endpoint=self.endpoint, started_at=result.started_at.isoformat(),
            latency_s=0.0 if cache_hit else result.latency_s,
            attempts=0 if cache_hit else result.attempts, prompt_tokens=u.prompt_tokens,
            cached_tokens=u.cached_tokens, cache_write_tokens=u.cache_write_tokens,
            completion_tokens=u.completion_tokens, reasoning_tokens=u.reasoning_tokens,
            cache_hit=int(cache_hit), finish_reason=result.finish_reason,
            response=result.content, messages=_messages_json(call.request), **columns))
        self._count(columns["cost_usd"], cache_hit)
        return columns["cost_usd"]

    def _count(self, cost: float | None, cache_hit: bool) -> None:
        self.stats.calls += 1
        self.stats.cache_hits += cache_hit
        if cost is None:
            self.stats.usd_unknown += 1
        else:
            self.stats.usd += cost


def _messages_json(req: ChatRequest) -> str:
    """The messages a call sent, as stored with its row (exports show them)."""
    return json.dumps(list(req.messages), ensure_ascii=False)
