"""Price sheets: list prices of hosted models ($ per 1M tokens) with effective dates,
UTC time-of-day windows (off-peak) and a batch multiplier.

A call is priced at its start time: the period whose [from, until) holds it, then the first
window of that period whose UTC clock range holds it. Batch calls take the period's base rates
times the batch multiplier (batch jobs have no meaningful time of day).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from pipelines.cost.yamlio import COST_DATA_DIR, load_model
from pipelines.types import Usage

SHEETS_DIR = COST_DATA_DIR / "sheets"

_STRICT = ConfigDict(extra="forbid", use_attribute_docstrings=True, populate_by_name=True)


class Rates(BaseModel):
    """USD per 1M tokens for each token component of a call."""

    model_config = _STRICT

    input_miss: float = Field(ge=0)
    """Uncached prompt tokens."""
    input_hit: float | None = Field(default=None, ge=0)
    """Prompt tokens served from the provider's prefix cache (default: input_miss)."""
    cache_write: float | None = Field(default=None, ge=0)
    """Prompt tokens written to the provider's cache (default: input_miss)."""
    output: float = Field(ge=0)
    """Completion tokens that are not reasoning tokens."""
    reasoning: float | None = Field(default=None, ge=0)
    """Reasoning tokens (a subset of completion tokens; default: output)."""

    def resolved(self) -> Rates:
        """The same rates with every default filled in."""
        return Rates(input_miss=self.input_miss, output=self.output,
                     input_hit=self.input_miss if self.input_hit is None else self.input_hit,
                     cache_write=self.input_miss if self.cache_write is None else self.cache_write,
                     reasoning=self.output if self.reasoning is None else self.reasoning)

    def scaled(self, factor: float) -> Rates:
        r = self.resolved()
        return Rates(**{k: v * factor for k, v in r.model_dump().items()})


def clock_time(value: Any) -> time:
    """'16:30' -> 16:30 UTC. YAML 1.1 reads an unquoted 16:30 as the integer 990 (base 60)."""
    if isinstance(value, time):
        return value
    if isinstance(value, int) and 0 <= value < 24 * 60:
        return time(value // 60, value % 60)
    if isinstance(value, str):
        try:
            return time.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError(f"expected a UTC clock time such as '16:30', got {value!r}")


def _utc(value: Any) -> Any:
    if isinstance(value, date) and not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day, tzinfo=timezone.utc)
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value


class Window(BaseModel):
    """A daily UTC clock range with its own prices, e.g. DeepSeek's 16:30-00:30 off-peak."""

    model_config = _STRICT

    start: time
    """UTC clock time the window opens (inclusive), quoted: '16:30'."""
    end: time
    """UTC clock time it closes (exclusive); may be earlier than start (wraps midnight)."""
    tier: str = "off-peak"
    """Tier recorded for calls in the window."""
    multiplier: float | None = Field(default=None, gt=0)
    """Factor on the period's rates (0.5 = -50%); give this or `rates`."""
    rates: Rates | None = None
    """Explicit rates inside the window (when the provider lists rounded prices)."""

    @field_validator("start", "end", mode="before")
    @classmethod
    def _clocks(cls, v: Any) -> time:
        return clock_time(v)

    @model_validator(mode="after")
    def _one_price(self) -> Window:
        if (self.multiplier is None) == (self.rates is None):
            raise ValueError("give exactly one of `multiplier` or `rates`")
        return self

    def holds(self, at: datetime) -> bool:
        clock = at.astimezone(timezone.utc).time()
        if self.start <= self.end:
            return self.start <= clock < self.end
        return clock >= self.start or clock < self.end

    def rates_from(self, base: Rates) -> Rates:
        return self.rates.resolved() if self.rates else base.scaled(self.multiplier or 1.0)


class Period(BaseModel):
    """Prices in force from `from` (inclusive) until `until` (exclusive; open if omitted)."""

    model_config = _STRICT

    start: datetime = Field(alias="from")
    """Start of the period (UTC), e.g. 2025-09-05T16:00:00Z."""
    until: datetime | None = None
    """End of the period (UTC, exclusive); omit for 'still in force'."""
    rates: Rates
    """Standard rates."""
    windows: list[Window] = []
    """Time-of-day windows with other prices."""
    batch_rates: Rates | None = None
    """Rates of batch calls when they are not the model's `batch_multiplier` times `rates`
    (a deployment's bulk tier)."""

    @field_validator("start", "until", mode="before")
    @classmethod
    def _dates(cls, v: Any) -> Any:
        return _utc(v)

    @property
    def label(self) -> str:
        s = self.start
        return s.date().isoformat() if s.time() == time(0) else s.strftime("%Y-%m-%dT%H:%MZ")

    def holds(self, at: datetime) -> bool:
        return self.start <= at and (self.until is None or at < self.until)


