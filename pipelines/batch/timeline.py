"""Price timelines over the cost model's price sheets: where tiers change between two times.

The cost package prices one call at one instant; scheduling needs the spans in between. This
module reads the sheet objects (`pipelines.cost.sheets`): every instant a price can change is a
period edge or a window's daily opening or closing clock time, so a span between two
consecutive such instants has one price, found with `quote` at its start.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

from pipelines.cost import load_meter
from pipelines.cost.sheets import ModelPrices, PriceSheet, Quote, Rates, quote


@dataclass(frozen=True)
class Span:
    """[start, end) with one price."""

    start: datetime
    end: datetime
    tier: str
    """standard | off-peak | ... | unknown (no period of the sheet holds it)"""
    source: str = ""


def _at(day: date, clock: time) -> datetime:
    return datetime.combine(day, clock, tzinfo=timezone.utc)


def change_points(prices: ModelPrices, t0: datetime, t1: datetime) -> list[datetime]:
    """t0, t1 and every instant strictly between them where the price may change."""
    points = {t0, t1}
    for period in prices.periods:
        for edge in (period.start, period.until):
            if edge is not None and t0 < edge < t1:
                points.add(edge)
        first = max(t0, period.start).date() - timedelta(days=1)
        last = t1.date() if period.until is None else min(t1, period.until).date()
        for window in period.windows:
            day = first
            while day <= last:
                for clock in (window.start, window.end):
                    at = _at(day, clock)
                    if t0 < at < t1 and period.holds(at):
                        points.add(at)
                day += timedelta(days=1)
    return sorted(points)


class PriceTimeline:
    """The tiers one model has on one endpoint over time; flat when no sheet prices it."""

    def __init__(self, sheet: PriceSheet | None = None, key: str | None = None):
        self.sheet, self.key = sheet, key

    @property
    def flat(self) -> bool:
        return self.sheet is None

    def quote(self, at: datetime) -> Quote | None:
        return quote(self.sheet, self.key, at) if self.sheet is not None else None

    def spans(self, t0: datetime, t1: datetime) -> list[Span]:
        """Consecutive spans covering [t0, t1), each with one price (equal neighbours merged)."""
        if self.sheet is None or t1 <= t0:
            return [Span(t0, t1, "standard")] if t1 > t0 else []
        points = change_points(self.sheet.models[self.key], t0, t1)
        spans: list[Span] = []
        for a, b in zip(points, points[1:]):
            q = quote(self.sheet, self.key, a)
            tier, source = (q.tier, q.source) if q else ("unknown", "")
            rates = q.rates if q else None
            prev = spans[-1] if spans else None
            if prev and (prev.tier, prev.source) == (tier, source) and rates == self._rates(prev):
                spans[-1] = Span(prev.start, b, tier, source)
            else:
                spans.append(Span(a, b, tier, source))
        return spans

    def _rates(self, span: Span) -> Rates | None:
        q = self.quote(span.start)
        return q.rates if q else None

    def standard_rates(self, at: datetime) -> Rates | None:
        """The period's standard rates at `at` (no window, no batch discount); None if unknown."""
        if self.sheet is None:
            return None
        prices = self.sheet.models[self.key]
        period = next((p for p in prices.periods if p.holds(at)), None)
        return period.rates.resolved() if period else None


def timeline_for(pricing: str | Path | None, endpoint: str, model: str,
                 meter: Any = None) -> PriceTimeline:
    """The timeline of `model` on `endpoint`: the sheet the cost meter prices it from (the
    meter's lookup order, `pipelines.cost.pricing`), flat when nothing prices it. `meter` is
    used when it can look prices up; else the meter of `pricing` is loaded."""
    lookup = getattr(meter, "lookup", None) or load_meter(pricing).lookup
    found = lookup(endpoint, model)
    return PriceTimeline(*found) if found else PriceTimeline()
