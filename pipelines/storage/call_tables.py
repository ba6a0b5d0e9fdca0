"""Tables over a run's stored calls (used by `pipe show` and the Python API)."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from pipelines.types import CallRow, CallStatus


def node_table(calls: list[CallRow]) -> list[dict[str, Any]]:
    """Per node: calls, tokens, cache hits, errors, mean latency, dollars (None if any unknown)."""
    rows: "OrderedDict[str, dict[str, Any]]" = OrderedDict()
    for c in calls:
        r = rows.setdefault(c.node, {"node": c.node, "calls": 0, "errors": 0, "cache_hits": 0,
                                        "prompt_tokens": 0, "cached_tokens": 0,
                                        "completion_tokens": 0, "latency_s": 0.0, "usd": 0.0,
                                        "unknown_cost": 0})
        if c.status != CallStatus.OK:
            r["errors"] += 1
            continue
        r["calls"] += 1
        r["cache_hits"] += c.cache_hit or 0
        r["prompt_tokens"] += c.prompt_tokens or 0
        r["cached_tokens"] += c.cached_tokens or 0
        r["completion_tokens"] += c.completion_tokens or 0
        r["latency_s"] += c.latency_s or 0.0
        if c.cost_usd is None:
            r["unknown_cost"] += 1
        else:
            r["usd"] += c.cost_usd
    for r in rows.values():
        live = r["calls"] - r["cache_hits"]
        r["latency_s"] = r["latency_s"] / live if live else 0.0
    return list(rows.values())
