"""An in-process OpenAI-compatible fake that honours `n` (as vLLM, OpenAI and the embedded
server do): one response with n choices, the prompt counted once in its usage."""

from __future__ import annotations

import hashlib
import json
from typing import Callable

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

PROMPT_TOKENS = 100
"""Prompt tokens every request reports (once, whatever its n)."""


def varied_reply(body: dict, choice: int) -> str:
    """A text that differs by prompt, seed and choice (as sampling with a seed does)."""
    material = f"{body['messages'][-1]['content']}|{body.get('seed')}|{choice}"
    return "answer " + hashlib.sha1(material.encode()).hexdigest()[:8]


class NChoiceLLM:
    """Answers `n` choices per request; records every request body."""

    def __init__(self, reply: Callable[[dict, int], str] = varied_reply):
        self.reply = reply
        self.requests: list[dict] = []
        self.app = Starlette(routes=[Route("/v1/chat/completions", self.chat, methods=["POST"])])

    async def chat(self, request: Request) -> JSONResponse:
        body = await request.json()
        self.requests.append(body)
        texts = [self.reply(body, i) for i in range(int(body.get("n", 1)))]
        output = sum(len(t) // 4 + 1 for t in texts)
        return JSONResponse({
            "id": "chatcmpl-" + hashlib.sha1(json.dumps(body).encode()).hexdigest()[:12],
            "object": "chat.completion", "created": 0, "model": body["model"],
            "choices": [{"index": i, "message": {"role": "assistant", "content": t},
                         "finish_reason": "stop"} for i, t in enumerate(texts)],
            "usage": {"prompt_tokens": PROMPT_TOKENS, "completion_tokens": output,
                      "total_tokens": PROMPT_TOKENS + output}})
