"""A run's rows are read from SQLite a page at a time (what `pipe show` and `pipe export` use):
counted by the statements SQLite runs, with the rows still all there and in order."""

from __future__ import annotations

import json

import pytest

from pipelines.storage import RunStore, call_sums, run_store
from pipelines.storage.exports import ExportRows, call_rows, item_rows
from tests.pipelines.big_run import NODES, write_run

ITEMS = 2_500


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    root = tmp_path_factory.mktemp("big")
    return root, write_run(root, ITEMS)


def traced(root):
    """A store and the page queries (keyset reads) SQLite ran on it."""
    store, pages = RunStore(root), []
    store.db.set_trace_callback(lambda sql: pages.append(sql) if "page_key" in sql else None)
    return store, pages


@pytest.mark.parametrize("rows_of, per_item", [(item_rows, 1), (call_rows, len(NODES))])
def test_rows_are_read_a_page_at_a_time(big, rows_of, per_item):
    root, run_id = big
    store, pages = traced(root)
    rows = rows_of(store, run_id)
    first = next(rows)
    assert len(pages) == 1 and first["item_id"] == "i0"  # one page read for the first row
    rest = list(rows)
    total = ITEMS * per_item
    assert len(rest) + 1 == total
    assert len(pages) == -(-total // run_store.PAGE) + (total % run_store.PAGE == 0)
    assert [r["item_id"] for r in rest[-per_item:]] == [f"i{ITEMS - 1}"] * per_item
    store.close()


def test_call_rows_carry_their_item_and_decoded_messages(big):
    root, run_id = big
    store = RunStore(root)
    rows = list(call_rows(store, run_id))
    store.close()
    by = {(r["item_id"], r["node"]): r for r in rows}
    assert by[("i3", "solve")]["gold"] == "3" and by[("i3", "solve")]["correct"] is False
    assert by[("i4", "check")]["correct"] is True and by[("i4", "check")]["cache_hit"] == 1
    assert by[("i10", "check")]["status"] == "error" and by[("i10", "check")]["cost_usd"] is None
    assert by[("i3", "solve")]["messages"] == [{"role": "user", "content": "q3"}]
    assert [r["node"] for r in rows[:4]] == ["solve", "check", "solve", "check"]


def test_csv_columns_take_every_output_in_first_seen_order(big):
    root, run_id = big
    assert ExportRows(root, run_id).columns == [
        "run_id", "item_id", "status", "gold", "correct", "error", "answer", "text", "note"]
    rows = list(ExportRows(root, run_id))
    assert len(rows) == ITEMS and rows[7]["note"] == "n7" and "note" not in rows[8]
    assert rows[6]["correct"] is True and json.dumps(rows[0])


def test_outputs_and_calls_iterate_in_pages(big):
    root, run_id = big
    store = RunStore(root)
    for j in range(3):
        store.save_output(run_id, f"i{j}", "solve", {"v": j})
    store, pages = traced(root)
    assert [(i, n, v) for i, n, v in store.iter_outputs(run_id)] == [
        (f"i{j}", "solve", {"v": j}) for j in range(3)]
    assert sum(1 for _ in store.iter_calls(run_id, columns="node")) == ITEMS * len(NODES)
    assert len(pages) == 1 + -(-ITEMS * len(NODES) // run_store.PAGE) + 1
    store.close()


def test_call_sums_are_one_query_with_the_per_node_figures(big):
    root, run_id = big
    store, seen = RunStore(root), []
    store.db.set_trace_callback(seen.append)
    sums = call_sums(store, run_id)
    assert len([s for s in seen if "calls" in s]) == 1
    solve, check = sums["nodes"]
    failed = ITEMS // 10
    hits = len([j for j in range(ITEMS) if j % 4 == 0])
    check_hits = len([j for j in range(ITEMS) if j % 4 == 0 and j % 10])
    assert (solve["node"], solve["calls"], solve["errors"], solve["cache_hits"]) == \
        ("solve", ITEMS, 0, hits)
    assert (check["calls"], check["errors"], check["cache_hits"]) == \
        (ITEMS - failed, failed, check_hits)
    assert solve["prompt_tokens"] == 10 * ITEMS
    assert check["completion_tokens"] == 3 * (ITEMS - failed)
    assert solve["usd"] == pytest.approx(0.001 * ITEMS) and solve["latency_s"] == pytest.approx(0.5)
    assert sums["total_usd"] == pytest.approx(0.001 * (2 * ITEMS - failed))
    assert sums["unknown_cost_calls"] == 0
    store.close()
