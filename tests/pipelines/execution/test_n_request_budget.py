"""`--max-cost` and `--estimate` for n-requests: one request's worst case is its prompt once
plus n outputs; the budget admits as many samples as fit; the estimate counts the prompt once
per request (and per sample where the endpoint is `n_requests: separate`)."""

from __future__ import annotations

import httpx
import pytest

import pipelines
from pipelines import RunOptions
from pipelines.storage.run_store import RunStore
from tests.pipelines.execution.budget_recipe import INPUT_RATE, OUTPUT_RATE, REPLY, write_recipe
from tests.pipelines.execution.n_choice_llm import PROMPT_TOKENS, NChoiceLLM

URL = "http://fake.test/v1"


def fake() -> NChoiceLLM:
    return NChoiceLLM(reply=lambda body, choice: REPLY)  # 50 output tokens each


def test_the_budget_admits_one_request_for_as_many_samples_as_fit(tmp_path):
    llm = fake()
    result = pipelines.run(write_recipe(tmp_path / "r"), {}, RunOptions(
        endpoint=URL, store=tmp_path / "s", cache=False, max_cost=4.50,
        transport=httpx.ASGITransport(app=llm.app)))
    # worst case of k samples: 80 bounded prompt tokens once ($0.008) + k x $1.00: k = 4 fit
    assert result.exit_code == 3 and result.status == "budget"
    assert [b["n"] for b in llm.requests] == [4]
    rows = RunStore(tmp_path / "s").calls(result.run_id)
    assert [r.prompt_tokens for r in rows] == [PROMPT_TOKENS, 0, 0, 0]
    spent = (PROMPT_TOKENS * INPUT_RATE + 4 * 50 * OUTPUT_RATE) / 1e6
    assert sum(r.cost_usd for r in rows) == pytest.approx(spent) == pytest.approx(4.01)
    assert result.stats.usd == pytest.approx(spent)


def test_the_whole_n_request_runs_when_the_budget_holds_it(tmp_path):
    llm = fake()
    result = pipelines.run(write_recipe(tmp_path / "r"), {}, RunOptions(
        endpoint=URL, store=tmp_path / "s", cache=False, max_cost=8.02,
        transport=httpx.ASGITransport(app=llm.app)))
    assert result.exit_code == 0 and [b["n"] for b in llm.requests] == [8]
    # 8 separate requests would have reserved 8 x $1.008 = $8.064: more than the budget
    assert result.stats.usd == pytest.approx((PROMPT_TOKENS * INPUT_RATE + 400 * OUTPUT_RATE) / 1e6)


def test_estimate_counts_the_prompt_once_per_n_request(tmp_path):
    recipe = write_recipe(tmp_path / "r")
    one_req = pipelines.estimate(recipe, {}, RunOptions(endpoint={"url": URL, "n_requests": "one"}))
    separate = pipelines.estimate(recipe, {}, RunOptions(
        endpoint={"url": URL, "n_requests": "separate"}))
    auto = pipelines.estimate(recipe, {}, RunOptions(endpoint=URL))
    one, each, maybe = one_req["nodes"][0], separate["nodes"][0], auto["nodes"][0]
    assert (one["calls"], one["requests"]) == (8, 1) and (each["calls"], each["requests"]) == (8, 8)
    assert each["prompt_tokens"] == 8 * one["prompt_tokens"]
    assert one["max_output_tokens"] == each["max_output_tokens"] == 8 * 50
    prompt_usd = one["prompt_tokens"] * INPUT_RATE / 1e6
    assert each["usd"] - one["usd"] == pytest.approx(7 * prompt_usd)
    # `auto` sends one request but may meet an endpoint that ignores n: the worst case is
    # the prompt billed per sample, and the note says how to price it once
    assert maybe["requests"] == 1 and maybe["usd"] == pytest.approx(each["usd"])
    assert any("`n_requests: one`" in n for n in auto["notes"])
    assert separate["notes"] == [] and one_req["notes"] == []
    split = pipelines.estimate(recipe, {}, RunOptions(endpoint={"url": URL, "max_n": 3}))
    assert split["nodes"][0]["requests"] == 3  # 8 samples, at most 3 a request


def test_the_embedded_server_is_known_to_honour_n(tmp_path):
    recipe = write_recipe(tmp_path / "r")
    embedded = pipelines.estimate(recipe, {}, RunOptions(endpoint="embedded"))["nodes"][0]
    separate = pipelines.estimate(recipe, {}, RunOptions(
        endpoint={"url": "embedded", "n_requests": "separate"}))["nodes"][0]
    assert (embedded["calls"], embedded["requests"]) == (8, 1)
    assert separate["prompt_tokens"] == 8 * embedded["prompt_tokens"] > 0
