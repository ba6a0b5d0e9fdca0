"""A finished run of any size written straight into a real run store (one transaction), for
tests of reading runs that grow: `pipe show`, `pipe export`, paged store reads."""

from __future__ import annotations

import json
from pathlib import Path

from pipelines.storage import RunStore
from pipelines.storage.run_store import CALL_COLUMNS
from pipelines.types import CallRow, CallStatus, ItemStatus, RunStatus

NODES = ("solve", "check")


def item_outputs(j: int, pad: int) -> dict:
    """Item j's outputs: every item has `answer` and `text`; every 7th also `note`, first
    seen at item 7 (so a CSV header must look past the first row)."""
    out = {"answer": str(j), "text": "x" * pad}
    if j % 7 == 0 and j:
        out["note"] = f"n{j}"
    return out


def call_row(run_id: str, j: int, node: str, pad: int) -> CallRow:
    """Item j's call at `node`: every 10th item's `check` call failed (no price, no tokens)."""
    failed = node == "check" and j % 10 == 0
    hit = j % 4 == 0 and not failed  # answered by the cache: no latency
    return CallRow(run_id=run_id, item_id=f"i{j}", node=node, call_key=f"k{j}{node}",
                   model="m", endpoint="http://sim/v1",
                   status=CallStatus.ERROR if failed else CallStatus.OK,
                   error="boom" if failed else None, latency_s=0.0 if hit else 0.5,
                   prompt_tokens=None if failed else 10, completion_tokens=None if failed else 3,
                   cost_usd=None if failed else 0.001, cache_hit=int(hit),
                   response=None if failed else "r" * pad,
                   messages=json.dumps([{"role": "user", "content": f"q{j}"}]))


def write_run(store_dir: Path, items: int, *, pad: int = 16) -> str:
    """A finished run of `items` items, each with a `solve` and a `check` call and outputs
    padded to `pad` characters; item j is correct when j is even. Returns its run id."""
    store = RunStore(store_dir)
    run_id = store.create_run(recipe_path="big.yaml", recipe_name="big", params={},
                              overrides={}, endpoint="http://sim/v1", model="m",
                              items_total=items, max_cost=None)
    db = store.db
    db.execute("BEGIN")
    db.executemany(
        "INSERT INTO items (run_id, item_id, status, error, outputs, gold, correct) "
        "VALUES (?,?,?,?,?,?,?)",
        ((run_id, f"i{j}", ItemStatus.OK, None, json.dumps(item_outputs(j, pad)), str(j),
          int(j % 2 == 0)) for j in range(items)))
    db.executemany(
        f"INSERT INTO calls ({','.join(CALL_COLUMNS)}) "
        f"VALUES ({','.join('?' * len(CALL_COLUMNS))})",
        (tuple(getattr(call_row(run_id, j, node, pad), c) for c in CALL_COLUMNS)
         for j in range(items) for node in NODES))
    db.execute("COMMIT")
    store.finish_run(run_id, RunStatus.OK, 0)
    store.close()
    return run_id
