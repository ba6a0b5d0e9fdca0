"""OpenAI-compatible HTTP server for the embedded MoE model (`pipe serve`)."""

from __future__ import annotations

from typing import Any

import uvicorn

from moe.server.app import create_app
from moe.server.http import uvicorn_config
from moe.server.limits import ServerLimits

__all__ = ["ServerLimits", "create_app", "serve"]


def serve(host: str = "127.0.0.1", port: int = 8000, model: Any = None,
          limits: ServerLimits | None = None, **engine_opts: Any) -> None:
    """Run the server with uvicorn until interrupted. Binds to localhost unless told otherwise."""
    app = create_app(model, limits=limits, **engine_opts)
    uvicorn.Server(uvicorn_config(app, host, port, limits, log_level="info")).run()
