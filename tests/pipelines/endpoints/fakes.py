"""Test doubles: an in-process OpenAI-compatible ASGI app and scripted fault injection."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Union

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from pipelines.types import ChatRequest

OPENAI_USAGE = {
    "prompt_tokens": 120,
    "completion_tokens": 30,
    "total_tokens": 150,
    "prompt_tokens_details": {"cached_tokens": 100},
    "completion_tokens_details": {"reasoning_tokens": 12},
}
DEEPSEEK_USAGE = {
    "prompt_tokens": 120,
    "completion_tokens": 30,
    "total_tokens": 150,
    "prompt_cache_hit_tokens": 64,
    "prompt_cache_miss_tokens": 56,
    "completion_tokens_details": {"reasoning_tokens": 20},
}


def completion_body(
    content: str = "ok", *, usage: Mapping[str, Any] | None = None, finish_reason: str = "stop"
) -> dict[str, Any]:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 0,
        "model": "fake",
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": finish_reason}
        ],
        "usage": dict(usage if usage is not None else {"prompt_tokens": 5, "completion_tokens": 2}),
    }


def ok(content: str = "ok", **kwargs: Any) -> httpx.Response:
    return httpx.Response(200, json=completion_body(content, **kwargs))


def request(content: str = "What is 2+2?", **kwargs: Any) -> ChatRequest:
    return ChatRequest(model="fake", messages=({"role": "user", "content": content},), **kwargs)


@dataclass
class FakeServer:
    """An OpenAI-compatible chat endpoint that answers `reply(body)` after `delay_s`, and
    counts how many requests it serves at once."""

    reply: Callable[[dict[str, Any]], str] = lambda body: "echo: " + body["messages"][-1]["content"]
    delay_s: float = 0.0
    usage: Mapping[str, Any] = field(default_factory=lambda: dict(OPENAI_USAGE))
    bodies: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    current: int = 0
    peak: int = 0

    async def _chat(self, req: Request) -> JSONResponse:
        body = await req.json()
        self.bodies.append(body)
        self.headers.append(dict(req.headers))
        self.current += 1
        self.peak = max(self.peak, self.current)
        try:
            await asyncio.sleep(self.delay_s)
        finally:
            self.current -= 1
        return JSONResponse(completion_body(self.reply(body), usage=self.usage))

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/v1/chat/completions", self._chat, methods=["POST"])])

    def transport(self) -> httpx.ASGITransport:
        return httpx.ASGITransport(app=self.app())


Step = Union[httpx.Response, Exception, Callable[[httpx.Request], Any]]


class Script:
    """A MockTransport handler that plays `steps` in order (the last one repeats): a response
    is returned, an exception raised, a callable called with the request."""

    def __init__(self, *steps: Step):
        self.steps = list(steps)
        self.requests: list[httpx.Request] = []

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        step = self.steps[min(len(self.requests), len(self.steps)) - 1]
        if isinstance(step, Exception):
            raise step
        if callable(step) and not isinstance(step, httpx.Response):
            result = step(request)
            return await result if asyncio.iscoroutine(result) else result
        # A fresh copy each time: a response object is bound to the one request it answers.
        return httpx.Response(step.status_code, headers=step.headers, content=step.content)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(r.content) for r in self.requests]


class Sleeps:
    """Stands in for asyncio.sleep: records each delay and only yields to the loop."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        await asyncio.sleep(0)
