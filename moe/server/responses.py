"""Turning engine outputs into OpenAI response bodies and server-sent-event chunks."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import AsyncIterator, Literal

from moe.engine.request import RequestOutput
from moe.server.errors import APIError

Kind = Literal["chat", "text"]


async def merged(streams: list[AsyncIterator[RequestOutput]]) -> AsyncIterator[tuple[int, RequestOutput]]:
    """Outputs of several engine requests as they come, tagged with the stream's position.

    Closing this iterator (or cancelling its reader) closes every stream, which aborts their
    requests in the engine.
    """
    queue: asyncio.Queue = asyncio.Queue()

    async def pump(i: int, stream: AsyncIterator[RequestOutput]) -> None:
        async with aclosing(stream):
            async for out in stream:
                queue.put_nowait((i, out))
        queue.put_nowait((i, None))

    tasks = [asyncio.create_task(pump(i, s)) for i, s in enumerate(streams)]
    try:
        remaining = len(tasks)
        while remaining:
            i, out = await queue.get()
            if out is None:
                remaining -= 1
            else:
                yield i, out
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


@dataclass
class Completion:
    """Everything the client is told about one API call, built up from engine outputs."""

    kind: Kind
    model: str
    n: int
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    created: int = field(default_factory=lambda: int(time.time()))
    texts: dict[int, str] = field(default_factory=dict)
    finish: dict[int, str] = field(default_factory=dict)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0

    @property
    def response_id(self) -> str:
        return ("chatcmpl-" if self.kind == "chat" else "cmpl-") + self.id

    def add(self, prompt_index: int, out: RequestOutput) -> list[tuple[int, str, str | None]]:
        """Fold in one output; returns (choice index, new text, finish reason) per delta."""
        if out.error:
            raise APIError(500, out.error, code="engine_error")
        if out.finished:
            self.prompt_tokens += out.prompt_tokens
            self.completion_tokens += out.completion_tokens
            self.cached_tokens += out.cached_tokens
        events = []
        for d in out.deltas:
            index = prompt_index * self.n + d.index
            self.texts[index] = self.texts.get(index, "") + d.text
            if d.finish_reason:
                self.finish[index] = d.finish_reason
            events.append((index, d.text, d.finish_reason))
        return events

    def usage(self) -> dict:
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.prompt_tokens + self.completion_tokens,
            "prompt_tokens_details": {"cached_tokens": self.cached_tokens},
            "completion_tokens_details": {"reasoning_tokens": 0},
        }

    def _choice(self, index: int, text: str, finish: str | None, stream: bool) -> dict:
        if self.kind == "text":
            return {"index": index, "text": text, "finish_reason": finish, "logprobs": None}
        key = "delta" if stream else "message"
        body = {"content": text} if stream else {"role": "assistant", "content": text}
        return {"index": index, key: body, "finish_reason": finish, "logprobs": None}

    def body(self) -> dict:
        choices = [self._choice(i, self.texts.get(i, ""), self.finish.get(i), False)
                   for i in sorted(self.texts)]
        obj = "chat.completion" if self.kind == "chat" else "text_completion"
        return {"id": self.response_id, "object": obj, "created": self.created,
                "model": self.model, "choices": choices, "usage": self.usage()}

    def chunk(self, choices: list[dict], usage: dict | None, with_usage: bool) -> str:
        obj = "chat.completion.chunk" if self.kind == "chat" else "text_completion"
        body = {"id": self.response_id, "object": obj, "created": self.created,
                "model": self.model, "choices": choices}
        if with_usage:
            body["usage"] = usage
        return f"data: {json.dumps(body)}\n\n"

    def delta_chunk(self, index: int, text: str, finish: str | None, with_usage: bool) -> str:
        return self.chunk([self._choice(index, text, finish, True)], None, with_usage)

    def role_chunk(self, index: int, with_usage: bool) -> str:
        choice = {"index": index, "delta": {"role": "assistant", "content": ""},
                  "finish_reason": None, "logprobs": None}
        return self.chunk([choice], None, with_usage)


async def collect(completion: Completion, streams: list[AsyncIterator[RequestOutput]]) -> dict:
    async with aclosing(merged(streams)) as events:
        async for i, out in events:
            completion.add(i, out)
    return completion.body()


async def sse_events(
    completion: Completion, streams: list[AsyncIterator[RequestOutput]], include_usage: bool
) -> AsyncIterator[str]:
    """The SSE body of a streamed call; a failure mid-stream is sent as an error event."""
    if completion.kind == "chat":
        for index in range(completion.n * len(streams)):
            yield completion.role_chunk(index, include_usage)
    try:
        async with aclosing(merged(streams)) as events:
            async for i, out in events:
                for index, text, finish in completion.add(i, out):
                    if text or finish:
                        yield completion.delta_chunk(index, text, finish, include_usage)
    except APIError as exc:
        yield f"data: {json.dumps(exc.body())}\n\n"
        return
    if include_usage:
        yield completion.chunk([], completion.usage(), True)
    yield "data: [DONE]\n\n"
