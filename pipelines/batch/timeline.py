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

from pipelines.cost.sheets import (ModelPrices, PriceSheet, Quote, Rates, load_sheet, quote,
                                   shipped_sheets)
from pipelines.cost.yamlio import read_yaml

EMBEDDED = "embedded"


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


def candidate_sheets(pricing: str | Path | None) -> list[PriceSheet]:
    """The sheets `pipelines.cost.load_meter(pricing)` prices from (none for a profile)."""
    if pricing is None:
        return shipped_sheets()
    path = Path(pricing)
    if path.is_dir():
        return [load_sheet(p) for p in sorted(path.glob("*.yaml"))] + shipped_sheets()
    data, _ = read_yaml(path)
    return [load_sheet(path)] if "models" in data else []


def timeline_for(pricing: str | Path | None, endpoint: str, model: str) -> PriceTimeline:
    """The timeline of `model` on `endpoint`, matched as the meter matches: model name or
    alias (case-insensitive, then the part after a `provider/` prefix), embedded-only sheets
    for the embedded endpoint only (unless a single sheet file was given)."""
    sheets = candidate_sheets(pricing)
    single_file = pricing is not None and not Path(pricing).is_dir()
    low = model.lower()
    for name in dict.fromkeys([low, low.rsplit("/", 1)[-1]]):
        for sheet in sheets:
            if not single_file and (sheet.endpoint == EMBEDDED) != (endpoint == EMBEDDED):
                continue
            key = sheet.names().get(name)
            if key is not None:
                return PriceTimeline(sheet, key)
    return PriceTimeline()
