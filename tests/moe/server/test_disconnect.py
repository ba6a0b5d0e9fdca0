"""A client that goes away mid-request frees its slot and KV blocks at once."""

import asyncio
import json
import socket
import time

from tests.moe.engine.conftest import prompt
from tests.moe.server.conftest import asgi_http, wait_for

LONG = {"model": "moe-tiny", "messages": [{"role": "user", "content": "go on"}],
        "max_tokens": 240, "ignore_eos": True}


def test_cancelled_stream_consumer_aborts_its_request(app):
    engine = app.state.service.engine.engine
    tokens = len(prompt(engine.model, "go on")) + LONG["max_tokens"]
    blocks = -(-min(tokens, engine.max_model_len) // engine.blocks.block_size)

    async def scenario():
        async with asgi_http(app) as http:
            for body in ({**LONG, "stream": True}, LONG):
                before = engine.stats.generation_tokens
                task = asyncio.create_task(http.post("/v1/chat/completions", json=body))
                await wait_for(lambda: engine.stats.generation_tokens >= before + 5)
                assert engine.num_running == 1 and engine.blocks.reserved_blocks == blocks
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
                await wait_for(lambda: engine.num_running == 0)
                assert engine.blocks.reserved_blocks == 0 and not engine.has_work()
                assert engine.stats.generation_tokens - before < 150
            assert engine.stats.requests_finished == {"abort": 2}
    asyncio.run(scenario())


def test_closed_connection_on_a_real_port_frees_the_slot(live_server):
    base_url, app = live_server
    engine = app.state.service.engine.engine
    host, port = base_url.removeprefix("http://").split(":")
    for body in ({**LONG, "stream": True}, LONG):
        before = engine.stats.generation_tokens
        aborts = engine.stats.requests_finished.get("abort", 0)
        payload = json.dumps(body).encode()
        with socket.create_connection((host, int(port))) as sock:
            sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: moe\r\n"
                         b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                         % (len(payload), payload))
            wait_until(lambda: engine.stats.generation_tokens >= before + 5)
        wait_until(lambda: not engine.has_work())
        assert engine.stats.requests_finished.get("abort", 0) == aborts + 1
        assert engine.num_running == 0 and engine.blocks.reserved_blocks == 0
        assert engine.stats.generation_tokens - before < 240


def wait_until(predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.005)
