"""Bad input gets OpenAI-shaped errors with the right status, and the server keeps serving."""

import asyncio

import httpx
import openai
import pytest

from moe.server import create_app

from tests.moe.engine.conftest import SMALL, small_model
from tests.moe.engine.test_engine import FailOnToken
from tests.moe.server.conftest import asgi_http, asgi_openai

MSG = [{"role": "user", "content": "hi"}]


def post_all(app, cases: list[tuple[str, dict]]) -> list[httpx.Response]:
    async def scenario():
        async with asgi_http(app) as http:
            out = [await http.post(path, **kw) for path, kw in cases]
            ok = await http.post("/v1/chat/completions",
                                 json={"model": "moe-tiny", "messages": MSG, "max_tokens": 2})
            return out, ok
    out, ok = asyncio.run(scenario())
    assert ok.status_code == 200  # still serving after every bad request
    return out


def error_of(response: httpx.Response) -> dict:
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"message", "type", "param", "code"}
    return body["error"]


CHAT = "/v1/chat/completions"
BAD = [
    (CHAT, {"content": b"{not json", "headers": {"content-type": "application/json"}}, 400, None, "JSON"),
    (CHAT, {"json": {"model": "gpt-9", "messages": MSG}}, 404, "model", "gpt-9"),
    (CHAT, {"json": {"model": "moe-tiny"}}, 400, "messages", "required"),
    (CHAT, {"json": {"model": "moe-tiny", "messages": []}}, 400, "messages", "at least 1"),
    (CHAT, {"json": {"model": "moe-tiny", "messages": MSG, "max_tokens": -5}}, 400, "max_tokens", "-5"),
    (CHAT, {"json": {"model": "moe-tiny", "messages": MSG, "max_tokens": 10**9}}, 400, "max_tokens", "at most"),
    (CHAT, {"json": {"model": "moe-tiny", "messages": [{"role": "user", "content": "x" * SMALL.max_seq_len}]}},
     400, "messages", "context length"),
    (CHAT, {"json": {"model": "moe-tiny", "messages": [{"role": "robot", "content": "x"}]}}, 400, "messages.0.role", "robot"),
    (CHAT, {"json": {"model": "moe-tiny", "messages": MSG, "temperature": 3}}, 400, "temperature", "2"),
    (CHAT, {"json": {"model": "moe-tiny", "messages": MSG, "n": 0}}, 400, "n", "1"),
    (CHAT, {"json": {"model": "moe-tiny", "messages": MSG, "stop": [""]}}, 400, "stop", "non-empty"),
    (CHAT, {"json": {"model": "moe-tiny", "messages": MSG, "tools": []}}, 400, "tools", "Unrecognized"),
    (CHAT, {"json": ["not", "an", "object"]}, 400, None, "JSON object"),
    (CHAT, {"content": b"{" + b" " * (5 * 2**20) + b"}"}, 413, None, "limit"),
    ("/v1/completions", {"json": {"model": "moe-tiny", "prompt": [10**6]}}, 400, "prompt", "token ids"),
    ("/v1/nothing", {"json": {}}, 404, None, "Not Found"),
]


def test_every_bad_input_gets_its_status_and_a_clear_message(app):
    responses = post_all(app, [(path, kw) for path, kw, *_ in BAD])
    for (path, kw, status, param, words), response in zip(BAD, responses):
        assert response.status_code == status, (kw, response.text)
        error = error_of(response)
        assert error["param"] == param, response.text
        assert words.lower() in error["message"].lower(), response.text


def test_the_official_client_raises_the_matching_exceptions(app):
    async def scenario():
        async with asgi_openai(app) as client:
            with pytest.raises(openai.NotFoundError):
                await client.chat.completions.create(model="nope", messages=MSG)
            with pytest.raises(openai.BadRequestError, match="max_tokens"):
                await client.chat.completions.create(model="moe-tiny", messages=MSG, max_tokens=-1)
    asyncio.run(scenario())


def test_an_engine_failure_fails_only_that_request():
    poisoned = FailOnToken(small_model(), small_model().tokenizer.encode("~")[0])
    app = create_app(poisoned)

    async def scenario():
        async with asgi_openai(app) as client:
            with pytest.raises(openai.InternalServerError, match="injected fault"):
                await client.chat.completions.create(
                    model="moe-tiny", messages=[{"role": "user", "content": "~"}], max_tokens=3)
            stream = await client.chat.completions.create(
                model="moe-tiny", messages=[{"role": "user", "content": "~"}], max_tokens=3, stream=True)
            with pytest.raises(openai.APIError, match="injected fault"):
                async for _ in stream:
                    pass
            ok = await client.chat.completions.create(model="moe-tiny", messages=MSG, max_tokens=3)
            assert ok.choices[0].finish_reason in ("stop", "length")
    asyncio.run(scenario())
