"""Simulated OpenAI-compatible endpoints for the engine benchmarks (in-process ASGI apps)."""

from __future__ import annotations

import asyncio
import re
import time

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


def completion(model: str, text: str, prompt_tokens: int, completion_tokens: int) -> dict:
    return {"id": "chatcmpl-sim", "object": "chat.completion", "created": 0, "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                         "finish_reason": "stop"}],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                      "total_tokens": prompt_tokens + completion_tokens}}


def zero_latency_app() -> Starlette:
    async def chat(request: Request) -> JSONResponse:
        body = await request.json()
        return JSONResponse(completion(body["model"], "ok \\boxed{1}", 10, 3))
    return Starlette(routes=[Route("/v1/chat/completions", chat, methods=["POST"])])


class SlotServer:
    """A server with `slots` concurrent decode slots and a fixed latency per output token.

    The output length of a call is read from the prompt (`len=NNN`), so items can be uneven.
    Records busy slot-seconds so the benchmark can compute occupancy.
    """

    def __init__(self, slots: int, seconds_per_token: float):
        self.slots = asyncio.Semaphore(slots)
        self.n_slots = slots
        self.seconds_per_token = seconds_per_token
        self.busy = 0.0
        self.first = None
        self.last = 0.0
        self.app = Starlette(routes=[Route("/v1/chat/completions", self.chat, methods=["POST"])])

    async def chat(self, request: Request) -> JSONResponse:
        body = await request.json()
        prompt = body["messages"][-1]["content"]
        tokens = int(re.search(r"len=(\d+)", prompt).group(1))
        async with self.slots:
            start = time.monotonic()
            self.first = start if self.first is None else min(self.first, start)
            await asyncio.sleep(tokens * self.seconds_per_token)
            end = time.monotonic()
            self.busy += end - start
            self.last = max(self.last, end)
        return JSONResponse(completion(body["model"], f"step len={tokens} \\boxed{{1}}", 20, tokens))

    def occupancy(self, wall: float) -> float:
        return self.busy / (self.n_slots * wall)
