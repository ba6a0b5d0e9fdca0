"""Value types shared across the engine, the endpoint client and the cost meter.

These are the seams between packages: the scheduler builds a `ChatRequest`, an endpoint
returns a `ChatResult`, and a `Meter` turns its `Usage` into a `Price`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Mapping, Protocol


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
    """One chat-completion call: exactly one sample (the engine fans `n` out itself)."""

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
