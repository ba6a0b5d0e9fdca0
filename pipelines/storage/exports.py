"""Flat rows of a stored run for `pipe export`: one per item, or one per call, streamed.

Flat so that a data frame or a spreadsheet reads them as they are: one column per field,
fixed columns first. A recipe output whose name is taken by a fixed column is kept under
`output_<name>`. Rows are read from the store a page at a time, so a million-item run exports
in the memory of one page.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

from pipelines.storage import run_store
from pipelines.storage.run_store import RunStore
from pipelines.storage.sqlite import paged

ITEM_COLUMNS = ("run_id", "item_id", "status", "gold", "correct", "error")
CALL_COLUMNS = ("run_id", "item_id", "node", "status", "gold", "correct", "model", "started_at",
                "latency_s", "attempts", "prompt_tokens", "cached_tokens", "completion_tokens",
                "reasoning_tokens", "cache_hit", "cost_usd", "would_cost_usd", "tier",
                "price_source", "finish_reason", "error", "messages", "response")
_CALLS = ("calls c LEFT JOIN items i ON i.run_id = c.run_id AND i.item_id = c.item_id")
_OUTPUT_NAMES = """
SELECT key, MIN(r) AS first, pos FROM (
    SELECT j.key AS key, i.rowid AS r, j.id AS pos FROM items i, json_each(i.outputs) j
    WHERE i.run_id = ? AND json_type(i.outputs) = 'object')
GROUP BY key ORDER BY first, pos"""
"""Every output name of a run's items in first-seen order, by SQLite (the row of MIN(r)
gives `pos`, the name's place in the first item that has it)."""


class ExportRows:
    """A run's export rows, read from the store each time they are iterated (never held);
    `columns` is every column the rows can have, in order (the CSV header)."""

    def __init__(self, root: str | Path, run_id: str, *, calls: bool = False):
        self.root, self.run_id, self.calls = Path(root), run_id, calls

    def __iter__(self) -> Iterator[dict[str, Any]]:
        store = RunStore(self.root)
        try:
            yield from (call_rows if self.calls else item_rows)(store, self.run_id)
        finally:
            store.close()

    @property
    def columns(self) -> list[str]:
        if self.calls:
            return list(CALL_COLUMNS)
        store = RunStore(self.root)
        try:
            names = [r["key"] for r in store.db.execute(_OUTPUT_NAMES, (self.run_id,))]
        finally:
            store.close()
        return [*ITEM_COLUMNS, *(_output_column(n) for n in names)]


def item_rows(store: RunStore, run_id: str) -> Iterator[dict[str, Any]]:
    """Per item: status, gold, correct (None when not scored), error, then its outputs."""
    for item in store.iter_items(run_id):
        row = {"run_id": run_id, "item_id": item["item_id"], "status": item["status"],
               "gold": item["gold"], "correct": _flag(item["correct"]), "error": item["error"]}
        outputs = item["outputs"] if isinstance(item["outputs"], dict) else {}
        for name, value in outputs.items():
            row[_output_column(name)] = value
        yield row


def call_rows(store: RunStore, run_id: str) -> Iterator[dict[str, Any]]:
    """Per call, in the order they were recorded: its item's gold and correctness, tokens,
    dollars, the messages sent (a list of {role, content}) and the response."""
    if not store.exists():
        return
    columns = ", ".join(f"c.{k}" for k in CALL_COLUMNS if k not in ("gold", "correct"))
    for r in paged(store.db, f"{columns}, i.gold AS gold, i.correct AS correct", _CALLS,
                   "c.run_id = ?", (run_id,), key="c.id", page=run_store.PAGE):
        row = {k: r[k] for k in CALL_COLUMNS}
        row["correct"] = _flag(row["correct"])
        row["messages"] = json.loads(row["messages"]) if row["messages"] else None
        yield row


def _output_column(name: str) -> str:
    return f"output_{name}" if name in ITEM_COLUMNS else name


def _flag(value: int | None) -> bool | None:
    return None if value is None else bool(value)
