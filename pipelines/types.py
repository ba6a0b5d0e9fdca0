"""Value types and protocols shared across the engine, the endpoint client, the cost meter
and the run store.

These are the seams between packages: the scheduler builds a `ChatRequest`, a `ChatClient`
returns a `ChatResult`, a `Meter` turns its `Usage` into a `Price`, and every call is recorded
as a `CallRow` in a `RunStoreLike`. Statuses are enums whose values are the strings stored in
the run store and printed in JSON.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Mapping, Protocol

from pipelines.errors import ExitCode


class RunStatus(StrEnum):
    """How a run stands (`runs.status`)."""

    RUNNING = "running"
    OK = "ok"
    FAILED = "failed"
    """Some items failed; the others' results are kept."""
    BUDGET = "budget"
    """--max-cost was reached; finished items are kept."""
    INTERRUPTED = "interrupted"
    """Its process ended without finishing it (killed, crashed, Ctrl-C); `--resume` goes on."""

    @property
    def exit_code(self) -> ExitCode:
        """What a command that ended in this status exits with."""
        return {RunStatus.OK: ExitCode.OK, RunStatus.BUDGET: ExitCode.BUDGET}.get(
            self, ExitCode.FAILED)


class ItemStatus(StrEnum):
    """How one dataset item ended (`items.status`)."""

    OK = "ok"
    FAILED = "failed"
    BUDGET = "budget"
    """Not finished because the budget was reached."""


class CallStatus(StrEnum):
    """How one LLM call ended (`calls.status`)."""

    OK = "ok"
    ERROR = "error"


@dataclass(frozen=True)
class Usage:
    """Token counts of one call, normalised so that no component is counted twice.

    `cached_tokens` and `cache_write_tokens` are subsets of `prompt_tokens`;
    `reasoning_tokens` is a subset of `completion_tokens`.
    """

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    cache_write_tokens: int = 0
    reasoning_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def as_dict(self) -> dict[str, int]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class ChatRequest:
    """One chat-completion call: one sample, or with `n` in `params` one request for several
    (`ChatClient.chat_n`)."""

    model: str
    messages: tuple[Mapping[str, str], ...]
    params: Mapping[str, Any] = field(default_factory=dict)
    """Sampling and format parameters sent verbatim: temperature, top_p, max_tokens, seed,
    stop, response_format."""
    route_key: str | None = None
    """Requests with the same key go to the same replica (server prefix caches hit)."""
    request_id: str | None = None
    """Shown in errors and logs; never part of a cache key."""

    def body(self) -> dict[str, Any]:
        return {"model": self.model, "messages": [dict(m) for m in self.messages], **self.params}


@dataclass(frozen=True)
class ChatResult:
    """What came back from one successful call."""

    content: str
    finish_reason: str
    usage: Usage
    usage_raw: Mapping[str, Any]
    started_at: datetime
    latency_s: float
    attempts: int = 1
    response_id: str = ""


@dataclass(frozen=True)
class Price:
    """A call's price. `usd is None` means unknown (never silently zero)."""

    usd: float | None
    source: str
    """Which sheet or profile priced it, with its version, e.g. `sheet:deepseek@2025-09-29`."""
    tier: str = "standard"
    """standard | off-peak | batch"""
    components: Mapping[str, float] = field(default_factory=dict)


class Meter(Protocol):
    """Prices calls. Implemented by `pipelines.cost`; the engine only sees this protocol."""

    def price(
        self, *, endpoint: str, model: str, usage: Usage, started_at: datetime, batch: bool = False
    ) -> Price: ...

    def worst_case_usd(
        self, *, endpoint: str, model: str, prompt_tokens: int, max_tokens: int, started_at: datetime
    ) -> float | None: ...


class UnknownPriceMeter:
    """The meter used when no price applies: every call is priced as unknown."""

    def price(self, *, endpoint, model, usage, started_at, batch=False) -> Price:
        return Price(usd=None, source="unknown", tier="batch" if batch else "standard")

    def worst_case_usd(self, *, endpoint, model, prompt_tokens, max_tokens, started_at):
        return None


@dataclass(frozen=True)
class CallRow:
    """One LLM call as the run store keeps it (table `calls`): what was asked, what it cost."""

    run_id: str
    item_id: str
    node: str
    """Graph node id, e.g. `steps.2.aggregate`."""
    call_key: str
    """The response-cache key (sha256 of endpoint identity, model, messages, params, sample)."""
    model: str
    endpoint: str
    status: CallStatus = CallStatus.OK
    error: str | None = None
    started_at: str | None = None
    """ISO 8601 UTC time the call started; it is priced at this time."""
    latency_s: float | None = None
    attempts: int | None = None
    prompt_tokens: int | None = None
    cached_tokens: int | None = None
    cache_write_tokens: int | None = None
    completion_tokens: int | None = None
    reasoning_tokens: int | None = None
    cache_hit: int = 0
    """1 when the response cache answered (the call cost $0)."""
    cost_usd: float | None = None
    """What this call cost; None when its price is unknown (never silently zero)."""
    would_cost_usd: float | None = None
    """What it would have cost without the cache."""
    price_source: str | None = None
    tier: str | None = None
    finish_reason: str | None = None
    response: str | None = None
    messages: str | None = None
    """The request's messages as JSON (what `pipe export --calls` shows)."""

    @classmethod
    def columns(cls) -> tuple[str, ...]:
        """Column names, in table order."""
        return tuple(f.name for f in dataclasses.fields(cls))

    @classmethod
    def from_mapping(cls, row: Mapping[str, Any]) -> CallRow:
        """From a database row or dict (other keys ignored)."""
        present = set(row.keys())
        values = {k: row[k] for k in cls.columns() if k in present}
        if "status" in values:
            values["status"] = CallStatus(values["status"])
        return cls(**values)

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


class ChatClient(Protocol):
    """Sends one chat call (implemented by `pipelines.endpoints.EndpointClient`)."""

    identity: str
    """Where calls go, without secrets (recorded with every call)."""
    cache_scope: str
    """`identity` plus whatever else decides the answers (the embedded weights' digest)."""

    async def chat(self, req: ChatRequest) -> ChatResult: ...

    async def chat_n(self, req: ChatRequest) -> list[ChatResult]:
        """Every choice of one request, each with its share of the usage (the prompt once)."""
        ...

    async def aclose(self) -> None: ...


class ResponseCacheLike(Protocol):
    """Answers by cache key (implemented by `pipelines.storage.ResponseCache`)."""

    def get(self, key: str) -> ChatResult | None: ...

    def entry(self, key: str) -> tuple[ChatResult, str | None] | None:
        """(the cached result, the id of the run that paid for it, if known)."""
        ...

    def put(self, key: str, result: ChatResult, run_id: str | None = None) -> None: ...


class RunStoreLike(Protocol):
    """What a run records as it goes (implemented by `pipelines.storage.RunStore`)."""

    def completed_call(self, run_id: str, call_key: str) -> CallRow | None: ...

    def record_call(self, row: CallRow) -> None: ...

    def open_reservation(self, run_id: str, call_key: str, usd: float) -> int: ...

    def close_reservation(self, reservation_id: int) -> None: ...

    def save_output(self, run_id: str, item_id: str, node: str, value: Any) -> None: ...

    def outputs(self, run_id: str, *, item_id: str | None = None,
                node: str | None = None) -> dict[str, dict[str, Any]]: ...

    def finish_item(self, run_id: str, item_id: str, status: ItemStatus, error: str | None,
                    outputs: dict[str, Any] | None) -> None: ...
