"""Apps on the small random model: in-process (ASGI transport) and on a real local port."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from typing import AsyncIterator, Iterator

import httpx
import openai
import pytest
import uvicorn

from moe.server import ServerLimits, create_app
from moe.server.http import uvicorn_config

from tests.moe.engine.conftest import small_model


@pytest.fixture
def app():
    return create_app(small_model())


@contextlib.asynccontextmanager
async def asgi_openai(app) -> AsyncIterator[openai.AsyncOpenAI]:
    """The official async client talking to `app` in-process; stops the engine afterwards."""
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://moe")
    client = openai.AsyncOpenAI(base_url="http://moe/v1", api_key="none", max_retries=0,
                                http_client=http)
    try:
        yield client
    finally:
        await client.close()
        await app.state.service.engine.stop()


@contextlib.asynccontextmanager
async def asgi_http(app) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://moe") as c:
        try:
            yield c
        finally:
            await app.state.service.engine.stop()


async def wait_for(predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.01)


@contextlib.contextmanager
def serving(limits: ServerLimits | None = None) -> Iterator[tuple[str, object]]:
    """`pipe serve`'s uvicorn setup (`uvicorn_config`) on 127.0.0.1 and a free port, in a
    thread, lifespan on: yields the base URL and the app."""
    app = create_app(small_model(), limits=limits)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn_config(app, limits=limits, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}", app
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def live_server() -> Iterator[tuple[str, object]]:
    """The server with default limits on a real local port."""
    with serving() as served:
        yield served
