"""One call with many prompts does not hold back a chat call that comes after it (the server
gives each call its own admission group; the figure is in benchmarks/server_fairness.py)."""

import asyncio

from moe.server import ServerLimits, create_app

from tests.moe.engine.conftest import small_model
from tests.moe.server.conftest import asgi_http, wait_for

PROMPTS = 60


def test_a_chat_call_overtakes_the_queued_prompts_of_a_big_call():
    app = create_app(small_model(), limits=ServerLimits(max_prompts=PROMPTS),
                     max_num_seqs=2, max_num_batched_tokens=64)
    engine = app.state.service.engine.engine

    async def scenario():
        async with asgi_http(app) as http:
            big = asyncio.create_task(http.post("/v1/completions", json={
                "model": "moe-tiny", "prompt": [f"item {i}" for i in range(PROMPTS)],
                "max_tokens": 8, "ignore_eos": True}))
            await wait_for(lambda: engine.num_running == 2 and engine.num_waiting > 50)
            chat = await http.post("/v1/chat/completions", json={
                "model": "moe-tiny", "messages": [{"role": "user", "content": "hi"}],
                "max_tokens": 8, "ignore_eos": True})
            still_waiting = engine.num_waiting
            done_before_chat = big.done()
            whole = await big
            return chat, still_waiting, done_before_chat, whole

    chat, still_waiting, done_before_chat, whole = asyncio.run(scenario())
    assert chat.status_code == 200 and chat.json()["usage"]["completion_tokens"] == 8
    assert not done_before_chat
    # First come, first served would have run all 60 prompts first; here the chat call went
    # in at the first free slot, with ~50 of the big call's prompts still queued.
    assert still_waiting >= 45
    assert whole.status_code == 200
    assert [c["index"] for c in whole.json()["choices"]] == list(range(PROMPTS))
    assert whole.json()["usage"]["completion_tokens"] == 8 * PROMPTS
