"""The proxy's ASGI app: /v1/models, /v1/chat/completions and /health, for one recipe.

    POST /v1/chat/completions   runs the recipe on the last user message (see `request`)
    GET  /v1/models[/{model}]   the recipe, by name
    GET  /health
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from typing import Any, AsyncIterator

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from pipelines.proxy.errors import ProxyError
from pipelines.proxy.request import parse_body, read_body, read_request
from pipelines.proxy.responses import Job, Reply, sse_events
from pipelines.proxy.runner import ProxySettings, RecipeService

log = logging.getLogger(__name__)


def _service(request: Request) -> RecipeService:
    return request.app.state.service


def _check_model(service: RecipeService, name: Any) -> None:
    if name != service.name:
        raise ProxyError(404, f"The model `{name}` does not exist; this server serves the "
                         f"recipe `{service.name}`", param="model", code="model_not_found")


async def chat_completions(request: Request) -> Response:
    service = _service(request)
    body = parse_body(await read_body(request.stream(), request.headers.get("content-length", ""),
                                      service.settings.max_body_bytes))
    _check_model(service, body.get("model"))
    req = read_request(body, service.params)
    reply = Reply(service.name, await asyncio.to_thread(service.answer_format, req.params))
    job = Job()
    options = service.options(req.question, req.gold, req.max_cost, req.resume, job.on_start)
    job.start(service.runs, lambda: service.run(req.params, options))
    request.app.state.jobs.add(job)
    if req.stream:
        try:
            await job.wait_recorded()
        except asyncio.CancelledError:
            await job.cancel()
            raise
        events = sse_events(reply, job, req.include_usage, service.settings.progress_s)
        return StreamingResponse(events, media_type="text/event-stream")
    result = await _until_disconnect(request, job)
    text, usage, pipe = reply.outcome(result, job.began)
    return JSONResponse(reply.body(text, usage, pipe))


async def _until_disconnect(request: Request, job: Job) -> Any:
    """The run's result; if the client leaves first, the run is stopped (resumable)."""
    assert job.task is not None

    async def client_left() -> None:
        while (await request.receive())["type"] != "http.disconnect":
            pass

    watcher = asyncio.ensure_future(client_left())
    try:
        await asyncio.wait({job.task, watcher}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        watcher.cancel()
        await asyncio.gather(watcher, return_exceptions=True)
        if not job.task.done():
            await job.cancel()
    if job.stopped:
        raise ProxyError(499, f"the client closed the connection; run {job.run_id} is kept as "
                         "interrupted", code="client_closed")
    return job.task.result()


def _card(service: RecipeService) -> dict[str, Any]:
    return {"id": service.name, "object": "model", "created": service.created,
            "owned_by": "pipe"}


async def models(request: Request) -> Response:
    return JSONResponse({"object": "list", "data": [_card(_service(request))]})


async def model(request: Request) -> Response:
    service = _service(request)
    _check_model(service, request.path_params["model"])
    return JSONResponse(_card(service))


async def health(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def _proxy_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ProxyError)
    return exc.response()


async def _http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own errors (no route, wrong method) in the OpenAI shape."""
    assert isinstance(exc, HTTPException)
    return ProxyError(exc.status_code, f"{exc.detail}: {request.method} {request.url.path}",
                      code="not_found" if exc.status_code == 404 else None).response()


async def _server_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s", request.url.path)
    return ProxyError(500, f"internal server error: {type(exc).__name__}: {exc}").response()


def create_app(settings: ProxySettings) -> Starlette:
    """The OpenAI-compatible app serving `settings.recipe`; the recipe is checked here, before
    the app exists (InputError / RecipeError)."""
    service = RecipeService(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await asyncio.gather(*(job.cancel() for job in list(app.state.jobs)))
        service.runs.shutdown(wait=False, cancel_futures=True)

    app = Starlette(
        routes=[Route("/v1/chat/completions", chat_completions, methods=["POST"]),
                Route("/v1/models", models, methods=["GET"]),
                Route("/v1/models/{model:path}", model, methods=["GET"]),
                Route("/health", health, methods=["GET"])],
        lifespan=lifespan,
        exception_handlers={ProxyError: _proxy_error, HTTPException: _http_error,
                            Exception: _server_error})
    app.state.service = service
    app.state.jobs = weakref.WeakSet()  # runs under way: stopped (interrupted) at shutdown
    return app
