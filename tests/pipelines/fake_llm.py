"""An in-process OpenAI-compatible fake used by engine tests (fault injection and timing)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from typing import Callable

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


class FakeLLM:
    """Answers every chat request with a deterministic text; records what it was asked.

    `delay(body) -> seconds` simulates latency; `fail(body) -> status | None` injects errors.
    """

    def __init__(self, delay: Callable[[dict], float] | None = None,
                 fail: Callable[[dict], int | None] | None = None,
                 reply: Callable[[dict], str] | None = None):
        self.delay = delay or (lambda body: 0.0)
        self.fail = fail or (lambda body: None)
        self.reply = reply or default_reply
        self.requests: list[dict] = []
        self.log: list[tuple[float, str, str]] = []  # (time, event, prompt head)
        self.app = Starlette(routes=[Route("/v1/chat/completions", self.chat, methods=["POST"])])

    async def chat(self, request: Request) -> JSONResponse:
        body = await request.json()
        self.requests.append(body)
        prompt = body["messages"][-1]["content"]
        self.log.append((time.monotonic(), "start", prompt))
        await asyncio.sleep(self.delay(body))
        status = self.fail(body)
        if status:
            return JSONResponse({"error": {"message": "injected", "type": "x", "param": None,
                                           "code": None}}, status_code=status)
        text = self.reply(body)
        self.log.append((time.monotonic(), "end", prompt))
        prompt_tokens = len(prompt) // 4 + 1
        return JSONResponse({
            "id": "chatcmpl-" + hashlib.sha1(json.dumps(body).encode()).hexdigest()[:12],
            "object": "chat.completion", "created": int(time.time()), "model": body["model"],
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                         "finish_reason": "stop"}],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": len(text) // 4 + 1,
                      "total_tokens": prompt_tokens + len(text) // 4 + 1}})


def default_reply(body: dict) -> str:
    """A 'solution' whose answer depends on the question and the sample's seed."""
    prompt = body["messages"][-1]["content"]
    digest = hashlib.sha1(f"{prompt}|{body.get('seed')}".encode()).hexdigest()
    return f"work {digest[:6]}\n\\boxed{{{int(digest[:2], 16) % 3}}}"
