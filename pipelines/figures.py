"""How figures are stated to people: dollars with enough significant digits to mean something,
and accuracies with a 95% Wilson interval. A base module: any layer may use it."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

Z_95 = 1.959963984540054
USD_SIGNIFICANT = 3
"""Significant digits of an amount under $1 (`$0.0000172`, never `$0.0000`)."""


def format_usd(value: float | None, unknown: int = 0) -> str:
    """`$0`, `$0.0000172`, `$0.123`, `$12.35`, `$1,234.50`; `unknown` when None. With
    `unknown` > 0, says how many calls' prices are missing from the figure."""
    suffix = f" (+{unknown} unpriced)" if unknown else ""
    if value is None:
        return "unknown" + suffix
    if value == 0:
        return "$0" + suffix
    magnitude = abs(value)
    if magnitude < 1:  # round first: 0.0000999999 is $0.000100, not $0.0001000
        magnitude = float(f"{magnitude:.{USD_SIGNIFICANT}g}")
    if magnitude >= 1:
        text = f"{magnitude:,.2f}"
    else:
        decimals = USD_SIGNIFICANT - 1 - math.floor(math.log10(magnitude))
        text = f"{magnitude:.{decimals}f}"
    return ("-$" if value < 0 else "$") + text + suffix


def wilson_interval(successes: int, n: int, z: float = Z_95) -> tuple[float, float]:
    """95% Wilson score interval of a proportion; (0, 1) with no data. Exactly 0 at 0/n and
    exactly 1 at n/n (floating-point residue such as 5.55e-17 would read as a negative error
    bar to a plot)."""
    if n <= 0:
        return 0.0, 1.0
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    low = 0.0 if successes <= 0 else max(0.0, centre - half)
    high = 1.0 if successes >= n else min(1.0, centre + half)
    return low, high


@dataclass(frozen=True)
class Accuracy:
    """Items judged correct out of items scored, with a 95% Wilson interval."""

    correct: int
    total: int

    @property
    def value(self) -> float | None:
        return self.correct / self.total if self.total else None

    @property
    def ci95(self) -> tuple[float, float]:
        return wilson_interval(self.correct, self.total)

    def as_dict(self) -> dict[str, Any]:
        """`{correct, total, accuracy, ci95_low, ci95_high}` (the JSON of `run --json`)."""
        low, high = self.ci95
        return {**asdict(self), "accuracy": self.value, "ci95_low": low, "ci95_high": high}

    def __str__(self) -> str:
        """`7/12 correct = 58.3% (95% CI 32.0-80.7%)`."""
        if not self.total:
            return "no scored items"
        low, high = self.ci95
        return (f"{self.correct}/{self.total} correct = {self.value:.1%} "
                f"(95% CI {low:.1%}-{high:.1%})")
