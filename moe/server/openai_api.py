"""The OpenAI routes: /v1/chat/completions, /v1/completions, /v1/models."""

from __future__ import annotations

import asyncio
from typing import Any, AsyncIterator, Awaitable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from moe.engine.engine import RequestRejected
from moe.engine.request import RequestOutput
from moe.server.body import read_json
from moe.server.errors import APIError
from moe.server.responses import Completion, collect, sse_events
from moe.server.schemas import ChatCompletionRequest, CompletionRequest, parse
from moe.server.service import Service


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


SUBMIT_SLICE = 512
"""Prompts queued between yields to the event loop: a call with thousands of prompts must not
hold up the requests of other clients while it is being queued."""


async def _submit(service: Service, req: Any, group: str, prompts: list[list[int]],
                  prompt_field: str) -> list[AsyncIterator[RequestOutput]]:
    service.check_fanout(req.n, len(prompts))
    params = req.sampling(req.limit())
    streams = []
    for start in range(0, len(prompts), SUBMIT_SLICE):
        if start:
            await asyncio.sleep(0)
        try:
            streams += [service.engine.submit(ids, params, group=group)
                        for ids in prompts[start:start + SUBMIT_SLICE]]
        except RequestRejected as exc:  # the engine names chat's field; a text call's is prompt
            param = "prompt" if exc.param == "messages" and prompt_field == "prompt" else exc.param
            raise APIError(400, str(exc), param=param, code="invalid_value") from None
    return streams


async def _respond(request: Request, req: Any, kind: str, prompts: list[list[int]]) -> Response:
    service: Service = request.app.state.service
    completion = Completion(kind, service.model_name, req.n)
    # One group per call: the engine admits its prompts in turn with other calls' requests.
    field = "messages" if kind == "chat" else "prompt"
    streams = await _submit(service, req, completion.id, prompts, field)
    if req.stream:
        events = sse_events(completion, streams, req.include_usage)
        return StreamingResponse(events, media_type="text/event-stream")
    return JSONResponse(await until_disconnect(request, collect(completion, streams)))


async def chat_completions(request: Request) -> Response:
    service: Service = request.app.state.service
    req = parse(ChatCompletionRequest, await read_json(request, service.limits))
    service.check_model(req.model)
    return await _respond(request, req, "chat", [service.chat_prompt(req.messages)])


async def completions(request: Request) -> Response:
    service: Service = request.app.state.service
    req = parse(CompletionRequest, await read_json(request, service.limits))
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
