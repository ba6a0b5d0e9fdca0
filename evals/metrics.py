"""Statistics over items and runs: confidence intervals (the Wilson interval is the engine's,
so a run and its suite state the same bounds), differences, per-step means, $ efficiency,
Pareto."""

from __future__ import annotations

import math
import statistics
from typing import Any, Mapping, Sequence

from pipelines import wilson_interval
from pipelines.figures import Z_95

__all__ = ["Z_95", "accuracy_per_dollar", "error_bar", "mean_step_metrics", "newcombe_interval",
           "pareto_frontier", "wilson_interval"]


def error_bar(accuracy: float, interval: tuple[float, float]) -> tuple[float, float]:
    """(below, above): distances from an accuracy to its interval's ends, never negative.

    A plot rejects a negative error bar; rounding can put a bound a hair past the point.
    """
    low, high = interval
    return max(0.0, accuracy - low), max(0.0, high - accuracy)


def newcombe_interval(correct_a: int, n_a: int, correct_b: int, n_b: int,
                      z: float = Z_95) -> tuple[float, float, float]:
    """(B - A, low, high): the difference of two accuracies with its 95% interval.

    Newcombe's hybrid score interval (1998, method 10), built from each side's Wilson interval:
    it stays inside [-1, 1] and behaves at 0% and 100%, where the normal approximation does
    not. The difference is significant at the 5% level when the interval excludes 0.
    Items are treated as independent samples (conservative when both runs used the same items).
    """
    p_a = correct_a / n_a if n_a else 0.0
    p_b = correct_b / n_b if n_b else 0.0
    low_a, high_a = wilson_interval(correct_a, n_a, z)
    low_b, high_b = wilson_interval(correct_b, n_b, z)
    diff = p_b - p_a
    low = diff - math.sqrt((p_b - low_b) ** 2 + (high_a - p_a) ** 2)
    high = diff + math.sqrt((high_b - p_b) ** 2 + (p_a - low_a) ** 2)
    return diff, max(-1.0, low), min(1.0, high)


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