class ModelPrices(BaseModel):
    """One model's price history."""

    model_config = _STRICT

    aliases: list[str] = []
    """Other names the model is called by (snapshots, provider prefixes)."""
    batch_multiplier: float = Field(default=1.0, gt=0)
    """Factor on the base rates for batch calls (0.5 = half price; 1.0 = no batch discount)."""
    periods: list[Period] = Field(min_length=1)
    """Price periods; they may not overlap."""

    @model_validator(mode="after")
    def _no_overlap(self) -> ModelPrices:
        ordered = sorted(self.periods, key=lambda p: p.start)
        for a, b in zip(ordered, ordered[1:]):
            if a.until is None or a.until > b.start:
                raise ValueError(f"periods from {a.label} and {b.label} overlap; "
                                 f"set `until` of the first to {b.label} or earlier")
        for p in ordered:
            if p.until is not None and p.until <= p.start:
                raise ValueError(f"period from {p.label} ends before it starts")
        self.periods = ordered
        return self


class PriceSheet(BaseModel):
    """A YAML price sheet: list prices of one provider's models."""

    model_config = _STRICT

    name: str
    """Short name used in price sources, e.g. `deepseek`."""
    version: str
    """When the sheet's prices were last checked, e.g. 2025-10-01."""
    description: str = ""
    """Where the prices come from."""
    endpoint: str | None = None
    """Restrict the sheet to one endpoint (e.g. `embedded`); None = any endpoint."""
    models: dict[str, ModelPrices]
    """Prices by model name."""
    _origin: str | None = PrivateAttr(default=None)
    """Set on a sheet derived from a deployment profile: `profile:NAME-vN` (its price source)."""
    _profile: Any = PrivateAttr(default=None)
    """That profile (for its throughput), or None."""

    def source_at(self, period: Period) -> str:
        """The price source recorded for calls priced by `period`."""
        return self._origin or f"sheet:{self.name}/{self.version}@{period.label}"

    @property
    def profile(self) -> Any:
        return self._profile

    def names(self) -> dict[str, str]:
        """Every accepted model name (lower-case) -> its key in `models`."""
        out = {}
        for key, prices in self.models.items():
            for n in (key, *prices.aliases):
                out[n.lower()] = key
        return out


@dataclass(frozen=True)
class Quote:
    """The rates that apply to one call, and where they came from."""

    rates: Rates
    tier: str
    source: str


def quote(sheet: PriceSheet, key: str, at: datetime, batch: bool = False) -> Quote | None:
    """Rates for model `key` of `sheet` at start time `at`; None when no period holds `at`."""
    at = _utc(at)
    prices = sheet.models[key]
    period = next((p for p in prices.periods if p.holds(at)), None)
    if period is None:
        return None
    source = sheet.source_at(period)
    base = period.rates.resolved()
    if batch:
        rates = period.batch_rates.resolved() if period.batch_rates else \
            base.scaled(prices.batch_multiplier)
        return Quote(rates, "batch", source)
    window = next((w for w in period.windows if w.holds(at)), None)
    if window is None:
        return Quote(base, "standard", source)
    return Quote(window.rates_from(base), window.tier, source)


def cost_components(rates: Rates, usage: Usage) -> dict[str, float]:
    """USD per token component. Cached and written tokens are subsets of the prompt, reasoning
    a subset of the completion, so each token is billed exactly once."""
    r = rates.resolved()
    miss = max(usage.prompt_tokens - usage.cached_tokens - usage.cache_write_tokens, 0)
    plain_out = max(usage.completion_tokens - usage.reasoning_tokens, 0)
    per_token = {
        "input_miss": (miss, r.input_miss),
        "input_hit": (usage.cached_tokens, r.input_hit),
        "cache_write": (usage.cache_write_tokens, r.cache_write),
        "output": (plain_out, r.output),
        "reasoning": (usage.reasoning_tokens, r.reasoning),
    }
    return {k: n * rate / 1e6 for k, (n, rate) in per_token.items() if n}


def load_sheet(path: str | Path) -> PriceSheet:
    return load_model(PriceSheet, path, "price sheet")


def shipped_sheets() -> list[PriceSheet]:
    return [load_sheet(p) for p in sorted(SHEETS_DIR.glob("*.yaml"))]
