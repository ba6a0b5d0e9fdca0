"""The meter: prices each LLM call from a price sheet or a deployment profile.

`load_meter(pricing)` picks the prices:
- None: the shipped sheets; endpoint `embedded` uses the sheets marked `endpoint: embedded`,
  any other endpoint the rest, matched by model name or alias (case-insensitive, then the part
  after a `provider/` prefix);
- a price-sheet file: only that sheet;
- a profile file: every call is priced at that deployment's cost;
- a directory: its sheets first, then the shipped ones.
A model with no price is priced as unknown (`usd=None`), never as zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

from pipelines.cost.derive import profile_rates, profile_source
from pipelines.cost.profiles import Profile, load_profile
from pipelines.cost.sheets import (PriceSheet, Quote, cost_components, load_sheet, quote,
                                   shipped_sheets)
from pipelines.cost.yamlio import read_yaml
from pipelines.errors import InputError
from pipelines.types import Price, Usage

EMBEDDED = "embedded"

Quoter = Callable[[datetime, bool], "Quote | None"]


def _tier(batch: bool) -> str:
    return "batch" if batch else "standard"


def _name_candidates(model: str) -> list[str]:
    low = model.lower()
    return [low, low.rsplit("/", 1)[-1]] if "/" in low else [low]


@dataclass(frozen=True)
class _ProfilePricing:
    """A self-hosted deployment: one set of rates for every call, at any time."""

    rates: Any
    source: str

    def quote(self, at: datetime, batch: bool) -> Quote:
        return Quote(self.rates, _tier(batch), self.source)


class CostMeter:
    """Implements `pipelines.types.Meter`, plus `knows` for `pipe validate`."""

    def __init__(self, sheets: list[PriceSheet], profile: Profile | None = None,
                 restrict_endpoints: bool = True):
        self._index = [(sheet, sheet.names()) for sheet in sheets]
        self._profile = _ProfilePricing(profile_rates(profile), profile_source(profile)) \
            if profile is not None else None
        self._restrict = restrict_endpoints

    def _quoter(self, endpoint: str, model: str) -> Quoter | None:
        if self._profile is not None:
            return self._profile.quote
        for name in _name_candidates(model):
            for sheet, names in self._index:
                if self._restrict and (sheet.endpoint == EMBEDDED) != (endpoint == EMBEDDED):
                    continue
                key = names.get(name)
                if key is not None:
                    return lambda at, batch, s=sheet, k=key: quote(s, k, at, batch)
        return None

    def knows(self, *, endpoint: str, model: str) -> bool:
        """Whether calls to `model` on `endpoint` have a price (at some date)."""
        return self._quoter(endpoint, model) is not None

    def quote(self, *, endpoint: str, model: str, started_at: datetime,
              batch: bool = False) -> Quote | None:
        quoter = self._quoter(endpoint, model)
        return quoter(started_at, batch) if quoter else None

    def price(self, *, endpoint: str, model: str, usage: Usage, started_at: datetime,
              batch: bool = False) -> Price:
        """The call's price at its start time; `usd=None` when no price applies."""
        q = self.quote(endpoint=endpoint, model=model, started_at=started_at, batch=batch)
        if q is None:
            return Price(usd=None, source="unknown", tier=_tier(batch))
        components = cost_components(q.rates, usage)
        return Price(usd=sum(components.values()), source=q.source, tier=q.tier,
                     components=components)

    def worst_case_usd(self, *, endpoint: str, model: str, prompt_tokens: int, max_tokens: int,
                       started_at: datetime) -> float | None:
        """Every prompt token uncached (or written to cache, if dearer) and `max_tokens` of
        output at the dearer of the output and reasoning rates: a bound for --max-cost."""
        q = self.quote(endpoint=endpoint, model=model, started_at=started_at)
        if q is None:
            return None
        r = q.rates.resolved()
        return (prompt_tokens * max(r.input_miss, r.cache_write)
                + max_tokens * max(r.output, r.reasoning)) / 1e6


def call_cost_columns(price: Price, *, cache_hit: bool) -> dict[str, Any]:
    """Run-store columns for one call. A response-cache hit costs $0 and records what the call
    would have cost; an unknown price stays NULL (unknown), never 0."""
    return {
        "cost_usd": 0.0 if cache_hit else price.usd,
        "would_cost_usd": price.usd,
        "price_source": price.source,
        "tier": price.tier,
    }


def _load_pricing_file(path: Path) -> CostMeter:
    data, _ = read_yaml(path)
    if "models" in data:
        return CostMeter([load_sheet(path)], restrict_endpoints=False)
    if "hardware" in data:
        return CostMeter([], profile=load_profile(path))
    raise InputError(f"{path}: not a price sheet (needs `models:`) nor a deployment profile "
                     f"(needs `hardware:`); see recipes/cost/ for examples")


def load_meter(pricing: str | Path | None = None) -> CostMeter:
    """The meter for `pricing`: None, a sheet or profile YAML file, or a directory of sheets."""
    if pricing is None:
        return CostMeter(shipped_sheets())
    path = Path(pricing)
    if path.is_dir():
        own = [load_sheet(p) for p in sorted(path.glob("*.yaml"))]
        return CostMeter(own + shipped_sheets())
    if not path.exists():
        raise InputError(f"pricing file {path} does not exist",)
    return _load_pricing_file(path)
