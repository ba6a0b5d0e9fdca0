"""The OpenAI routes: /v1/chat/completions, /v1/completions, /v1/models."""

from __future__ import annotations

import asyncio
import json
from typing import Any, Awaitable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from moe.engine.engine import RequestRejected
from moe.server.errors import APIError
from moe.server.responses import Completion, collect, sse_events
from moe.server.schemas import ChatCompletionRequest, CompletionRequest, parse
from moe.server.service import Service


async def read_json(request: Request, limit: int) -> Any:
    """The JSON body, refused with 413 past `limit` bytes before it is all read."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise APIError(413, f"request body of {declared} bytes exceeds the limit of {limit} bytes",
                       code="request_too_large")
    body = bytearray()
    async for part in request.stream():
        body += part
        if len(body) > limit:
            raise APIError(413, f"request body exceeds the limit of {limit} bytes",
                           code="request_too_large")
    try:
        return json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise APIError(400, f"the request body is not valid JSON: {exc}", code="invalid_json") from None


async def until_disconnect(request: Request, work: Awaitable[dict]) -> dict:
    """Run `work`, cancelling it (and so aborting its engine requests) if the client leaves."""
    task = asyncio.ensure_future(work)

    async def client_left() -> None:
        while (await request.receive())["type"] != "http.disconnect":
            pass

    watcher = asyncio.ensure_future(client_left())
    try:
        await asyncio.wait({task, watcher}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for t in (task, watcher):
            if not t.done():
                t.cancel()
        await asyncio.gather(watcher, return_exceptions=True)
    if not task.done() or task.cancelled():
        await asyncio.gather(task, return_exceptions=True)
        raise APIError(499, "the client closed the connection", code="client_closed")
    return task.result()


async def _respond(request: Request, req: Any, kind: str, prompts: list[list[int]]) -> Response:
    service: Service = request.app.state.service
    try:
        streams = [service.engine.submit(ids, req.sampling(req.limit())) for ids in prompts]
    except RequestRejected as exc:
        raise APIError(400, str(exc), param=exc.param, code="invalid_value") from None
    completion = Completion(kind, service.model_name, req.n)
    if req.stream:
        events = sse_events(completion, streams, req.include_usage)
        return StreamingResponse(events, media_type="text/event-stream")
    return JSONResponse(await until_disconnect(request, collect(completion, streams)))


async def chat_completions(request: Request) -> Response:
    service: Service = request.app.state.service
    req = parse(ChatCompletionRequest, await read_json(request, service.max_body_bytes))
    service.check_model(req.model)
    return await _respond(request, req, "chat", [service.chat_prompt(req.messages)])


async def completions(request: Request) -> Response:
    service: Service = request.app.state.service
    req = parse(CompletionRequest, await read_json(request, service.max_body_bytes))
    service.check_model(req.model)
    return await _respond(request, req, "text", service.text_prompts(req.prompt))


async def models(request: Request) -> Response:
    service: Service = request.app.state.service
    return JSONResponse({"object": "list", "data": [service.model_card()]})


def routes() -> list[Route]:
    return [
        Route("/v1/chat/completions", chat_completions, methods=["POST"]),
        Route("/v1/completions", completions, methods=["POST"]),
        Route("/v1/models", models, methods=["GET"]),
    ]
