"""pipe's own endpoint client against the real server app, in-process as `embedded` uses it."""

import asyncio

import httpx
import pytest

from moe.server import create_app
from pipelines.endpoints.client import EndpointClient
from pipelines.endpoints.config import resolve_endpoint
from pipelines.errors import FatalCallError
from pipelines.types import ChatRequest

from tests.moe.engine.conftest import generate, small_model

QUESTION = ({"role": "user", "content": "Compute 15+7*12-23. Solve step by step, please. " * 2},)


def test_pipe_endpoint_client_gets_usage_with_cache_hits_and_fatal_errors():
    app = create_app(small_model())

    async def scenario():
        client = EndpointClient(resolve_endpoint("embedded"), transport=httpx.ASGITransport(app))
        async with client:
            calls = [ChatRequest("moe-tiny", QUESTION, {"max_tokens": 6, "seed": i, "temperature": 1.0})
                     for i in range(4)]
            results = await asyncio.gather(*(client.chat(c) for c in calls))
            with pytest.raises(FatalCallError):
                await client.chat(ChatRequest("moe-tiny", QUESTION, {"max_tokens": -1}))
        await app.state.service.engine.stop()
        return results

    results = asyncio.run(scenario())
    prompt = results[0].usage.prompt_tokens
    assert prompt > 16  # several full blocks
    assert all(r.usage.prompt_tokens == prompt for r in results)
    for seed, r in enumerate(results):  # each seeded sample is the engine's own, alone
        alone = generate(small_model(), QUESTION[0]["content"], max_tokens=6, seed=seed, temperature=1.0)
        assert (r.content, r.usage.completion_tokens) == (alone["texts"][0], len(alone["ids"][0]))
    # Four identical prompts sent together: one prefill, three served from the prefix cache.
    bs = app.state.service.engine.engine.blocks.block_size
    assert sorted(r.usage.cached_tokens for r in results) == [0] + [(prompt - 1) // bs * bs] * 3
