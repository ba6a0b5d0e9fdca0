"""A run's results stay in the store (issue #21): `RunResult.items` reads them as it is used,
scoring goes through the store a chunk at a time, and a resume looks finished items up
instead of loading them."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

import pipelines
from pipelines import RunOptions
from pipelines.execution import accuracy
from pipelines.storage import run_store
from pipelines.storage.item_view import StoredItems
from pipelines.storage.run_store import RunStore
from pipelines.types import CallRow, ItemStatus
from tests.pipelines.fake_llm import FakeLLM

RSA = Path(__file__).parents[1] / "recipes" / "rsa.yaml"


def run_over(tmp_path: Path, rows: list[dict]) -> pipelines.RunResult:
    data = tmp_path / "d.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    fake = FakeLLM(reply=lambda body: "1")  # the vote extracts nothing: "1" is the answer
    return pipelines.run(RSA, {"N": 2, "K": 1, "T": 2},
                         RunOptions(endpoint="http://fake.test/v1", store=tmp_path / "s",
                                    dataset={"source": str(data)},
                                    transport=httpx.ASGITransport(app=fake.app)))


def test_run_items_are_read_from_the_store_in_pages_and_scored_in_chunks(tmp_path, monkeypatch):
    monkeypatch.setattr(run_store, "PAGE", 2)  # pages and chunks smaller than the run
    monkeypatch.setattr(accuracy, "CHUNK", 3)
    rows = [{"id": f"p{i}", "question": f"{i}+0", "answer": "1" if i % 3 else "2"}
            for i in range(7)]
    result = run_over(tmp_path, rows)
    assert result.exit_code == 0 and isinstance(result.items, StoredItems)
    stored = RunStore(tmp_path / "s").items(result.run_id)
    assert len(result.items) == 7 and list(result.items) == stored and result.items == stored
    assert result.items[0] == stored[0] and result.items[-1] == stored[-1]
    assert result.items[2:5] == stored[2:5] and result.items[5:] == stored[5:]
    assert {i["item_id"]: (i["gold"], i["correct"]) for i in result.items} == {
        f"p{i}": ("1", 1) if i % 3 else ("2", 0) for i in range(7)}
    assert (result.accuracy.correct, result.accuracy.total) == (4, 7)


def test_a_resume_looks_finished_items_up_and_counts_their_calls_by_sql(tmp_path):
    store = RunStore(tmp_path)
    run_id = store.create_run(recipe_path="/r.yaml", recipe_name="r", params={}, overrides={},
                              endpoint="e", model="m", items_total=3, max_cost=None)
    for item, node, status in (("a", "solve", "ok"), ("a", "agg", "ok"), ("b", "solve", "ok"),
                               ("b", "agg", "ok"), ("b", "agg", "error"), ("c", "solve", "ok")):
        store.record_call(CallRow(run_id=run_id, item_id=item, node=node, call_key=item + node,
                                  model="m", endpoint="e", status=status))
    store.finish_item(run_id, "a", ItemStatus.OK, None, {})
    store.finish_item(run_id, "c", ItemStatus.FAILED, "x", None)
    store.save_output(run_id, "b", "solve", ["x"])  # b stopped after solve: agg runs again
    finished = store.finished_items(run_id)
    assert len(finished) == 1 and "a" in finished and "b" not in finished \
        and "c" not in finished
    assert store.reused_calls(run_id) == 3  # a's two calls and b's solve call
    store.close()
