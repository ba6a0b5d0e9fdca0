"""The meter: prices each LLM call from price sheets and deployment profiles.

`load_meter(recipe_pricing, cli_pricing)` builds it; which price applies is the lookup order of
`pipelines.cost.pricing` (recipe `pricing:` > `--pricing` > model id match > unknown). A
model with no price is priced as unknown (`usd=None`), never as zero.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from pipelines.cost.pricing import PriceBook, books_for, shipped_books
from pipelines.cost.sheets import PriceSheet, Quote, cost_components, quote
from pipelines.types import Price, Usage


def _tier(batch: bool) -> str:
    return "batch" if batch else "standard"


class CostMeter:
    """Implements `pipelines.types.Meter`, plus `knows` for `pipe validate` and `lookup` for
    the batch planner's price timelines."""

    def __init__(self, books: list[PriceBook]):
        self.books = tuple(books)
        self._found: dict[tuple[str, str], tuple[PriceSheet, str] | None] = {}
        """(endpoint, model) -> what `lookup` found: the books never change, and every call
        of a run asks the same question."""

    def lookup(self, endpoint: str, model: str) -> tuple[PriceSheet, str] | None:
        """The sheet (and its model key) pricing `model` on `endpoint`: the first book that
        prices it."""
        asked = (endpoint, model)
        if asked not in self._found:
            self._found[asked] = next(((book.sheet, key) for book in self.books
                                       if (key := book.key_for(endpoint, model)) is not None),
                                      None)
        return self._found[asked]

    def knows(self, *, endpoint: str, model: str) -> bool:
        """Whether calls to `model` on `endpoint` have a price (at some date)."""
        return self.lookup(endpoint, model) is not None

    def quote(self, *, endpoint: str, model: str, started_at: datetime,
              batch: bool = False) -> Quote | None:
        found = self.lookup(endpoint, model)
        return quote(found[0], found[1], started_at, batch) if found else None

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


def load_meter(*pricing: str | Path | None) -> CostMeter:
    """The meter for pricing specs in lookup order (None entries are skipped): each a sheet or
    profile file, a directory, or a shipped name; the model-id match over everything shipped
    comes after them."""
    books = [b for spec in pricing if spec is not None for b in books_for(spec)]
    return CostMeter(books + shipped_books())
