"""Flat rows of a stored run for `pipe export`: one per item, or one per call.

Flat so that a data frame or a spreadsheet reads them as they are: one column per field,
fixed columns first. A recipe output whose name is taken by a fixed column is kept under
`output_<name>`.
"""

from __future__ import annotations

import json
from typing import Any

from pipelines.storage.run_store import RunStore

ITEM_COLUMNS = ("run_id", "item_id", "status", "gold", "correct", "error")
CALL_COLUMNS = ("run_id", "item_id", "node", "status", "gold", "correct", "model", "started_at",
                "latency_s", "attempts", "prompt_tokens", "cached_tokens", "completion_tokens",
                "reasoning_tokens", "cache_hit", "cost_usd", "would_cost_usd", "tier",
                "price_source", "finish_reason", "error", "messages", "response")


def item_rows(store: RunStore, run_id: str) -> list[dict[str, Any]]:
    """Per item: status, gold, correct (None when not scored), error, then its outputs."""
    rows = []
    for item in store.items(run_id):
        row = {"run_id": run_id, "item_id": item["item_id"], "status": item["status"],
               "gold": item["gold"], "correct": _flag(item["correct"]), "error": item["error"]}
        outputs = item["outputs"] if isinstance(item["outputs"], dict) else {}
        for name, value in outputs.items():
            row[f"output_{name}" if name in row else name] = value
        rows.append(row)
    return rows


def call_rows(store: RunStore, run_id: str) -> list[dict[str, Any]]:
    """Per call, in the order they were recorded: its item's gold and correctness, tokens,
    dollars, the messages sent (a list of {role, content}) and the response."""
    items = {i["item_id"]: i for i in store.items(run_id)}
    rows = []
    for call in store.calls(run_id):
        row = {**call.as_dict(), "run_id": run_id}
        item = items.get(call.item_id, {})
        row["gold"], row["correct"] = item.get("gold"), _flag(item.get("correct"))
        row["messages"] = json.loads(call.messages) if call.messages else None
        rows.append({k: row.get(k) for k in CALL_COLUMNS})
    return rows


def _flag(value: int | None) -> bool | None:
    return None if value is None else bool(value)
