"""Sums over a run's stored calls (for `pipe show` and the Python API), computed by SQLite:
one query however many calls the run made, nothing held but one row per node."""

from __future__ import annotations

from typing import Any

from pipelines.storage.run_store import RunStore

_PER_NODE = """
SELECT node, MIN(id) AS first, SUM(ok) AS calls, SUM(1 - ok) AS errors,
  SUM(CASE WHEN ok THEN COALESCE(cache_hit, 0) ELSE 0 END) AS cache_hits,
  SUM(CASE WHEN ok THEN COALESCE(prompt_tokens, 0) ELSE 0 END) AS prompt_tokens,
  SUM(CASE WHEN ok THEN COALESCE(cached_tokens, 0) ELSE 0 END) AS cached_tokens,
  SUM(CASE WHEN ok THEN COALESCE(completion_tokens, 0) ELSE 0 END) AS completion_tokens,
  TOTAL(CASE WHEN ok THEN latency_s END) AS latency_s, TOTAL(CASE WHEN ok THEN cost_usd END) AS usd,
  SUM(ok AND cost_usd IS NULL) AS unknown_cost, TOTAL(cost_usd) AS all_usd
FROM (SELECT *, COALESCE(status = 'ok', 0) AS ok FROM calls WHERE run_id = ?)
GROUP BY node ORDER BY first"""
NODE_FIELDS = ("node", "calls", "errors", "cache_hits", "prompt_tokens", "cached_tokens",
               "completion_tokens", "latency_s", "usd", "unknown_cost")


def call_sums(store: RunStore, run_id: str) -> dict[str, Any]:
    """`nodes`: per node, in the order of its first call, the calls, tokens and cache hits of
    its successful calls, its errors, their mean latency (cache hits left out), dollars and
    `unknown_cost` (successful calls without a known price); `total_usd` over every call (errors
    included) and `unknown_cost_calls` over every node."""
    nodes, total = [], 0.0
    for r in store.db.execute(_PER_NODE, (run_id,)) if store.exists() else ():
        row = {k: r[k] for k in NODE_FIELDS}
        live = row["calls"] - row["cache_hits"]
        row["latency_s"] = row["latency_s"] / live if live else 0.0
        nodes.append(row)
        total += r["all_usd"]
    return {"nodes": nodes, "total_usd": total,
            "unknown_cost_calls": sum(r["unknown_cost"] for r in nodes)}
