"""End-to-end runs of the engine against an in-process fake endpoint."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import httpx
import pytest

import pipelines
import pipelines.endpoints.embedded as embedded_module
from pipelines import RunOptions
from pipelines.errors import CacheMiss
from pipelines.types import Price, Usage
from tests.pipelines.execution.budget_recipe import per_call_usd, priced_fake, write_recipe
from tests.pipelines.fake_llm import FakeLLM

RSA = Path(__file__).parent / "recipes" / "rsa.yaml"
URL = "http://fake.test/v1"


def run(fake: FakeLLM, store: Path, **kw):
    return pipelines.run(RSA, kw.pop("params", {}),
                         RunOptions(endpoint=URL, store=store,
                                    transport=httpx.ASGITransport(app=fake.app), **kw))


def question(body: dict) -> str:
    return body["messages"][-1]["content"]


def test_rsa_shaped_run_completes_and_stores_everything(tmp_path):
    fake = FakeLLM()
    result = run(fake, tmp_path, params={"N": 4, "K": 2, "T": 3})
    assert result.exit_code == 0 and result.status == "ok"
    # per item: N solve calls + (T-1) * N aggregation calls
    assert len(fake.requests) == 2 * (4 + 2 * 4)
    report = pipelines.show(result.run_id, tmp_path)
    nodes = {r["node"]: r for r in report["nodes"]}
    assert set(nodes) == {"solve", "steps.1.aggregate", "steps.2.aggregate"}
    assert all(r["calls"] == 8 for r in nodes.values())
    items = {i["item_id"]: i for i in report["items"]}
    from pipelines.storage.run_store import RunStore
    final = RunStore(tmp_path).outputs(result.run_id)["a"]["steps.2.aggregate"]
    assert len(final) == 4 and items["a"]["outputs"]["answer"] in final
    # aggregation prompts carry K candidates from the previous population
    agg = [b for b in fake.requests if question(b).startswith("Problem: 1+1")]
    assert len(agg) == 8 and all(question(b).count("---- Solution") == 2 for b in agg)


def test_samples_get_distinct_seeds_and_runs_are_reproducible(tmp_path):
    fake = FakeLLM()
    run(fake, tmp_path / "a", cache=False)
    seeds = [b["seed"] for b in fake.requests if question(b) == "Solve: 1+1"]
    assert len(seeds) == len(set(seeds)) == 4
    first = [(question(b), b["seed"]) for b in fake.requests]
    fake.requests.clear()
    run(fake, tmp_path / "b", cache=False)
    assert sorted(first) == sorted((question(b), b["seed"]) for b in fake.requests)


def test_fast_item_finishes_while_slow_item_is_still_at_step_one(tmp_path):
    slow = lambda body: 0.6 if "1+1" in question(body) and question(body).startswith("Solve") else 0.01
    fake = FakeLLM(delay=slow)
    result = run(fake, tmp_path, params={"T": 4})
    assert result.exit_code == 0
    ends = [(t, p) for t, e, p in fake.log if e == "end"]
    first_slow_solve_end = min(t for t, p in ends if p == "Solve: 1+1")
    fast_last_end = max(t for t, p in ends if "2+3" in p)
    assert fast_last_end < first_slow_solve_end


def test_failed_item_is_recorded_and_the_run_goes_on(tmp_path):
    fake = FakeLLM(fail=lambda body: 400 if "2+3" in question(body) else None)
    result = run(fake, tmp_path)
    assert result.exit_code == 1 and result.status == "failed"
    items = {i["item_id"]: i for i in result.items}
    assert items["a"]["status"] == "ok"
    assert items["b"]["status"] == "failed" and "400" in items["b"]["error"]
    b_calls = [b for b in fake.requests if "2+3" in question(b)]
    # fatal: each of the N samples tried once on its own, none retried, after at most one
    # request for all N (the 400 might have been a refusal of `n`; this fake ignores `n`)
    assert len([b for b in b_calls if "n" not in b]) == 4
    assert len([b for b in b_calls if "n" in b]) <= 1


def test_second_run_is_served_from_the_response_cache_at_zero_cost(tmp_path):
    fake = FakeLLM()
    first = run(fake, tmp_path, meter=DollarMeter())
    sent = len(fake.requests)
    second = run(fake, tmp_path, meter=DollarMeter())
    assert len(fake.requests) == sent
    assert second.stats.cache_hits == second.stats.calls == first.stats.calls
    calls = pipelines.show(second.run_id, tmp_path)
    assert calls["total_usd"] == 0.0
    rows = __import__("pipelines.storage.run_store",
                      fromlist=["RunStore"]).RunStore(tmp_path).calls(second.run_id)
    assert all(r.cache_hit == 1 and r.cost_usd == 0 and r.would_cost_usd == 1.0 for r in rows)


def test_new_embedded_weights_never_answer_from_responses_cached_before_them(tmp_path, monkeypatch):

    fake = FakeLLM()

    def run_on(weights: str):
        monkeypatch.setattr(embedded_module, "weights_digest", lambda: weights)
        return pipelines.run(RSA, {},
                             RunOptions(endpoint="embedded", store=tmp_path,
                                        transport=httpx.ASGITransport(app=fake.app)))

    first = run_on("old-weights")
    sent = len(fake.requests)
    assert first.stats.cache_hits == 0 and sent > 0
    again = run_on("old-weights")
    assert again.stats.cache_hits == again.stats.calls and len(fake.requests) == sent
    retrained = run_on("new-weights")
    assert retrained.stats.cache_hits == 0 and len(fake.requests) == 2 * sent


def test_offline_without_cache_fails_items_and_sends_nothing(tmp_path):
    fake = FakeLLM()
    result = run(fake, tmp_path, offline=True)
    assert fake.requests == []
    assert result.exit_code == 1
    assert all("--offline" in i["error"] for i in result.items)


def test_max_cost_stops_new_calls_keeps_partial_results_exit_3(tmp_path):
    """A real price sheet: each call costs $1.0003, its worst case is $1.008 (see
    tests/pipelines/execution/budget_recipe.py), so $4.50 admits exactly 4 of the 8 calls."""
    recipe, fake = write_recipe(tmp_path / "r"), priced_fake()
    result = pipelines.run(recipe, {}, RunOptions(
        endpoint=URL, store=tmp_path, cache=False, max_cost=4.50,
        transport=httpx.ASGITransport(app=fake.app)))
    assert result.exit_code == 3 and result.status == "budget"
    assert len(fake.requests) == 4
    assert result.stats.usd == pytest.approx(4 * per_call_usd()) == pytest.approx(4.0012)
    # the 4 calls admitted before the stop are kept (a resume reuses them)
    from pipelines.storage.run_store import RunStore
    rows = RunStore(tmp_path).calls(result.run_id)
    assert [(r.status, round(r.cost_usd, 6)) for r in rows] == [("ok", 1.0003)] * 4
    assert pipelines.show(result.run_id, tmp_path)["total_usd"] == pytest.approx(4.0012)


class DollarMeter:
    """Every call costs exactly $1 (worst case too): makes budgets easy to reason about."""

    def price(self, *, endpoint, model, usage: Usage, started_at: datetime, batch=False) -> Price:
        return Price(usd=1.0, source="test:dollar", tier="standard")

    def worst_case_usd(self, **kw) -> float:
        return 1.0

    def knows(self, **kw) -> bool:
        return True


def test_calls_are_metered_with_the_shipped_price_sheets(tmp_path):
    """Model deepseek-chat is priced from the shipped sheet: every call row gets $ and a source."""
    fake = FakeLLM()
    result = run(fake, tmp_path, model="deepseek-chat", cache=False)
    rows = __import__("pipelines.storage.run_store",
                      fromlist=["RunStore"]).RunStore(tmp_path).calls(result.run_id)
    assert rows and all(r.cost_usd > 0 and r.price_source.startswith("sheet:deepseek")
                        for r in rows)
    assert all(r.tier in ("standard", "off-peak") for r in rows)
    assert abs(pipelines.show(result.run_id, tmp_path)["total_usd"] - sum(r.cost_usd for r in rows)) < 1e-12


def test_cost_command_is_part_of_the_pipe_cli():
    from click.testing import CliRunner
    from pipelines.cli.main import main
    profile = Path(__file__).resolve().parents[2] / "recipes/cost/profiles/deepseek-v3-h800-ep144.yaml"
    out = CliRunner().invoke(main, ["cost", "explain", str(profile), "--format", "json"])
    assert out.exit_code == 0, out.output
    assert "tokens_per_s_per_gpu" in __import__("json").loads(out.output)


def test_dataset_options_pass_through_one_dict_param(tmp_path):
    from pipelines.recipe.datasets import load_items
    from pipelines.errors import InputError
    rows = tmp_path / "rows.jsonl"
    rows.write_text("".join(f'{{"question": "q{i}", "answer": "{i}"}}\n' for i in range(10)))
    items = load_items({"source": str(rows), "options": {"size": 3, "seed": 1}}, tmp_path)
    assert len(items) == 3 and {i["question"] for i in items} < {f"q{i}" for i in range(10)}
    with pytest.raises(InputError, match="dataset.options must be a mapping"):
        load_items({"source": str(rows), "options": [1]}, tmp_path)
