"""The ASGI app: routes from each module, OpenAI-shaped errors, engine start and stop.

Works with and without lifespan events: under uvicorn the engine starts at startup and stops
at shutdown; under `httpx.ASGITransport` (no lifespan) it starts on the first request.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any, AsyncIterator

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from moe.engine.engine import EngineConfig
from moe.server import batches, metrics, openai_api
from moe.server.errors import APIError
from moe.server.limits import ServerLimits
from moe.server.service import MODEL_NAME, Service

log = logging.getLogger(__name__)


async def health(request: Request) -> Response:
    request.app.state.service.engine.start()
    return JSONResponse({"status": "ok"})


def routes() -> list[Route]:
    """Every route of the server; a new API module adds its own `routes()` here."""
    return [*openai_api.routes(), *metrics.routes(), *batches.routes(),
            Route("/health", health, methods=["GET"])]


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, APIError)
    return exc.response()


_HTTP_CODES = {404: "not_found", 405: "method_not_allowed"}


async def _http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own errors (no route, wrong method) in the OpenAI shape."""
    assert isinstance(exc, HTTPException)
    message = f"{exc.detail}: {request.method} {request.url.path}"
    return APIError(exc.status_code, message, code=_HTTP_CODES.get(exc.status_code)).response()


async def _server_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s", request.url.path)
    return APIError(500, f"internal server error: {type(exc).__name__}: {exc}").response()


def create_app(
    model: Any = None,
    *,
    model_name: str = MODEL_NAME,
    limits: ServerLimits | None = None,
    **engine_opts: Any,
) -> Starlette:
    """The OpenAI-compatible server app for `model` (default: the shipped `moe-tiny` weights).

    `limits` bound what one client may ask (`ServerLimits`: body size and depth, prompts and
    choices per call, timeouts); `engine_opts` are `EngineConfig` fields (block_size,
    num_blocks, max_num_seqs, ...).
    """
    service = Service(model, model_name, limits, EngineConfig(**engine_opts))

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        service.engine.start()
        yield
        await service.engine.stop()

    app = Starlette(
        routes=routes(),
        lifespan=lifespan,
        exception_handlers={APIError: _api_error, HTTPException: _http_error,
                            Exception: _server_error},
    )
    app.state.service = service
    return app
