"""Several choices in one response: read in index order, each given its share of the usage
(the prompt once, on the first), and a real n-request to the embedded server metered so."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest

import pipelines
from pipelines import RunOptions
from pipelines.endpoints import EndpointClient, resolve_endpoint
from pipelines.endpoints.embedded import embedded_endpoint
from pipelines.endpoints.response import MalformedResponse, parse_completion
from pipelines.endpoints.usage import split_usage
from pipelines.storage.run_store import RunStore
from pipelines.types import ChatRequest, Usage
from tests.pipelines.execution.n_choice_llm import PROMPT_TOKENS, NChoiceLLM

ROOT = Path(__file__).resolve().parents[3]


def body(choices: list[dict], usage: dict | None = None) -> bytes:
    return json.dumps({"id": "x", "choices": choices, "usage": usage or {}}).encode()


def choice(index: int, text: str) -> dict:
    return {"index": index, "message": {"role": "assistant", "content": text},
            "finish_reason": "stop"}


def test_choices_are_read_in_index_order():
    parsed = parse_completion(body([choice(2, "c"), choice(0, "a"), choice(1, "b")]))
    assert [c.content for c in parsed.choices] == ["a", "b", "c"]
    assert parsed.content == "a" and parsed.finish_reason == "stop"


def test_a_malformed_second_choice_is_a_malformed_response():
    with pytest.raises(MalformedResponse, match="a choice has no message"):
        parse_completion(body([choice(0, "a"), {"index": 1}]))


@pytest.mark.parametrize("completion,weights", [(97, [1, 1, 1]), (10, [0, 5, 30, 2]),
                                                (3, [7, 7, 7, 7, 7]), (0, [4, 9])])
def test_split_usage_adds_up_and_bills_the_prompt_once(completion, weights):
    usage = Usage(prompt_tokens=120, completion_tokens=completion, cached_tokens=64,
                  reasoning_tokens=completion // 2)
    parts = split_usage(usage, weights)
    assert len(parts) == len(weights)
    assert sum(p.completion_tokens for p in parts) == completion
    assert [p.prompt_tokens for p in parts] == [120] + [0] * (len(weights) - 1)
    assert [p.cached_tokens for p in parts] == [64] + [0] * (len(weights) - 1)
    assert all(p.reasoning_tokens <= p.completion_tokens for p in parts)
    heavy, light = max(range(len(weights)), key=weights.__getitem__), \
        min(range(len(weights)), key=weights.__getitem__)
    assert parts[heavy].completion_tokens >= parts[light].completion_tokens


def test_chat_n_returns_every_choice_and_chat_the_whole_usage():
    fake = NChoiceLLM()

    async def go():
        async with EndpointClient(resolve_endpoint("http://fake.test/v1"),
                                  transport=httpx.ASGITransport(app=fake.app)) as client:
            req = ChatRequest(model="m", messages=({"role": "user", "content": "hi"},),
                              params={"n": 3, "seed": 1})
            return await client.chat_n(req), await client.chat(req)

    results, single = asyncio.run(go())
    assert len(results) == 3 and len({r.content for r in results}) == 3
    total = single.usage.completion_tokens
    assert sum(r.usage.completion_tokens for r in results) == total > 0
    assert [r.usage.prompt_tokens for r in results] == [PROMPT_TOKENS, 0, 0]
    assert single.usage.prompt_tokens == PROMPT_TOKENS and single.content == results[0].content


class Recording(httpx.AsyncBaseTransport):
    """The embedded server's own transport, with the request bodies kept (to count them)."""

    def __init__(self):
        self.inner = embedded_endpoint.transport()
        self.bodies: list[dict] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.bodies.append(json.loads(request.content))
        return await self.inner.handle_async_request(request)


SELF_CONSISTENCY = {"N": 4, "size": 2, "max_tokens": 24}


def embedded_run(tmp_path: Path, mode: str) -> tuple[pipelines.RunResult, Recording]:
    transport = Recording()
    result = pipelines.run(ROOT / "recipes/self_consistency.yaml", SELF_CONSISTENCY,
                           RunOptions(endpoint={"url": "embedded", "n_requests": mode},
                                      store=tmp_path / mode, cache=False, transport=transport))
    assert result.exit_code == 0, result.items
    return result, transport


def test_embedded_n_request_processes_and_bills_the_prompt_once(tmp_path):
    one, sent_one = embedded_run(tmp_path, "one")
    separate, sent_separate = embedded_run(tmp_path, "separate")
    assert [b.get("n") for b in sent_one.bodies] == [4, 4]  # one request per problem
    assert len(sent_separate.bodies) == 8 and all("n" not in b for b in sent_separate.bodies)
    rows_one = RunStore(tmp_path / "one").calls(one.run_id)
    rows_separate = RunStore(tmp_path / "separate").calls(separate.run_id)
    assert len(rows_one) == len(rows_separate) == 8  # a row per sample either way
    for item in {r.item_id for r in rows_one}:
        mine = [r for r in rows_one if r.item_id == item]
        messages = json.loads(mine[0].messages)
        exact = embedded_endpoint.prompt_tokens(messages)  # the server's own count
        assert [r.prompt_tokens for r in mine] == [exact, 0, 0, 0]
        alone = [r.prompt_tokens for r in rows_separate if r.item_id == item]
        assert alone == [exact] * 4
        assert all(r.cost_usd is not None and r.completion_tokens > 0 for r in mine)
    usd_one = sum(r.cost_usd for r in rows_one)
    usd_separate = sum(r.cost_usd for r in rows_separate)
    assert usd_one < usd_separate
