"""What a run was given in place of its recipe's own (dataset, endpoint, model, pricing) is
stored with it, so a resume runs with it again; runs of older stores have none."""

from __future__ import annotations

import sqlite3

from pipelines.storage.run_store import RunStore
from tests.pipelines.storage.test_run_store import OLD_SCHEMA

DATASET = {"source": "inline", "items": [{"id": "q-1", "question": "What is 2+2?"}]}


def test_a_runs_given_options_come_back_with_it(tmp_path):
    store = RunStore(tmp_path)
    given = {"dataset": DATASET, "endpoint": {"url": "http://127.0.0.1:9/v1", "concurrency": 2}}
    run_id = store.create_run(recipe_path="/r.yaml", recipe_name="r", params={}, overrides={},
                              endpoint="e", model="m", items_total=1, max_cost=None, given=given)
    plain = store.create_run(recipe_path="/r.yaml", recipe_name="r", params={}, overrides={},
                             endpoint="e", model="m", items_total=1, max_cost=None)
    store.close()
    again = RunStore(tmp_path)  # read back from the file by another connection
    assert again.run(run_id)["given"] == given
    assert again.run(plain)["given"] == {}
    again.close()


def test_a_store_older_than_given_options_gains_the_column_and_reads_none(tmp_path):
    db = sqlite3.connect(tmp_path / "runs.sqlite")
    db.executescript(OLD_SCHEMA)
    db.close()
    store = RunStore(tmp_path)
    assert store.run("old")["given"] == {}
    new = store.create_run(recipe_path="/r.yaml", recipe_name="r", params={}, overrides={},
                           endpoint="e", model="m", items_total=1, max_cost=None,
                           given={"dataset": DATASET})
    assert store.run(new)["given"] == {"dataset": DATASET}
    store.close()
