"""Statistics over items and runs: confidence intervals, per-step means, $ efficiency, Pareto."""

from __future__ import annotations

import math
import statistics
from typing import Any, Mapping, Sequence

Z_95 = 1.959963984540054


def wilson_interval(successes: int, n: int, z: float = Z_95) -> tuple[float, float]:
    """95% Wilson score interval for a binomial proportion; (0, 1) when there is no data.

    Wilson rather than the normal approximation: it stays inside [0, 1] and is honest at the
    small item counts and extreme accuracies evals produce.
    """
    if n <= 0:
        return 0.0, 1.0
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def mean_step_metrics(per_item: Sequence[Mapping[str, Any]], tokens: Sequence[int]) -> dict[str, Any]:
    """Average one step's per-item population metrics (from `score_population`) over items;
    token statistics over `tokens`, the output tokens of every member of every population."""
    result: dict[str, Any] = {"items": len(per_item)}
    for key in ("mean_acc", "majority_acc", "pass_at_n"):
        result[key] = statistics.fmean(float(m[key]) for m in per_item) if per_item else 0.0
    result["mean_tokens"] = statistics.fmean(tokens) if tokens else None
    result["median_tokens"] = float(statistics.median(tokens)) if tokens else None
    return result


def accuracy_per_dollar(accuracy: float, usd: float | None) -> float | None:
    """Accuracy divided by spend; None when the spend is unknown or zero (nothing to divide)."""
    if usd is None or usd <= 0:
        return None
    return accuracy / usd


def pareto_frontier(points: Sequence[tuple[float | None, float]]) -> list[int]:
    """Indices of the (cost, accuracy) points no other point beats on both: cheaper-or-equal
    and at least as accurate. Points with unknown cost are left out. Ordered by cost."""
    known = [(cost, -acc, i) for i, (cost, acc) in enumerate(points) if cost is not None]
    frontier: list[int] = []
    best = -math.inf
    for cost, neg_acc, index in sorted(known):
        if -neg_acc > best:
            frontier.append(index)
            best = -neg_acc
    return frontier
