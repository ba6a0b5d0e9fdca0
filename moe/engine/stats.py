"""Counters, gauges and histograms the engine keeps for /metrics and the benchmarks."""

from __future__ import annotations

import bisect
import threading
from dataclasses import dataclass, field

import numpy as np

LATENCY_BUCKETS = (
    0.001, 0.0025, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0,
    7.5, 10.0, 20.0, 40.0, 80.0,
)


class Histogram:
    """Cumulative-bucket histogram in the Prometheus sense (upper bounds, +Inf implied)."""

    def __init__(self, buckets: tuple[float, ...] = LATENCY_BUCKETS):
        self.buckets = tuple(buckets)
        self._counts = [0] * (len(self.buckets) + 1)
        self.count = 0
        self.sum = 0.0
        self._lock = threading.Lock()

    def observe(self, value: float) -> None:
        with self._lock:
            self._counts[bisect.bisect_left(self.buckets, value)] += 1
            self.count += 1
            self.sum += value

    def cumulative(self) -> list[tuple[float, int]]:
        """(upper bound, observations ≤ bound) for every bucket, +Inf last."""
        with self._lock:
            counts = list(self._counts)
        out, total = [], 0
        for bound, c in zip((*self.buckets, float("inf")), counts):
            total += c
            out.append((bound, total))
        return out


@dataclass
class EngineStats:
    prompt_tokens: int = 0
    """Prompt tokens of admitted requests, cached ones included (as vLLM counts them)."""
    generation_tokens: int = 0
    prefill_tokens_computed: int = 0
    """Prompt tokens actually run through the model (prefix-cache hits excluded)."""
    prefix_cache_queries: int = 0
    """Prompt tokens looked up in the prefix cache."""
    prefix_cache_hits: int = 0
    requests_finished: dict[str, int] = field(default_factory=dict)
    """Finished requests by reason: stop, length, abort, error."""
    steps: int = 0
    expert_tokens: np.ndarray | None = None
    """[n_moe_layers, n_routed_experts] token-to-expert assignments so far."""
    ttft: Histogram = field(default_factory=Histogram)
    inter_token: Histogram = field(default_factory=Histogram)
    e2e: Histogram = field(default_factory=Histogram)

    def add_expert_counts(self, counts: np.ndarray) -> None:
        counts = np.asarray(counts, dtype=np.int64)
        if self.expert_tokens is None:
            self.expert_tokens = counts.copy()
        else:
            self.expert_tokens += counts

    def finish(self, reason: str) -> None:
        self.requests_finished[reason] = self.requests_finished.get(reason, 0) + 1
