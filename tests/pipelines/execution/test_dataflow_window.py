"""Items are admitted in a window: a run holds only the items in flight, pulls its dataset lazily,
and keeps results in the store, not in a list (issue #21: bounded memory)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

import pipelines
from pipelines.cost import load_meter
from pipelines.endpoints import EndpointClient, resolve_endpoint
from pipelines.execution.budget import Budget
from pipelines.execution.call_path import CallPath
from pipelines.execution.dataflow import ItemDataflow
from pipelines.execution.stats import Stats
from pipelines.storage import RunStore
from pipelines.types import ItemStatus
from tests.pipelines.fake_llm import FakeLLM

RSA = Path(__file__).parents[1] / "recipes" / "rsa.yaml"
URL = "http://fake.test/v1"
WINDOW = 3


async def _run_window(store_dir: Path, items, skip: set[str]
                      ) -> tuple[set[ItemStatus], list, list, Stats]:
    """An ItemDataflow over real parts (plan, endpoint client, run store); records, each time
    the dataset is pulled, how many items had started and how many the store had finished."""
    plan = pipelines.validate(RSA, {"N": 2, "K": 1, "T": 2})
    store = RunStore(store_dir)
    fake = FakeLLM(delay=lambda body: 0.002)
    client = EndpointClient(resolve_endpoint(URL), transport=httpx.ASGITransport(app=fake.app))
    stats = Stats()
    run_id = store.create_run(recipe_path=str(RSA), recipe_name=plan.name, params=plan.params,
                              overrides={}, endpoint=client.identity, model=plan.model,
                              items_total=0, max_cost=None)
    calls = CallPath(run_id=run_id, store=store, client=client, cache=None, meter=load_meter(),
                     model=plan.model, offline=False, budget=Budget(None), stats=stats,
                     prompt_tokens=lambda messages: 1)
    flow = ItemDataflow(plan, calls, store, run_id, stats, store_dir / "artifacts",
                        max_items_in_flight=WINDOW)
    pulls: list[tuple[int, int]] = []

    def lazily():
        for j, item in enumerate(items):
            finished = store.db.execute("SELECT COUNT(*) FROM items WHERE run_id=?",
                                        (run_id,)).fetchone()[0]
            pulls.append((j, finished))
            yield item

    try:
        statuses = await flow.run(lazily(), skip)
    finally:
        await client.aclose()
    rows = store.items(run_id)
    store.close()
    return statuses, pulls, rows, stats


def test_a_generator_dataset_is_pulled_only_as_items_finish(tmp_path):
    items = [{"id": f"i{j}", "question": f"{j}+1", "answer": str(j + 1)} for j in range(12)]
    statuses, pulls, rows, stats = asyncio.run(_run_window(tmp_path, items, set()))
    assert statuses == {ItemStatus.OK}
    assert sorted(r["item_id"] for r in rows) == sorted(i["id"] for i in items)
    assert stats.items_done == 12 and stats.calls == 12 * 4
    # item j is pulled only when fewer than WINDOW earlier items are still in flight
    in_flight_at_pull = [j - finished for j, finished in pulls]
    assert max(in_flight_at_pull) == WINDOW - 1
    assert [j for j, _ in pulls] == list(range(12))
    assert pulls[:WINDOW] == [(0, 0), (1, 0), (2, 0)] and pulls[WINDOW][1] >= 1


def test_skipped_items_count_as_done_and_are_not_run(tmp_path):
    items = [{"id": f"i{j}", "question": f"{j}+1", "answer": str(j + 1)} for j in range(5)]
    statuses, _, rows, stats = asyncio.run(_run_window(tmp_path, items, {"i0", "i3"}))
    assert statuses == {ItemStatus.OK}
    assert sorted(r["item_id"] for r in rows) == ["i1", "i2", "i4"]
    assert stats.items_done == 5 and stats.calls == 3 * 4
