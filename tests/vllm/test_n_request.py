"""n samples as one request on vLLM (#20): n choices come back, the prompt is metered once
(the count vLLM reports for one request), each sample recorded as a call of its own."""

from __future__ import annotations

import asyncio
import json

import pytest

import pipelines
from pipelines import RunOptions
from pipelines.endpoints import EndpointClient, resolve_endpoint
from pipelines.endpoints.embedded import embedded_endpoint
from pipelines.storage.run_store import RunStore
from pipelines.types import ChatRequest
from tests.vllm.conftest import ROOT

pytestmark = pytest.mark.vllm


def test_an_n_request_returns_n_choices_with_the_prompt_counted_once(vllm_url):
    # A question the model has no settled answer to, so that n samples differ whatever the
    # weights (a problem it solves well comes back four times the same).
    messages = ({"role": "user", "content": "Name ten random numbers."},)

    async def ask():
        async with EndpointClient(resolve_endpoint(vllm_url)) as client:
            params = {"temperature": 1.0, "max_tokens": 32, "seed": 7}
            many = await client.chat_n(ChatRequest("moe-tiny", messages, {**params, "n": 4}))
            one = await client.chat(ChatRequest("moe-tiny", messages, params))
            return many, one

    many, one = asyncio.run(ask())
    assert len(many) == 4 and len({r.content for r in many}) > 1
    raw = many[0].usage_raw
    assert raw["prompt_tokens"] == one.usage.prompt_tokens  # not 4 x the prompt
    assert [r.usage.prompt_tokens for r in many] == [one.usage.prompt_tokens, 0, 0, 0]
    assert sum(r.usage.completion_tokens for r in many) == raw["completion_tokens"]


def test_a_self_consistency_run_sends_one_request_per_problem(vllm_url, tmp_path):
    result = pipelines.run(ROOT / "recipes/self_consistency.yaml",
                           {"N": 4, "size": 3, "max_tokens": 48},
                           RunOptions(endpoint={"url": vllm_url, "n_requests": "one"},
                                      store=tmp_path, cache=False))
    assert result.exit_code == 0, result.items
    rows = RunStore(tmp_path).calls(result.run_id)
    assert len(rows) == 12 and all(r.status == "ok" for r in rows)
    for item in {r.item_id for r in rows}:
        mine = [r for r in rows if r.item_id == item]
        exact = embedded_endpoint.prompt_tokens(json.loads(mine[0].messages))
        assert [r.prompt_tokens for r in mine] == [exact, 0, 0, 0]
        assert all(r.cost_usd is not None for r in mine)
