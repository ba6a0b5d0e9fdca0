"""Pricing a batch job's requests: the tier each one actually ran in, and the reference price
of running it at once at standard prices (for the report's saving)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pipelines.batch.timeline import timeline_for
from pipelines.cost import load_meter as cost_meter
from pipelines.cost.sheets import cost_components
from pipelines.endpoints.tokens import utf8_token_bound
from pipelines.execution.call_path import estimate_prompt_tokens
from pipelines.types import Meter, Price, Usage

DEFAULT_COMPLETION_TOKENS = 256
"""Expected completion length of a request without max_tokens (for plans and budgets)."""


def load_meter(pricing: str | Path | None) -> Meter:
    """The cost model's meter for a job's `pricing` (a sheet, a profile, or the shipped sheets)."""
    return cost_meter(pricing)


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    return " ".join(p.get("text", "") for p in content if isinstance(p, dict))


def expected_usage(body: dict[str, Any]) -> Usage:
    """What a request is expected to use: its prompt estimate and max_tokens of output."""
    messages = [{"content": _text_of(m.get("content", ""))} for m in body["messages"]]
    completion = body.get("max_completion_tokens") or body.get("max_tokens") \
        or DEFAULT_COMPLETION_TOKENS
    return Usage(prompt_tokens=estimate_prompt_tokens(messages), completion_tokens=completion)


@dataclass
class JobMeter:
    """Prices one job's calls on one endpoint. `reference_at` is when the job was submitted."""

    meter: Meter
    endpoint: str
    pricing: str | None
    reference_at: datetime

    def __post_init__(self) -> None:
        self._timelines: dict[str, Any] = {}

    def timeline(self, model: str):
        if model not in self._timelines:
            self._timelines[model] = timeline_for(self.pricing, self.endpoint, model, self.meter)
        return self._timelines[model]

    def price(self, model: str, usage: Usage, started_at: datetime, *, batch: bool) -> Price:
        return self.meter.price(endpoint=self.endpoint, model=model, usage=usage,
                                started_at=started_at, batch=batch)

    def standard_usd(self, model: str, usage: Usage) -> float | None:
        """The call's price at standard rates at submission (no window, no batch discount)."""
        rates = self.timeline(model).standard_rates(self.reference_at)
        if rates is None:
            return self.price(model, usage, self.reference_at, batch=False).usd
        return sum(cost_components(rates, usage).values())

    def worst_case_usd(self, body: dict[str, Any], at: datetime) -> float | None:
        """The most a request can cost: prompt tokens bounded by UTF-8 bytes (never fewer
        than any byte-level tokenizer makes, the embedded one included), full max_tokens."""
        usage = expected_usage(body)
        messages = [{"content": _text_of(m.get("content", ""))} for m in body["messages"]]
        return self.meter.worst_case_usd(endpoint=self.endpoint, model=body["model"],
                                         prompt_tokens=utf8_token_bound(messages),
                                         max_tokens=usage.completion_tokens, started_at=at)

    def result_columns(self, model: str, usage: Usage, started_at: datetime, *,
                       batch: bool) -> dict[str, Any]:
        """The request-row columns for a completed call."""
        price = self.price(model, usage, started_at, batch=batch)
        return {"prompt_tokens": usage.prompt_tokens, "cached_tokens": usage.cached_tokens,
                "cache_write_tokens": usage.cache_write_tokens,
                "completion_tokens": usage.completion_tokens,
                "reasoning_tokens": usage.reasoning_tokens, "tier": price.tier,
                "cost_usd": price.usd, "standard_usd": self.standard_usd(model, usage),
                "price_source": price.source, "started_at": started_at.isoformat()}
