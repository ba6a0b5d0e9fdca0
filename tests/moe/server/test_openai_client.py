"""The official openai client, sync over a real port and async over the ASGI transport."""

import asyncio
import json

import httpx
import openai

from tests.moe.engine.conftest import generate, small_model
from tests.moe.server.conftest import asgi_openai

USER = [{"role": "user", "content": "What is 17 + 25? Think step by step."}]
LONG_USER = [{"role": "user", "content": "Add the numbers 12, 34, 56 and 78, show work. " * 3}]


def sync_client(base_url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=base_url + "/v1", api_key="none", max_retries=0)


def test_sync_chat_and_completions_over_a_real_port(live_server):
    base_url, _ = live_server
    client = sync_client(base_url)
    chat = client.chat.completions.create(model="moe-tiny", messages=USER, max_tokens=8,
                                          temperature=0, extra_body={"ignore_eos": True})
    assert chat.object == "chat.completion" and chat.model == "moe-tiny"
    assert chat.choices[0].finish_reason == "length"
    greedy = generate(small_model(), USER[0]["content"], max_tokens=8, ignore_eos=True, temperature=0)
    assert chat.choices[0].message.role == "assistant"
    assert chat.choices[0].message.content == greedy["texts"][0]  # the engine's own text
    assert chat.usage.completion_tokens == 8 and chat.usage.total_tokens == chat.usage.prompt_tokens + 8
    text = client.completions.create(model="moe-tiny", prompt=["1+1=", "2+2="], max_tokens=3,
                                     n=2, extra_body={"ignore_eos": True})
    assert [c.index for c in text.choices] == [0, 1, 2, 3]
    assert all(c.finish_reason == "length" for c in text.choices)
    assert text.usage.completion_tokens == 12
    assert [m.id for m in client.models.list().data] == ["moe-tiny"]
    assert httpx.get(base_url + "/health").json() == {"status": "ok"}


def test_sync_stream_with_usage_over_a_real_port(live_server):
    base_url, _ = live_server
    client = sync_client(base_url)
    args = dict(model="moe-tiny", messages=USER, max_tokens=6, n=2, seed=5,
                extra_body={"ignore_eos": True})
    chunks = list(client.chat.completions.create(
        stream=True, stream_options={"include_usage": True}, **args))
    assert {c.choices[0].delta.role for c in chunks[:2]} == {"assistant"}
    finals = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finals == ["length", "length"]
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens == 12
    texts = {0: "", 1: ""}
    for c in chunks[:-1]:
        assert c.usage is None
        texts[c.choices[0].index] += c.choices[0].delta.content or ""
    whole = client.chat.completions.create(**args)
    assert texts == {c.index: c.message.content for c in whole.choices}
    # The raw wire format ends with [DONE].
    with httpx.stream("POST", base_url + "/v1/chat/completions", json={
            "model": "moe-tiny", "messages": USER, "max_tokens": 2, "stream": True}) as r:
        lines = [line for line in r.iter_lines() if line]
    assert r.headers["content-type"].startswith("text/event-stream")
    assert lines[-1] == "data: [DONE]"
    assert json.loads(lines[0][6:])["object"] == "chat.completion.chunk"


def test_async_client_in_process(app):
    async def scenario():
        async with asgi_openai(app) as client:
            args = dict(model="moe-tiny", messages=USER, max_tokens=5, seed=7,
                        extra_body={"ignore_eos": True})
            chat = await client.chat.completions.create(n=3, **args)
            alone = generate(small_model(), USER[0]["content"], max_tokens=5, seed=7, n=3,
                             ignore_eos=True)
            assert [c.message.content for c in chat.choices] == [alone["texts"][i] for i in range(3)]
            stream = await client.chat.completions.create(
                stream=True, stream_options={"include_usage": True}, **args)
            chunks = [c async for c in stream]
            assert chunks[-1].usage.completion_tokens == 5
            text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
            assert text == chat.choices[0].message.content  # same seed, choice 0
            comp = await client.completions.create(model="moe-tiny", prompt="9*9=", max_tokens=3,
                                                   stream=True, seed=3, extra_body={"ignore_eos": True})
            whole = await client.completions.create(model="moe-tiny", prompt="9*9=", max_tokens=3,
                                                    seed=3, extra_body={"ignore_eos": True})
            streamed = "".join([c.choices[0].text async for c in comp if c.choices])
            assert streamed == whole.choices[0].text and whole.usage.completion_tokens == 3
    asyncio.run(scenario())


def test_seed_stop_and_max_completion_tokens(app):
    async def scenario():
        async with asgi_openai(app) as client:
            async def ask(**kw):
                r = await client.chat.completions.create(
                    model="moe-tiny", messages=USER, temperature=1.0,
                    extra_body={"ignore_eos": True}, **kw)
                return r.choices[0]
            first = await ask(seed=42, max_completion_tokens=30)
            again = await asyncio.gather(*(ask(seed=42, max_completion_tokens=30) for _ in range(4)),
                                         *(ask(seed=s, max_tokens=30) for s in range(6)))
            assert all(c.message.content == first.message.content for c in again[:4])
            assert len({c.message.content for c in again[4:]}) == 6
            stop = first.message.content[10:13]
            cut = await ask(seed=42, max_tokens=30, stop=[stop, "never-there"])
            assert cut.message.content == first.message.content[: first.message.content.find(stop)]
            assert cut.finish_reason == "stop" and first.finish_reason == "length"
    asyncio.run(scenario())


def test_prefix_cache_hits_are_reported_as_cached_tokens(app):
    async def scenario():
        async with asgi_openai(app) as client:
            first = await client.chat.completions.create(model="moe-tiny", messages=LONG_USER, max_tokens=2)
            follow_up = LONG_USER + [{"role": "assistant", "content": "ok"},
                                     {"role": "user", "content": "and again?"}]
            second = await client.chat.completions.create(model="moe-tiny", messages=follow_up, max_tokens=2)
            assert first.usage.prompt_tokens_details.cached_tokens == 0
            cached = second.usage.prompt_tokens_details.cached_tokens
            bs = app.state.service.engine.engine.blocks.block_size
            # every full block of the first prompt is reused (the follow-up extends it)
            assert cached == first.usage.prompt_tokens // bs * bs and cached >= 64
            assert cached < second.usage.prompt_tokens
    asyncio.run(scenario())


def test_short_request_finishes_while_a_long_stream_goes_on(app):
    async def scenario():
        async with asgi_openai(app) as client:
            events = []

            async def long():
                stream = await client.chat.completions.create(
                    model="moe-tiny", messages=USER, max_tokens=150, stream=True,
                    extra_body={"ignore_eos": True})
                async for _ in stream:
                    pass
                events.append("long")

            async def short():
                await asyncio.sleep(0.05)
                await client.chat.completions.create(model="moe-tiny", messages=USER, max_tokens=2)
                events.append("short")

            await asyncio.gather(long(), short())
            assert events == ["short", "long"]
    asyncio.run(scenario())
