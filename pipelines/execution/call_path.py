"""The one path every LLM call takes, one short stage each:

    resume -> cache -> budget -> send -> meter -> record

Nothing is billed twice: a call found in the run store (resume) or the response cache is free
(but for a call this run paid whose row a kill lost: it is recorded at its price).
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Awaitable, Callable, Sequence

from pipelines.cost import call_cost_columns
from pipelines.errors import CacheMiss, CallError, FatalCallError
from pipelines.execution.budget import Budget
from pipelines.execution.stats import Stats
from pipelines.storage.response_cache import cache_key
from pipelines.types import (CallRow, CallStatus, ChatClient, ChatRequest, ChatResult, Meter,
                             ResponseCacheLike, RunStoreLike)

DEFAULT_MAX_TOKENS = 1024
"""The output bound a call's worst case assumes when it sets no max_tokens."""
N_REFUSED = (400, 422)
"""Statuses with which an endpoint may refuse `n` (`auto` then asks once per sample)."""


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
    sample: int = 0


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
        config = getattr(client, "config", None)
        self.n_requests: str = getattr(config, "n_requests", "separate")
        """How n samples are asked for: auto | one | separate; auto becomes separate for the
        rest of the run once the endpoint ignores or refuses `n`."""
        self.max_n: int = getattr(config, "max_n", 64)
        self._sending: set[asyncio.Task] = set()
        """Paid calls on their way, including those whose item stopped waiting for them."""

    async def drain(self) -> None:
        """Wait until every call already sent is recorded (an item stopped by the budget or a
        failure leaves its other calls in flight: they are paid for, so they are kept)."""
        while self._sending:
            await asyncio.gather(*self._sending, return_exceptions=True)

    async def chat(self, item_id: str, node_id: str, messages: list[dict[str, str]], *,
                   sample: int, params: dict[str, Any],
                   max_prompt_tokens: int | None = None) -> Any:
        """The reply to one sample of one call, from wherever it is cheapest to get; with `n`
        in `params`, the list of replies to samples `sample` .. `sample + n - 1`
        (`samples`). `max_prompt_tokens` (a python node's declaration) refuses a
        longer prompt unsent."""
        if max_prompt_tokens is not None:
            self._check_prompt(node_id, messages, max_prompt_tokens)
        if "n" in params:
            rest = {k: v for k, v in params.items() if k != "n"}
            return await self.samples(item_id, node_id, messages, first=sample, n=params["n"],
                                      params=rest)
        call = self._prepare(item_id, node_id, messages, sample, params)
        reply = self._resumed(call)
        if reply is None:
            reply = self._cached(call)
        if reply is None:
            self._refuse_offline(call)
            reply = await self._paid(call)
        return reply

    def _check_prompt(self, node_id: str, messages: list[dict[str, str]], most: int) -> None:
        size = self.prompt_tokens(messages)
        if size > most:
            raise ValueError(f"node {node_id}: a ctx.chat prompt of up to {size} tokens is "
                             f"above its declared max_prompt_tokens: {most} (not sent)")

    def _prepare(self, item_id: str, node_id: str, messages: list[dict[str, str]], sample: int,
                 params: dict[str, Any], group: int | None = None) -> Call:
        """The call for one sample; `group` (its first sample): a choice of the n-request for
        samples `group`.., seeded once for all of them."""
        seeded = params.get("seed") is not None
        if seeded:
            at = sample if group is None else group
            params = {**params, "seed": sample_seed(params["seed"], item_id, node_id, at)}
        params = {k: v for k, v in params.items() if v is not None}
        req = ChatRequest(model=self.model, messages=tuple(messages), params=params,
                          route_key=item_id,
                          request_id=f"{self.run_id}/{item_id}/{node_id}#{sample}")
        key = cache_key(self.client.cache_scope, req, sample, shared=seeded and group is not None)
        return Call(item_id, node_id, req, key, sample)

    async def samples(self, item_id: str, node_id: str, messages: list[dict[str, str]], *,
                      first: int, n: int, params: dict[str, Any]) -> list[str]:
        """Samples `first` .. `first + n - 1` of one call. Each comes from the run or the cache
        when it is there (as a choice of an n-request, or as a request of its own); those
        missing from one request with `n` (one per `max_n`), so their prompt is processed and
        billed once, or from a request each where the endpoint takes no `n`."""
        indices = range(first, first + n)
        if self.n_requests == "separate":  # as configured, or learnt: a request per sample
            return await self._one_by_one(item_id, node_id, messages, indices, params)
        replies = {j: r for j in indices
                   if (r := self._known(item_id, node_id, messages, j, first, params)) is not None}
        missing = [j for j in indices if j not in replies]
        refused = False
        if len(missing) > 1 and self.n_requests != "separate":
            calls = [self._prepare(item_id, node_id, messages, j, params, group=first)
                     for j in missing]
            refused = await self._ask_shared(calls, whole=len(missing) == n, into=replies)
        rest = [j for j in missing if j not in replies]  # the endpoint took no `n`
        replies.update(zip(rest, await self._one_by_one(item_id, node_id, messages, rest, params)))
        if rest and refused:  # refused with `n`, answered without: it takes no `n`
            self.n_requests = "separate"
        return [replies[j] for j in indices]

    async def _one_by_one(self, item_id: str, node_id: str, messages: list[dict[str, str]],
                          samples: Sequence[int], params: dict[str, Any]) -> list[str]:
        return list(await asyncio.gather(
            *(self.chat(item_id, node_id, messages, sample=j, params=params) for j in samples)))

    async def _ask_shared(self, calls: list[Call], *, whole: bool, into: dict[int, str]) -> bool:
        """These samples' replies, put `into` by sample, from requests with `n` (up to `max_n`
        choices each); whether one of them was refused (400/422)."""
        self._refuse_offline(calls[0])
        chunks = [calls[i:i + self.max_n] for i in range(0, len(calls), self.max_n)]
        answered = await asyncio.gather(*(self._shared(chunk, whole=whole and len(chunks) == 1)
                                          for chunk in chunks))
        for chunk, answers in zip(chunks, answered):
            into.update((c.sample, a) for c, a in zip(chunk, answers or ()))
        return any(a is None for a in answered)

    def _known(self, item_id: str, node_id: str, messages: list[dict[str, str]], sample: int,
               first: int, params: dict[str, Any]) -> str | None:
        """A sample already answered, in this run or the cache: as a choice of an n-request or
        (seeded differently, so under another key) as a request of its own."""
        shared = self._prepare(item_id, node_id, messages, sample, params, group=first)
        alone = self._prepare(item_id, node_id, messages, sample, params)
        calls = [shared] if alone.key == shared.key else [shared, alone]
        for look in (self._resumed, self._cached):
            for call in calls:
                reply = look(call)
                if reply is not None:
                    return reply
        return None

    async def _shared(self, calls: list[Call], *, whole: bool) -> list[str] | None:
        """One request with `n` for these samples: reserved, sent, each choice recorded and
        cached as its sample (the prompt metered on the first). Fewer choices than asked for
        turn `n_requests` to separate for the rest of the run; unless it is `one`, a 400/422
        gives None (unbilled: the samples are then asked for one by one). Under a budget, it asks
        for as many as the budget admits (the rest then go one by one, until it refuses)."""
        fits = self._affordable(calls)
        calls, whole = calls[:fits], whole and fits == len(calls)
        req = _n_request(calls, whole)
        return await self._launch(req, calls[0].key, outputs=len(calls),
                                  send=lambda reserved, note: self._send_shared(calls, req,
                                                                                reserved, note))

    def _affordable(self, calls: list[Call]) -> int:
        """How many of these samples one request may ask for within the budget (at least 1:
        the budget refuses that one itself)."""
        room = (self.budget.max_usd or 0.0) - self.budget.spent - self.budget.reserved
        fits = lambda k: (self._worst_case(calls[0].request, k) or 0.0) <= room
        if self.budget.max_usd is None or fits(len(calls)):
            return len(calls)
        low, high = 1, len(calls)  # fits(low) or low == 1; not fits(high)
        while high - low > 1:
            middle = (low + high) // 2
            low, high = (middle, high) if fits(middle) else (low, middle)
        return low

    async def _send_shared(self, calls: list[Call], req: ChatRequest, reserved: float,
                           note: int | None) -> list[str] | None:
        self.stats.in_flight += 1
        try:
            results = (await self.client.chat_n(req))[:len(calls)]
        except CallError as exc:
            self._close(note)
            self.budget.settle(reserved, 0.0)
            if self.n_requests != "one" and exc.status in N_REFUSED:
                return None  # perhaps refused for its `n`: the samples go one by one
            self._record_error(calls[0], req, exc)
            raise
        finally:
            self.stats.in_flight -= 1
        cost = sum(self._record(call, result, cache_hit=False) or 0.0
                   for call, result in zip(calls, results))
        self._close(note)  # removing the reservation commits the rows, then the cache learns
        self.budget.settle(reserved, cost)
        for call, result in zip(calls, results):
            self._put(call, result)
        if len(results) < len(calls):
            self._ignored_n(req, len(results))
        return [r.content for r in results]

    def _ignored_n(self, req: ChatRequest, got: int) -> None:
        if self.n_requests == "one":
            raise FatalCallError(
                f"{self.endpoint} answered {got} choice(s) to a request for n={req.params['n']}"
                ": it ignores `n`; fix: set `n_requests: separate` (or auto) on the endpoint",
                request_id=req.request_id)
        self.n_requests = "separate"

    def _resumed(self, call: Call) -> str | None:
        """Stage 1, resume: a call this run already completed (before a crash) is reused."""
        done = self.store.completed_call(self.run_id, call.key)
        if done is None:
            return None
        self.stats.resumed += 1
        return done.response

    def _cached(self, call: Call) -> str | None:
        """Stage 2, cache: an identical call answered before costs $0 (recorded as a hit),
        unless this run paid for it: looked for after stage 1, its row was lost (killed before
        the row's group commit), so it is recorded, and budgeted, at its price."""
        found = self.cache.entry(call.key) if self.cache is not None else None
        if found is None:
            return None
        hit, paid_by = found
        if paid_by == self.run_id:
            self.budget.settle(0.0, self._record(call, hit, cache_hit=False))
        else:
            self._record(call, hit, cache_hit=True)
        return hit.content

    def _put(self, call: Call, result: ChatResult) -> None:
        if self.cache is not None:
            self.cache.put(call.key, result, run_id=self.run_id)

    def _refuse_offline(self, call: Call) -> None:
        if self.offline:
            raise CacheMiss(f"--offline: no cached response for {call.request.request_id}")

    async def _paid(self, call: Call) -> str:
        """Stages 3-6: reserve the worst case, send, meter, record (and fill the cache)."""
        return await self._launch(
            call.request, call.key, outputs=1,
            send=lambda reserved, note: self._send_and_record(call, reserved, note))

    async def _launch(self, req: ChatRequest, key: str, *, outputs: int,
                      send: Callable[[float, int | None], Awaitable[Any]]) -> Any:
        """Reserve the worst case of `req` (its prompt once, `outputs` samples of output), then
        `send(reserved, note)` on its own task."""
        limited = self.budget.max_usd is not None  # no budget: no need to count tokens
        reserved = self.budget.reserve(self._worst_case(req, outputs) if limited else 0.0)
        # Under a budget the reservation is durable until the call's outcome is recorded: a
        # resume after kill -9 counts a call sent but never recorded at its worst case.
        note = self.store.open_reservation(self.run_id, key, reserved) if limited else None
        # The send runs on its own: when the item gives up on it, it still finishes and is
        # recorded (a resume then reuses it), instead of being billed and lost.
        sending = asyncio.ensure_future(send(reserved, note))
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
        self._put(call, result)
        return result.content

    def _close(self, note: int | None) -> None:
        if note is not None:
            self.store.close_reservation(note)

    def _worst_case(self, req: ChatRequest, outputs: int = 1) -> float | None:
        """Stage 3, budget: the most this call can cost (its prompt once, full max_tokens of
        output for each of its `outputs` samples)."""
        return self.meter.worst_case_usd(
            endpoint=self.endpoint, model=self.model,
            prompt_tokens=self.prompt_tokens(list(req.messages)),
            max_tokens=outputs * int(req.params.get("max_tokens") or DEFAULT_MAX_TOKENS),
            started_at=datetime.now(timezone.utc))

    async def _send(self, call: Call, reserved: float) -> ChatResult:
        """Stage 4, send: a failed call releases its reservation and is recorded as an error."""
        self.stats.in_flight += 1
        try:
            return await self.client.chat(call.request)
        except CallError as exc:
            self.budget.settle(reserved, 0.0)
            self._record_error(call, call.request, exc)
            raise
        finally:
            self.stats.in_flight -= 1

    def _record_error(self, call: Call, req: ChatRequest, exc: CallError) -> None:
        """A failed request, recorded under the key of `call` (its first sample)."""
        self.stats.errors += 1
        self.store.record_call(CallRow(
            run_id=self.run_id, item_id=call.item_id, node=call.node_id, call_key=call.key,
            model=self.model, endpoint=self.endpoint, status=CallStatus.ERROR,
            error=str(exc), messages=_messages_json(req)))

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


def _n_request(calls: list[Call], whole: bool) -> ChatRequest:
    """The request for these samples' choices. Seeded, it carries the seed of their group when
    it asks for all of them, else a seed of its own: the choices of a request for some of the
    samples (a resume, a split above `max_n`) must not repeat those of the whole group's."""
    first = calls[0].request
    params = {**first.params, "n": len(calls)}
    if "seed" in params and not whole:
        material = f"{params['seed']}|{[c.sample for c in calls]}".encode()
        params["seed"] = int.from_bytes(hashlib.sha256(material).digest()[:4], "big") & 0x7FFFFFFF
    last = calls[-1].sample
    return dataclasses.replace(first, params=params, request_id=f"{first.request_id}..{last}")


def _messages_json(req: ChatRequest) -> str:
    """The messages a call sent, as stored with its row (exports show them)."""
    return json.dumps(list(req.messages), ensure_ascii=False)
