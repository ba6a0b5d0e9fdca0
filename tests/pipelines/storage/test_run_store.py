"""The run store: a dead owner reads as `interrupted`, filters, per-run figures, old files."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

from pipelines.storage.run_store import RunStore
from pipelines.types import CallRow, ItemStatus, RunStatus


def new_run(store: RunStore, name: str = "rsa") -> str:
    return store.create_run(recipe_path="/r.yaml", recipe_name=name, params={}, overrides={},
                            endpoint="embedded", model="m", items_total=2, max_cost=None)


def test_a_running_run_whose_process_died_reads_as_interrupted(tmp_path):
    store = RunStore(tmp_path)
    mine, dead, recycled, remote = (new_run(store) for _ in range(4))
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)
    with store.db:
        store.db.execute("UPDATE runs SET owner_pid=? WHERE run_id=?", (int(child.stdout), dead))
        store.db.execute("UPDATE runs SET owner_started='1' WHERE run_id=?", (recycled,))
        store.db.execute("UPDATE runs SET owner_host='elsewhere' WHERE run_id=?", (remote,))
    status = {r["run_id"]: r["status"] for r in store.runs()}
    assert status == {mine: "running", dead: "interrupted", recycled: "interrupted",
                      remote: "running"}
    assert store.run(dead)["status"] == RunStatus.INTERRUPTED
    store.mark_running(dead)  # a resume takes it over
    assert store.run(dead)["status"] == "running"


def test_runs_filter_by_recipe_and_status_and_limit(tmp_path):
    store = RunStore(tmp_path)
    a1, b1, a2 = new_run(store, "a"), new_run(store, "b"), new_run(store, "a")
    store.finish_run(a2, RunStatus.OK, 0)
    assert [r["run_id"] for r in store.runs(recipe="a")] == [a2, a1]
    assert [r["run_id"] for r in store.runs(status="running")] == [b1, a1]
    assert [r["run_id"] for r in store.runs(limit=1)] == [a2]
    assert store.runs(recipe="a", status="ok") == [store.run(a2)]


def test_each_run_row_carries_accuracy_counts_and_dollars(tmp_path):
    store = RunStore(tmp_path)
    run_id = new_run(store)
    for item in ("x", "y", "z"):
        store.finish_item(run_id, item, ItemStatus.OK, None, {"answer": "1"})
    store.save_scores(run_id, {"x": ("1", True), "y": ("2", False)})
    for cost in (0.0000125, 0.0000047, None):
        store.record_call(CallRow(run_id=run_id, item_id="x", node="solve", call_key="k",
                                  model="m", endpoint="embedded", cost_usd=cost))
    row = store.run(run_id)
    assert (row["correct"], row["scored"], row["items_ok"]) == (1, 2, 3)
    assert row["usd"] == 0.0000125 + 0.0000047 and row["unpriced_calls"] == 1
    assert [(i["item_id"], i["gold"], i["correct"]) for i in store.items(run_id)] == \
        [("x", "1", 1), ("y", "2", 0), ("z", None, None)]


OLD_SCHEMA = """
CREATE TABLE runs (run_id TEXT PRIMARY KEY, recipe_path TEXT, recipe_name TEXT, params TEXT,
    overrides TEXT, endpoint TEXT, model TEXT, status TEXT, exit_code INTEGER, items_total INTEGER,
    created_at REAL, finished_at REAL, max_cost REAL);
CREATE TABLE items (run_id TEXT, item_id TEXT, status TEXT, error TEXT, outputs TEXT,
    PRIMARY KEY (run_id, item_id));
INSERT INTO runs VALUES ('old', '/r.yaml', 'rsa', '{}', '{}', 'embedded', 'm', 'running', NULL, 1,
    1.0, NULL, NULL);
"""


def test_a_store_written_before_these_columns_is_upgraded_in_place(tmp_path):
    db = sqlite3.connect(tmp_path / "runs.sqlite")
    db.executescript(OLD_SCHEMA)
    db.close()
    store = RunStore(tmp_path)
    row = store.run("old")
    assert row["status"] == "running"  # no owner recorded: nothing says it died
    assert (row["owner_pid"], row["scored"], row["usd"]) == (None, 0, 0)
    store.record_call(CallRow(run_id="old", item_id="i", node="n", call_key="k", model="m",
                              endpoint="embedded", messages='[{"role": "user"}]'))
    assert store.calls("old")[0].messages == '[{"role": "user"}]'
