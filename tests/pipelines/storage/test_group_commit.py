"""Grouped commits (issue #21): inside an event loop a call's row waits for the commit of the
next node output, which lands at the end of that loop turn, before any task started after it
runs; outside a loop every write commits at once. Another connection (another process) is
what can see only committed rows, so each test reads through one."""

from __future__ import annotations

import asyncio
import sqlite3

from pipelines.storage import run_store
from pipelines.storage.run_store import RunStore
from pipelines.types import CallRow


def new_run(store: RunStore) -> str:
    return store.create_run(recipe_path="/r.yaml", recipe_name="r", params={}, overrides={},
                            endpoint="e", model="m", items_total=1, max_cost=None)


def call(run_id: str, key: str) -> CallRow:
    return CallRow(run_id=run_id, item_id="a", node="solve", call_key=key, model="m",
                   endpoint="e", status="ok", response="r")


def committed(store: RunStore, table: str) -> int:
    """Rows of `table` another connection sees."""
    other = sqlite3.connect(store.path)
    try:
        return other.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
    finally:
        other.close()


def test_calls_commit_with_their_node_output_before_any_later_task_runs(tmp_path):
    store = RunStore(tmp_path)
    run_id = new_run(store)
    seen: dict[str, int] = {}

    async def dependent() -> None:  # what a node started after the output would see first
        seen["calls"], seen["outputs"] = committed(store, "calls"), committed(store, "node_outputs")

    async def main() -> None:
        for k in ("k1", "k2"):
            store.record_call(call(run_id, k))
        assert store.completed_call(run_id, "k1") is not None  # this connection sees it
        seen["before"] = committed(store, "calls")
        store.save_output(run_id, "a", "solve", ["x", "y"])
        seen["same turn"] = committed(store, "calls")
        await asyncio.create_task(dependent())

    asyncio.run(main())
    assert seen == {"before": 0, "same turn": 0, "calls": 2, "outputs": 1}
    store.close()


def test_a_long_group_commits_after_group_rows(tmp_path, monkeypatch):
    monkeypatch.setattr(run_store, "GROUP_ROWS", 5)
    store = RunStore(tmp_path)
    run_id = new_run(store)

    async def main() -> list[int]:
        counts = []
        for j in range(7):  # a python node making calls one after another, never yielding
            store.record_call(call(run_id, f"k{j}"))
            counts.append(committed(store, "calls"))
        return counts

    assert asyncio.run(main()) == [0, 0, 0, 0, 5, 5, 5]
    store.close()  # closing commits the rest
    assert committed(store, "calls") == 7


def test_outside_an_event_loop_every_write_commits_at_once(tmp_path):
    store = RunStore(tmp_path)
    run_id = new_run(store)
    store.record_call(call(run_id, "k1"))
    assert committed(store, "calls") == 1
    store.save_output(run_id, "a", "solve", 1)
    assert committed(store, "node_outputs") == 1
    store.close()


def test_a_reservation_commits_the_calls_written_before_it(tmp_path):
    store = RunStore(tmp_path)
    run_id = new_run(store)

    async def main() -> int:
        store.record_call(call(run_id, "k1"))
        store.open_reservation(run_id, "k2", 0.5)  # durable before its call is sent
        return committed(store, "calls") + committed(store, "reservations")

    assert asyncio.run(main()) == 2
    store.close()


def test_a_row_commits_within_group_s_even_when_nothing_else_is_written(tmp_path, monkeypatch):
    monkeypatch.setattr(run_store, "GROUP_S", 0.05)
    store = RunStore(tmp_path)
    run_id = new_run(store)

    async def main() -> tuple[int, int]:
        store.record_call(call(run_id, "k1"))  # then a long python node, no other write
        before = committed(store, "calls")
        await asyncio.sleep(0.3)
        return before, committed(store, "calls")

    assert asyncio.run(main()) == (0, 1)
    store.close()
